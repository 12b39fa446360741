import Foundation
import PulseCommon

/// Failed-login lockout: 5 failures lock for 15 minutes, counted per username-and-address and per address.
///
/// Keying by username *and* client address means an attacker elsewhere cannot lock the administrator out; the
/// per-address key stops one address from trying many usernames. Counters decay: a failure older than the lock
/// window, or any failure once a lock has expired, starts again from zero. State is in `pulse.db`, so a
/// restart does not reset it.
public final class LoginLockout: Sendable {
    public static let maxAttempts = 5
    public static let lockDuration: TimeInterval = 15 * 60

    private let store: ControlStore

    public init(store: ControlStore) { self.store = store }

    static func keys(username: String, ip: String) -> [String] {
        ["user:\(username.lowercased())|ip:\(ip)", "ip:\(ip)"]
    }

    /// When the login is locked, until when.
    public func lockedUntil(username: String, ip: String, now: Date = Date()) -> Date? {
        Self.keys(username: username, ip: ip).compactMap { key in
            (try? store.loginFailures(key: key))??.lockedUntil.flatMap { $0 > now ? $0 : nil }
        }.max()
    }

    /// Records a failure; returns the attempts counted for the username+address key and whether it is now locked.
    public func recordFailure(username: String, ip: String, now: Date = Date()) throws -> (attempts: Int, locked: Bool) {
        var result = (attempts: 0, locked: false)
        for (index, key) in Self.keys(username: username, ip: ip).enumerated() {
            var record = try store.loginFailures(key: key) ?? LoginFailureRecord(key: key, failures: 0, lockedUntil: nil, lastFailure: now)
            let lockExpired = record.lockedUntil.map { $0 <= now } ?? false
            if lockExpired || now.timeIntervalSince(record.lastFailure) > Self.lockDuration {
                record.failures = 0
                record.lockedUntil = nil
            }
            record.failures += 1
            record.lastFailure = now
            // The per-address key allows more attempts: it guards against spraying many usernames.
            let limit = index == 0 ? Self.maxAttempts : Self.maxAttempts * 4
            if record.failures >= limit { record.lockedUntil = now.addingTimeInterval(Self.lockDuration) }
            try store.save(record)
            if index == 0 { result = (record.failures, record.lockedUntil != nil) } else if record.lockedUntil != nil { result.locked = true }
        }
        return result
    }

    /// A successful login clears the username+address counter.
    public func recordSuccess(username: String, ip: String) throws {
        try store.clearLoginFailures(keys: [Self.keys(username: username, ip: ip)[0]])
    }

    /// Clears every lock (recovery). Returns how many records were removed.
    public func resetAll() throws -> Int {
        try store.clearAllLoginFailures()
    }

    /// Clears every lock involving a username or an address (keys hold usernames lowercased; addresses are
    /// stored as the server formats them, lowercase for IPv6).
    public func reset(identifier: String) throws -> Int {
        try store.clearLoginFailures(matching: identifier.lowercased())
    }
}
