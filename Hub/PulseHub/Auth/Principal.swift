import PulseCommon

/// Who made a request.
public struct Principal: Sendable {
    public enum Kind: Sendable {
        case apiToken(APITokenRecord)
        case session(Session)
        /// The first-run bootstrap token (quick-setup only).
        case bootstrap
        /// A recovery token (recovery and quick-setup only).
        case recoveryToken
        /// A direct loopback request: the recovery endpoint, or any route while recovery mode is on.
        case loopback
        /// A user authenticated by the reverse proxy (`X-Proxy-Secret`).
        case proxy(username: String)
    }

    public let kind: Kind
    public let isAdmin: Bool

    /// The token, for token callers.
    public var token: APITokenRecord? {
        if case .apiToken(let record) = kind { return record }
        return nil
    }

    /// The session, for browser callers.
    public var session: Session? {
        if case .session(let session) = kind { return session }
        return nil
    }

    /// Whether this principal may act with `scope`. Only token callers are limited by scopes; the setup and
    /// recovery credentials only ever reach the routes whose access allows them.
    public func has(_ scope: Scope) -> Bool {
        if case .apiToken(let record) = kind { return record.scopes.grants(scope) }
        return true
    }

    /// The `X-Authenticated-User` value, also the audit log's `user`.
    public var displayName: String {
        switch kind {
        case .apiToken(let record): return "token:\(record.id)"
        case .session(let session): return session.username
        case .bootstrap: return "bootstrap"
        case .recoveryToken: return "recovery-token"
        case .loopback: return "local-recovery"
        case .proxy(let username): return username
        }
    }

    /// The `X-Auth-Method` value.
    public var method: String {
        switch kind {
        case .apiToken: return "api_token"
        case .session: return "session"
        case .bootstrap: return "bootstrap_token"
        case .recoveryToken: return "recovery_token"
        case .loopback: return "loopback_recovery"
        case .proxy: return "proxy"
        }
    }
}
