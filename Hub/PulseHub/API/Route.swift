import Foundation
import PulseCommon

/// Who may call a route.
public enum Access: String, Sendable {
    /// No credentials needed.
    case `public`
    /// Any authenticated principal.
    case authenticated
    /// An authenticated principal with admin rights.
    case admin
    /// A logged-in browser session (logout, change-password); API tokens are refused.
    case session
    /// First-run setup: the bootstrap token (`X-Setup-Token` or the body's `setupToken`), a recovery token
    /// (`X-Recovery-Token`), or an administrator.
    case setup
    /// Recovery: direct loopback (no proxy headers), or a recovery token bound to the caller's address.
    case recovery
}

/// A size in bytes, written readably in the route table.
public struct BodyLimit: Sendable, Equatable {
    public let bytes: Int
    public static func kibibytes(_ count: Int) -> BodyLimit { BodyLimit(bytes: count * 1024) }
    public static func mebibytes(_ count: Int) -> BodyLimit { BodyLimit(bytes: count * 1024 * 1024) }
    /// For routes that take no body.
    public static let none = BodyLimit(bytes: 0)
}

/// Everything a handler gets about a request.
public struct RequestContext: Sendable {
    public let request: HTTPRequest
    public let principal: Principal?
    public let parameters: [String: String]
    public let requestID: String
    public let now: Date
    public let logger: Logger
    /// The client's address: the TCP peer, or the client a trusted proxy names.
    public let clientIP: String
    /// Whether the request came straight from loopback, with no proxy headers.
    public let isDirectLoopback: Bool

    public init(request: HTTPRequest, principal: Principal?, parameters: [String: String], requestID: String, now: Date,
                logger: Logger, clientIP: String? = nil, isDirectLoopback: Bool = false) {
        self.request = request
        self.principal = principal
        self.parameters = parameters
        self.requestID = requestID
        self.now = now
        self.logger = logger
        self.clientIP = clientIP ?? request.clientAddress
        self.isDirectLoopback = isDirectLoopback
    }

    /// A path parameter (`{id}`).
    public func parameter(_ name: String) throws(APIError) -> String {
        guard let value = parameters[name], !value.isEmpty else {
            throw APIError.badRequest("missing_parameter", "Missing path parameter \(name)")
        }
        return value
    }

    /// The body decoded as JSON; a malformed body is a 400 `invalid_json`.
    public func decode<T: Decodable>(_ type: T.Type) throws(APIError) -> T {
        guard !request.body.isEmpty else { throw APIError.badRequest("invalid_json", "Request body is empty") }
        do {
            return try WireJSON.decoder().decode(T.self, from: Data(request.body))
        } catch {
            throw APIError.invalidJSON(error)
        }
    }

    /// The authenticated token, if the caller used one.
    public var token: APITokenRecord? { principal?.token }
}

/// A request handler. Handlers never check auth or method: the route table and router do.
public typealias Handler = @Sendable (RequestContext) throws -> HTTPResponse

/// One row of the route table.
public struct Route: Sendable {
    public let method: String
    public let path: String
    public let access: Access
    /// Required of token callers; `nil` only for public routes and routes open to any credential.
    public let scope: Scope?
    public let bodyLimit: BodyLimit
    /// Whether `?token=` is accepted (only where the spec allows it).
    public let allowsQueryToken: Bool
    public let handler: Handler

    public init(_ method: String, _ path: String, _ access: Access, _ scope: Scope?, bodyLimit: BodyLimit = .none,
                allowsQueryToken: Bool = false, _ handler: @escaping Handler) {
        self.method = method
        self.path = path
        self.access = access
        self.scope = scope
        self.bodyLimit = bodyLimit
        self.allowsQueryToken = allowsQueryToken
        self.handler = handler
    }

    /// Path segments; `{name}` segments are parameters.
    var segments: [Substring] { path.split(separator: "/", omittingEmptySubsequences: true) }

    /// Whether the method changes state.
    public var isMutating: Bool { !["GET", "HEAD", "OPTIONS"].contains(method) }
}
