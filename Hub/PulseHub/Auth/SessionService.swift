import Foundation
import PulseCommon
import Synchronization

/// A validated session.
public struct Session: Sendable {
    public var key: String
    public var username: String
    public var expiresAt: Date
    public var duration: TimeInterval
}

/// Login sessions and their CSRF tokens, persisted in `pulse.db` keyed by SHA-256 of the token.
///
/// Sliding expiry is kept in memory and written in batches (`flush`), so an active session costs no disk write
/// per request; creation, logout and password changes write at once.
public final class SessionService: Sendable {
    public static let standardLifetime: TimeInterval = 24 * 3600
    public static let rememberedLifetime: TimeInterval = 30 * 86_400

    private struct Cached {
        var record: SessionRecord
        var dirty = false
    }

    private let store: ControlStore
    private let cache = Mutex([String: Cached]())

    public init(store: ControlStore) {
        self.store = store
    }

    static func key(for token: String) -> String { Crypto.sha256(Array(token.utf8)).hexString }

    /// A new CSRF token: 32 random bytes, base64url with padding.
    static func newCSRFToken() -> String {
        Data(Crypto.randomBytes(32)).base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
    }

    /// Creates a session; returns the raw session token and CSRF token (both go to cookies only).
    public func create(username: String, remember: Bool, userAgent: String, ip: String,
                       now: Date = Date()) throws -> (token: String, csrf: String, session: Session) {
        let token = Crypto.randomBytes(32).hexString
        let csrf = Self.newCSRFToken()
        let duration = remember ? Self.rememberedLifetime : Self.standardLifetime
        let record = SessionRecord(key: Self.key(for: token), username: username,
                                   csrfHash: Crypto.sha256(Array(csrf.utf8)).hexString, createdAt: now,
                                   expiresAt: now.addingTimeInterval(duration), duration: duration,
                                   userAgent: String(userAgent.prefix(256)), ip: ip)
        try store.insert(record)
        cache.withLock { $0[record.key] = Cached(record: record) }
        return (token, csrf, Session(key: record.key, username: username, expiresAt: record.expiresAt, duration: duration))
    }

    /// The live session for a raw token, its expiry slid forward; nil when unknown or expired.
    public func validate(_ token: String, now: Date = Date()) -> Session? {
        guard token.isHex(length: 64) else { return nil }
        let key = Self.key(for: token)
        var cached = cache.withLock { $0[key] }
        if cached == nil, let stored = try? store.session(key: key) {
            cached = Cached(record: stored)
        }
        guard var entry = cached, Crypto.constantTimeEqual(Array(entry.record.key.utf8), Array(key.utf8)) else { return nil }
        guard entry.record.expiresAt > now else {
            cache.withLock { $0[key] = nil }
            try? store.deleteSession(key: key)
            return nil
        }
        let slid = now.addingTimeInterval(entry.record.duration)
        if slid.timeIntervalSince(entry.record.expiresAt) >= 60 {
            entry.record.expiresAt = slid
            entry.dirty = true
        }
        cache.withLock { $0[key] = entry }
        return Session(key: key, username: entry.record.username, expiresAt: entry.record.expiresAt,
                       duration: entry.record.duration)
    }

    /// Whether `csrf` is the session's CSRF token (constant-time over the digests).
    public func checkCSRF(_ csrf: String?, session: Session) -> Bool {
        guard let csrf, !csrf.isEmpty, csrf.utf8.count <= 128 else { return false }
        let expected = cache.withLock { $0[session.key]?.record.csrfHash }
        guard let expected else { return false }
        return Crypto.constantTimeEqual(Array(expected.utf8), Array(Crypto.sha256(Array(csrf.utf8)).hexString.utf8))
    }

    /// A fresh CSRF token for a session (after a failed check, or when the cookie is missing).
    public func rotateCSRF(session: Session) -> String? {
        let csrf = Self.newCSRFToken()
        let hash = Crypto.sha256(Array(csrf.utf8)).hexString
        do { try store.updateCSRF(sessionKey: session.key, csrfHash: hash) } catch { return nil }
        cache.withLock { $0[session.key]?.record.csrfHash = hash }
        return csrf
    }

    /// Ends a session.
    public func delete(key: String) throws {
        try store.deleteSession(key: key)
        cache.withLock { $0[key] = nil }
    }

    /// Ends every session of a user except `keeping`.
    public func deleteAll(of username: String, keeping: String? = nil) throws {
        let keys = try store.deleteSessions(of: username, keeping: keeping)
        cache.withLock { cache in for key in keys { cache[key] = nil } }
    }

    /// Writes slid expiry times and drops expired sessions.
    public func flush(now: Date = Date()) throws {
        let dirty = cache.withLock { cache -> [String: Date] in
            var out: [String: Date] = [:]
            for (key, entry) in cache where entry.dirty {
                out[key] = entry.record.expiresAt
                cache[key]?.dirty = false
            }
            cache = cache.filter { $0.value.record.expiresAt > now }
            return out
        }
        try store.saveSessionExpiries(dirty)
        _ = try store.deleteExpiredSessions(now: now)
    }
}
