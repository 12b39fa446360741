import Foundation
import PulseCommon

/// An error a handler throws to answer with a specific status. Every HTTP error body is built here.
///
/// The body is `{"error","code","status_code","timestamp","details"?}`; a missing scope is exactly
/// `{"error":"missing_scope","requiredScope":"…"}`. Errors that are not `APIError` become a generic 500 whose
/// details stay in the log under the request id.
public struct APIError: Error, Sendable {
    public var status: Int
    public var code: String
    public var message: String
    public var details: [String: String]?
    public var headers: [(String, String)] = []
    /// A body that replaces the standard shape (used only where the spec fixes another one).
    public var customBody: [String: JSONValue]?

    public init(status: Int, code: String, message: String, details: [String: String]? = nil,
                headers: [(String, String)] = []) {
        self.status = status
        self.code = code
        self.message = message
        self.details = details
        self.headers = headers
    }

    public static func badRequest(_ code: String, _ message: String, details: [String: String]? = nil) -> APIError {
        APIError(status: 400, code: code, message: message, details: details)
    }

    public static func invalidJSON(_ error: any Error) -> APIError {
        badRequest("invalid_json", "Invalid JSON body", details: ["error": describe(decodingError: error)])
    }

    public static let unauthorized = APIError(status: 401, code: "unauthorized", message: "Authentication required",
                                              headers: [("WWW-Authenticate", "Bearer realm=\"pulse\"")])
    public static let invalidToken = APIError(status: 401, code: "invalid_token", message: "Invalid API token",
                                              headers: [("WWW-Authenticate", "Bearer realm=\"pulse\", error=\"invalid_token\"")])

    public static func forbidden(_ code: String, _ message: String) -> APIError {
        APIError(status: 403, code: code, message: message)
    }

    public static func missingScope(_ scope: Scope) -> APIError {
        var error = APIError(status: 403, code: "missing_scope", message: "missing_scope")
        error.customBody = ["error": .string("missing_scope"), "requiredScope": .string(scope.rawValue)]
        return error
    }

    public static func notFound(_ code: String = "not_found", _ message: String = "Not found") -> APIError {
        APIError(status: 404, code: code, message: message)
    }

    public static func methodNotAllowed(allowed: [String]) -> APIError {
        APIError(status: 405, code: "method_not_allowed", message: "Method not allowed",
                 headers: [("Allow", allowed.joined(separator: ", "))])
    }

    public static func payloadTooLarge(limit: Int) -> APIError {
        APIError(status: 413, code: "request_too_large", message: "Request body too large",
                 details: ["limitBytes": String(limit)])
    }

    public static func unprocessable(_ message: String, details: [String: String]? = nil) -> APIError {
        APIError(status: 422, code: "validation_failed", message: message, details: details)
    }

    /// 429 in the spec's auth shape `{error:"rate_limit",message}` with `Retry-After` (login, setup, token checks).
    public static func rateLimited(retryAfter wait: TimeInterval, message: String) -> APIError {
        var error = APIError(status: 429, code: "rate_limit", message: "rate_limit",
                             headers: [("Retry-After", String(Int(wait.rounded(.up))))])
        error.customBody = ["error": .string("rate_limit"), "message": .string(message)]
        return error
    }

    public static func unavailable(_ message: String, retryAfter: Int = 5) -> APIError {
        APIError(status: 503, code: "unavailable", message: message, headers: [("Retry-After", String(retryAfter))])
    }

    public static let internalError = APIError(status: 500, code: "internal_error", message: "Internal server error")

    /// The response for this error.
    public func response(now: Date = Date()) -> HTTPResponse {
        var body: [String: JSONValue]
        if let customBody {
            body = customBody
        } else {
            body = ["error": .string(message), "code": .string(code), "status_code": .number(Double(status)),
                    "timestamp": .number(Double(Int64(now.timeIntervalSince1970)))]
            if let details { body["details"] = .object(details.mapValues { .string($0) }) }
        }
        var response = HTTPResponse.json(object: body, status: status)
        for (name, value) in headers { response.setHeader(name, value) }
        return response
    }

    /// A short, client-safe description of a JSON decoding failure (no internal type names).
    static func describe(decodingError error: any Error) -> String {
        func path(_ keys: [any CodingKey]) -> String {
            let text = keys.map { $0.intValue.map { "[\($0)]" } ?? "." + $0.stringValue }.joined()
            return text.isEmpty ? "body" : String(text.drop(while: { $0 == "." }))
        }
        switch error as? DecodingError {
        case .typeMismatch(_, let context)?: return "wrong type at \(path(context.codingPath))"
        case .valueNotFound(_, let context)?: return "null or missing value at \(path(context.codingPath))"
        case .keyNotFound(let key, let context)?: return "missing key \(path(context.codingPath + [key]))"
        case .dataCorrupted(let context)?:
            return context.codingPath.isEmpty ? "malformed JSON" : "invalid value at \(path(context.codingPath))"
        default: return "malformed JSON"
        }
    }
}
