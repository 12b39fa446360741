import Foundation
import PulseCommon

/// An HTTP request as the handlers see it: decoded path, query, lowercased header names and the whole body.
public struct HTTPRequest: Sendable {
    public var method: String
    /// The percent-decoded path, without the query string.
    public var path: String
    public var query: [(String, String)]
    /// Header names lowercased; repeated headers keep the first value.
    public var headers: [String: String]
    public var body: [UInt8]
    /// The TCP peer's address.
    public var clientAddress: String

    public init(method: String, path: String, query: [(String, String)] = [], headers: [String: String] = [:],
                body: [UInt8] = [], clientAddress: String = "127.0.0.1") {
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.body = body
        self.clientAddress = clientAddress
    }

    /// A header by case-insensitive name.
    public func header(_ name: String) -> String? { headers[name.lowercased()] }

    /// The first query parameter with this name.
    public func queryValue(_ name: String) -> String? { query.first(where: { $0.0 == name })?.1 }
}

/// A response body served straight from a file (zero-copy), e.g. agent binaries.
public struct FileBody: Sendable, Equatable {
    public let path: String
    public let offset: UInt64
    public let length: UInt64

    public init(path: String, offset: UInt64, length: UInt64) {
        self.path = path
        self.offset = offset
        self.length = length
    }
}

/// An HTTP response.
public struct HTTPResponse: Sendable {
    public var status: Int
    public var headers: [(String, String)]
    public var body: [UInt8]
    /// When set, the body comes from this file range instead of `body`.
    public var file: FileBody?

    public init(status: Int, headers: [(String, String)] = [], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// Sets a header, replacing any with the same name.
    public mutating func setHeader(_ name: String, _ value: String) {
        let wanted = name.lowercased()
        headers.removeAll { $0.0.lowercased() == wanted }
        headers.append((name, value))
    }

    /// The first header with this name.
    public func header(_ name: String) -> String? {
        let wanted = name.lowercased()
        return headers.first(where: { $0.0.lowercased() == wanted })?.1
    }

    /// A JSON response from an encodable value.
    public static func json(_ value: some Encodable, status: Int = 200) -> HTTPResponse {
        let body = (try? WireJSON.encoder().encode(value)).map(Array.init) ?? Array("{}".utf8)
        return HTTPResponse(status: status, headers: [("Content-Type", "application/json")], body: body)
    }

    /// A JSON response from a pre-built object (for bodies whose shape is fixed by the spec).
    public static func json(object: [String: JSONValue], status: Int = 200) -> HTTPResponse {
        json(JSONValue.object(object), status: status)
    }

    /// 204 No Content.
    public static let noContent = HTTPResponse(status: 204)
}
