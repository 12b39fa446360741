import Foundation
import PulseCommon

/// An administrator account.
public struct UserRecord: Sendable, Equatable {
    public var username: String
    public var passwordHash: String
    /// `env` (from `PULSE_AUTH_USER`/`PULSE_AUTH_PASS`) or `setup` (quick-setup, change-password).
    public var source: String
    /// SHA-256 of the environment value the record came from, so a changed env value is applied once.
    public var envFingerprint: String?
    public var createdAt: Date
    public var updatedAt: Date
}

/// A login session as stored: keyed by the SHA-256 of the session token, never the token itself.
public struct SessionRecord: Sendable, Equatable {
    public var key: String
    public var username: String
    /// SHA-256 of the session's CSRF token.
    public var csrfHash: String
    public var createdAt: Date
    public var expiresAt: Date
    /// The sliding window: 24 h, or 30 days with "remember me".
    public var duration: TimeInterval
    public var userAgent: String
    public var ip: String
}

/// Failed logins for one key (`user:<name>|ip:<address>` or `ip:<address>`).
public struct LoginFailureRecord: Sendable, Equatable {
    public var key: String
    public var failures: Int
    public var lockedUntil: Date?
    public var lastFailure: Date
}

extension ControlStore {
    // MARK: Users

    public func user(named username: String) throws -> UserRecord? {
        try database.query("SELECT username, password_hash, source, env_fingerprint, created_at, updated_at FROM users WHERE username = ?",
                           [.text(username)]).first.flatMap(Self.user(from:))
    }

    public func allUsers() throws -> [UserRecord] {
        try database.query("SELECT username, password_hash, source, env_fingerprint, created_at, updated_at FROM users ORDER BY username")
            .compactMap(Self.user(from:))
    }

    public func save(_ user: UserRecord) throws {
        try database.run("""
            INSERT INTO users(username, password_hash, source, env_fingerprint, created_at, updated_at) VALUES(?, ?, ?, ?, ?, ?)
            ON CONFLICT(username) DO UPDATE SET password_hash = excluded.password_hash, source = excluded.source,
                env_fingerprint = excluded.env_fingerprint, updated_at = excluded.updated_at
            """, [.text(user.username), .text(user.passwordHash), .text(user.source),
                  user.envFingerprint.map { .text($0) } ?? .null, .integer(user.createdAt.unixMilliseconds),
                  .integer(user.updatedAt.unixMilliseconds)])
    }

    private static func user(from row: [SQLiteValue]) -> UserRecord? {
        guard row.count == 6, let name = row[0].string, let hash = row[1].string, let source = row[2].string,
              let created = row[4].int64, let updated = row[5].int64 else { return nil }
        return UserRecord(username: name, passwordHash: hash, source: source, envFingerprint: row[3].string,
                          createdAt: Date(unixMilliseconds: created), updatedAt: Date(unixMilliseconds: updated))
    }

    // MARK: Sessions

    public func session(key: String) throws -> SessionRecord? {
        try database.query("SELECT key, username, csrf_hash, created_at, expires_at, duration, user_agent, ip FROM sessions WHERE key = ?",
                           [.text(key)]).first.flatMap(Self.session(from:))
    }

    public func insert(_ session: SessionRecord) throws {
        try database.run("INSERT OR REPLACE INTO sessions(key, username, csrf_hash, created_at, expires_at, duration, user_agent, ip) VALUES(?, ?, ?, ?, ?, ?, ?, ?)",
                         [.text(session.key), .text(session.username), .text(session.csrfHash),
                          .integer(session.createdAt.unixMilliseconds), .integer(session.expiresAt.unixMilliseconds),
                          .integer(Int64(session.duration)), .text(session.userAgent), .text(session.ip)])
    }

    /// Writes new expiry times (sliding sessions) in one transaction.
    public func saveSessionExpiries(_ expiries: [String: Date]) throws {
        guard !expiries.isEmpty else { return }
        try database.transaction { transaction in
            for (key, date) in expiries {
                try transaction.run("UPDATE sessions SET expires_at = ? WHERE key = ?", [.integer(date.unixMilliseconds), .text(key)])
            }
        }
    }

    public func updateCSRF(sessionKey: String, csrfHash: String) throws {
        try database.run("UPDATE sessions SET csrf_hash = ? WHERE key = ?", [.text(csrfHash), .text(sessionKey)])
    }

    public func deleteSession(key: String) throws {
        try database.run("DELETE FROM sessions WHERE key = ?", [.text(key)])
    }

    /// Deletes every session of a user, except `keeping` when given. Returns the deleted keys.
    @discardableResult
    public func deleteSessions(of username: String, keeping: String? = nil) throws -> [String] {
        try database.transaction { transaction in
            let keys = try transaction.query("SELECT key FROM sessions WHERE username = ?", [.text(username)])
                .compactMap { $0.first?.string }.filter { $0 != keeping }
            for key in keys { try transaction.run("DELETE FROM sessions WHERE key = ?", [.text(key)]) }
            return keys
        }
    }

    public func deleteExpiredSessions(now: Date) throws -> Int {
        try database.run("DELETE FROM sessions WHERE expires_at < ?", [.integer(now.unixMilliseconds)])
    }

    private static func session(from row: [SQLiteValue]) -> SessionRecord? {
        guard row.count == 8, let key = row[0].string, let user = row[1].string, let csrf = row[2].string,
              let created = row[3].int64, let expires = row[4].int64, let duration = row[5].int64,
              let agent = row[6].string, let ip = row[7].string else { return nil }
        return SessionRecord(key: key, username: user, csrfHash: csrf, createdAt: Date(unixMilliseconds: created),
                             expiresAt: Date(unixMilliseconds: expires), duration: TimeInterval(duration),
                             userAgent: agent, ip: ip)
    }

    // MARK: Login failures

    public func loginFailures(key: String) throws -> LoginFailureRecord? {
        try database.query("SELECT key, failures, locked_until, last_failure FROM login_failures WHERE key = ?", [.text(key)])
            .first.flatMap { row in
                guard let key = row[0].string, let failures = row[1].int64, let last = row[3].int64 else { return nil }
                return LoginFailureRecord(key: key, failures: Int(failures), lockedUntil: row[2].int64.map(Date.init(unixMilliseconds:)),
                                          lastFailure: Date(unixMilliseconds: last))
            }
    }

    public func save(_ failure: LoginFailureRecord) throws {
        try database.run("INSERT OR REPLACE INTO login_failures(key, failures, locked_until, last_failure) VALUES(?, ?, ?, ?)",
                         [.text(failure.key), .integer(Int64(failure.failures)),
                          failure.lockedUntil.map { .integer($0.unixMilliseconds) } ?? .null,
                          .integer(failure.lastFailure.unixMilliseconds)])
    }

    public func clearLoginFailures(keys: [String]) throws {
        try database.transaction { transaction in
            for key in keys { try transaction.run("DELETE FROM login_failures WHERE key = ?", [.text(key)]) }
        }
    }

    /// Deletes every failure record. Returns how many.
    public func clearAllLoginFailures() throws -> Int {
        try database.run("DELETE FROM login_failures")
    }

    /// Makes `user` the only administrator: other accounts and their sessions are removed, atomically.
    public func replaceUsers(with user: UserRecord) throws {
        try database.transaction { transaction in
            try transaction.run("DELETE FROM sessions WHERE username != ?", [.text(user.username)])
            try transaction.run("DELETE FROM users WHERE username != ?", [.text(user.username)])
            try transaction.run("""
                INSERT INTO users(username, password_hash, source, env_fingerprint, created_at, updated_at) VALUES(?, ?, ?, ?, ?, ?)
                ON CONFLICT(username) DO UPDATE SET password_hash = excluded.password_hash, source = excluded.source,
                    updated_at = excluded.updated_at
                """, [.text(user.username), .text(user.passwordHash), .text(user.source),
                      user.envFingerprint.map { .text($0) } ?? .null, .integer(user.createdAt.unixMilliseconds),
                      .integer(user.updatedAt.unixMilliseconds)])
        }
    }

    /// Deletes failure records whose key contains `identifier` (a username or an address). Returns how many.
    public func clearLoginFailures(matching identifier: String) throws -> Int {
        try database.transaction { transaction in
            let keys = try transaction.query("SELECT key FROM login_failures").compactMap { $0.first?.string }
                .filter { key in key.split(separator: "|").contains { $0 == "user:" + identifier || $0 == "ip:" + identifier } }
            for key in keys { try transaction.run("DELETE FROM login_failures WHERE key = ?", [.text(key)]) }
            return keys.count
        }
    }
}
