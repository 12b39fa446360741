import Foundation
import PulseCommon
import Synchronization

/// First-run state: the bootstrap token exists while no administrator login does. Only its SHA3-256 digest is
/// kept in memory; the raw token lives in `<data>/.bootstrap_token` (0600) for the operator, and both go away
/// when setup completes.
public final class SetupState: Sendable {
    private let dataDirectory: String
    private let digest = Mutex<[UInt8]?>(nil)

    public init(dataDirectory: String) { self.dataDirectory = dataDirectory }

    /// Opens the first-run window (creating or reusing the token file); returns the raw token for the banner.
    @discardableResult
    public func open() throws -> (token: String, created: Bool) {
        let bootstrap = try BootstrapToken.ensure(in: dataDirectory)
        digest.withLock { $0 = Crypto.sha3_256(Array(bootstrap.token.utf8)) }
        return bootstrap
    }

    /// Ends the window: forgets the digest and deletes the file.
    public func close() {
        digest.withLock { $0 = nil }
        BootstrapToken.remove(in: dataDirectory)
    }

    public var isOpen: Bool { digest.withLock { $0 != nil } }

    public var tokenPath: String { BootstrapToken.path(in: dataDirectory) }

    /// Whether `presented` is the bootstrap token (constant time).
    public func matches(_ presented: String) -> Bool {
        guard let expected = digest.withLock({ $0 }) else { return false }
        let candidate = presented.trimmingWhitespace()
        guard !candidate.isEmpty, candidate.utf8.count <= 256 else { return false }
        return Crypto.constantTimeEqual(Crypto.sha3_256(Array(candidate.utf8)), expected)
    }
}

/// Recovery for a locked-out administrator (hub-api section 2.7, fixed): reachable from direct loopback without
/// credentials; recovery tokens are stored as SHA-256 digests, expire, work once and only from the address that
/// first presented them. `disable_auth` writes `<data>/.auth_recovery` with an expiry (at most an hour), during
/// which direct loopback requests are treated as the administrator.
public final class RecoveryService: Sendable {
    public static let markerFile = ".auth_recovery"
    public static let recoveryModeDuration: TimeInterval = 3600

    private let store: ControlStore
    private let dataDirectory: String

    public init(store: ControlStore, dataDirectory: String) {
        self.store = store
        self.dataDirectory = dataDirectory
    }

    var markerPath: String { dataDirectory + "/" + Self.markerFile }

    // MARK: Tokens

    /// A new recovery token valid for `minutes` (1–60).
    public func generateToken(minutes: Int, now: Date = Date()) throws -> String {
        let raw = Crypto.randomBytes(32).hexString
        try store.insert(RecoveryTokenRecord(hash: Self.digest(raw), createdAt: now,
                                             expiresAt: now.addingTimeInterval(TimeInterval(minutes * 60)), ip: nil, usedAt: nil))
        try store.pruneRecoveryTokens(now: now)
        return raw
    }

    /// Checks a presented token for a request from `ip`: it must exist, be unexpired and unused, and be bound to
    /// `ip` (binding it on first presentation). When `consume` is set, it is used up atomically.
    public func authenticate(_ raw: String, ip: String, consume: Bool, now: Date = Date()) -> Bool {
        let candidate = raw.trimmingWhitespace()
        guard candidate.isHex(length: 64) else { return false }
        let hash = Self.digest(candidate)
        guard let record = try? store.recoveryToken(hash: hash), record.usedAt == nil, record.expiresAt > now,
              (try? store.bindRecoveryToken(hash: hash, ip: ip)) == true else { return false }
        if consume { return (try? store.consumeRecoveryToken(hash: hash, now: now)) == true }
        return true
    }

    static func digest(_ raw: String) -> String { Crypto.sha256(Array(raw.utf8)).hexString }

    // MARK: Recovery mode

    /// Whether `.auth_recovery` exists and has not expired (an expired marker is removed).
    public func isRecoveryModeActive(now: Date = Date()) -> Bool {
        guard let text = try? String(contentsOfFile: markerPath, encoding: .utf8) else { return false }
        let expiry = Double(text.trimmingWhitespace()).map(Date.init(timeIntervalSince1970:))
        guard let expiry, expiry > now, expiry.timeIntervalSince(now) <= Self.recoveryModeDuration + 60 else {
            unlink(markerPath)
            return false
        }
        return true
    }

    public func enterRecoveryMode(now: Date = Date()) throws {
        let expiry = now.addingTimeInterval(Self.recoveryModeDuration).timeIntervalSince1970
        try FileSecurity.writePrivate(Array("\(Int(expiry))\n".utf8), to: markerPath)
    }

    public func leaveRecoveryMode() {
        unlink(markerPath)
    }
}
