import PulseCommon

/// Who made a request.
public struct Principal: Sendable {
    public enum Kind: Sendable {
        case apiToken(APITokenRecord)
        case session(Session)
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

    /// Whether this principal may act with `scope`. Only token callers are limited by scopes.
    public func has(_ scope: Scope) -> Bool {
        switch kind {
        case .apiToken(let record): return record.scopes.grants(scope)
        case .session: return true
        }
    }

    /// The `X-Authenticated-User` value.
    public var displayName: String {
        switch kind {
        case .apiToken(let record): return "token:\(record.id)"
        case .session(let session): return session.username
        }
    }

    /// The `X-Auth-Method` value.
    public var method: String {
        switch kind {
        case .apiToken: return "api_token"
        case .session: return "session"
        }
    }
}
