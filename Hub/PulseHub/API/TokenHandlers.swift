import Foundation
import PulseCommon

/// `/api/security/tokens` and `/api/security/validate-token`.
public struct TokenHandlers: Sendable {
    let tokens: TokenService
    let audit: AuditLog

    /// A token as the API shows it: never the hash or the raw value.
    struct TokenDTO: Encodable {
        let id: String
        let name: String
        let prefix: String
        let suffix: String
        let createdAt: Date
        let lastUsedAt: Date?
        let scopes: [String]

        init(_ record: APITokenRecord) {
            id = record.id
            name = record.name
            prefix = record.prefix
            suffix = record.suffix
            createdAt = record.createdAt
            lastUsedAt = record.lastUsedAt
            scopes = record.scopes.map(\.rawValue)
        }

        var json: JSONValue {
            var object: [String: JSONValue] = ["id": .string(id), "name": .string(name), "prefix": .string(prefix),
                                               "suffix": .string(suffix), "createdAt": .string(RFC3339.format(createdAt)),
                                               "scopes": .array(scopes.map { .string($0) })]
            if let lastUsedAt { object["lastUsedAt"] = .string(RFC3339.format(lastUsedAt)) }
            return .object(object)
        }
    }

    struct CreateRequest: Decodable {
        let name: String?
        let scopes: [String]?
    }

    struct CreateResponse: Encodable {
        let token: String
        let record: TokenDTO
    }

    public func list(_ context: RequestContext) throws -> HTTPResponse {
        .json(["tokens": tokens.list().map(TokenDTO.init)])
    }

    public func create(_ context: RequestContext) throws -> HTTPResponse {
        let body = try context.decode(CreateRequest.self)
        let scopes: [Scope]
        do {
            scopes = try Scope.normalize(body.scopes)
        } catch {
            throw APIError.badRequest("invalid_scopes", error.description)
        }
        let name = try Self.validatedName(body.name)
        let created = try tokens.create(name: name, scopes: scopes, now: context.now)
        audit.record("token_created", user: context.principal?.displayName, ip: context.clientIP, path: context.request.path,
                     details: "token \(created.record.id) \"\(name)\" scopes \(scopes.map(\.rawValue).joined(separator: ","))",
                     now: context.now)
        return .json(CreateResponse(token: created.raw, record: TokenDTO(created.record)))
    }

    public func revoke(_ context: RequestContext) throws -> HTTPResponse {
        let id = try context.parameter("id")
        guard try tokens.revoke(id: id) else { throw APIError.notFound("token_not_found", "Token not found") }
        audit.record("token_revoked", user: context.principal?.displayName, ip: context.clientIP, path: context.request.path,
                     details: "token \(id)", now: context.now)
        return .noContent
    }

    /// The token name: trimmed, `API token` when absent, at most 128 characters, no control characters.
    static func validatedName(_ raw: String?) throws(APIError) -> String {
        let name = raw?.trimmingWhitespace() ?? ""
        if name.isEmpty { return "API token" }
        guard name.count <= 128 else { throw APIError.badRequest("invalid_name", "name must be at most 128 characters") }
        guard !name.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7f }) else {
            throw APIError.badRequest("invalid_name", "name must not contain control characters")
        }
        return name
    }
}
