import Foundation
import PulseCommon

/// Administrator accounts and password checks.
public final class UserService: Sendable {
    private let store: ControlStore
    private let logger: Logger
    /// A valid hash checked when the username is unknown, so both paths cost one bcrypt run (no enumeration by
    /// timing).
    private let decoyHash: String

    public init(store: ControlStore, logger: Logger) throws {
        self.store = store
        self.logger = logger
        decoyHash = try PasswordHasher.hash(Crypto.randomBytes(16).hexString, cost: PasswordHasher.cost)
    }

    /// Applies `PULSE_AUTH_USER` / `PULSE_AUTH_PASS` (plain or a bcrypt hash). An account changed through the API
    /// keeps its password until the environment value itself changes.
    public func seed(username: String?, password: String?, now: Date = Date()) throws {
        guard let username = username?.trimmingWhitespace(), !username.isEmpty,
              let password, !password.isEmpty else { return }
        let fingerprint = Crypto.sha256(Array("\(username)\u{0}\(password)".utf8)).hexString
        if let existing = try store.user(named: username), existing.envFingerprint == fingerprint { return }
        let hash: String
        if PasswordHasher.isHash(password) {
            hash = password
        } else {
            logger.warn("PULSE_AUTH_PASS holds a plain password; store its bcrypt hash instead", ["user": username])
            do {
                hash = try PasswordHasher.hash(password)
            } catch {
                throw HubConfiguration.Problem(description: "PULSE_AUTH_PASS: \(error.description)")
            }
        }
        let created = try store.user(named: username)?.createdAt ?? now
        try store.save(UserRecord(username: username, passwordHash: hash, source: "env", envFingerprint: fingerprint,
                                  createdAt: created, updatedAt: now))
        logger.info("administrator account applied from the environment", ["user": username])
    }

    /// Whether any administrator login exists.
    public var hasUsers: Bool { ((try? store.allUsers()) ?? []).isEmpty == false }

    /// The account's name when `password` is right, in time that does not depend on whether the user exists.
    public func authenticate(username: String, password: String) -> String? {
        let record = try? store.user(named: username)
        let matches = PasswordHasher.verify(password, against: record?.passwordHash ?? decoyHash)
        return matches && record != nil ? record?.username : nil
    }

    /// The administrator (the oldest account), if any.
    public func primary() throws -> UserRecord? {
        try store.allUsers().min { $0.createdAt < $1.createdAt }
    }

    /// Makes `username` with `password` the only administrator (quick-setup, recovery). The environment
    /// fingerprint is kept only when the same account is re-set, so `PULSE_AUTH_*` does not override it at the
    /// next start unless those values change.
    public func replaceAdministrator(username: String, password: String, now: Date = Date()) throws {
        let hash = try PasswordHasher.hash(password)
        let existing = try store.user(named: username)
        try store.replaceUsers(with: UserRecord(username: username, passwordHash: hash, source: "setup",
                                                envFingerprint: existing?.envFingerprint, createdAt: existing?.createdAt ?? now,
                                                updatedAt: now))
    }

    /// Sets a new password (bcrypt cost 12, at least 12 characters).
    public func setPassword(username: String, newPassword: String, now: Date = Date()) throws {
        let hash = try PasswordHasher.hash(newPassword)
        let existing = try store.user(named: username)
        try store.save(UserRecord(username: username, passwordHash: hash, source: existing?.source ?? "setup",
                                  envFingerprint: existing?.envFingerprint, createdAt: existing?.createdAt ?? now,
                                  updatedAt: now))
    }
}
