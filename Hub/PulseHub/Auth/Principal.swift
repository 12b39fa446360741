import PulseCommon

/// Who made a request.
public struct Principal: Sendable {
    public enum Kind: Sendable {
        case apiToken(APITokenRecord)
    }

    public let kind: Kind
    public let isAdmin: Bool

    /// The token, for token callers.
    public var token: APITokenRecord? {
        if case .apiToken(let record) = kind { return record }
        return nil
    }

    /// Whether this principal may act with `scope`. Only token callers are limited by scopes.
    public func has(_ scope: Scope) -> Bool {
        switch kind {
        case .apiToken(let record): return record.scopes.grants(scope)
        }
    }

    /// The `X-Authenticated-User` value.
    public var displayName: String {
        switch kind {
        case .apiToken(let record): return "token:\(record.id)"
        }
    }

    /// The `X-Auth-Method` value.
    public var method: String {
        switch kind {
        case .apiToken: return "api_token"
        }
    }
}
