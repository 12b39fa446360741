import Foundation
import PulseCommon

/// `/api/audit`, `/api/audit/{id}/verify` and the audit webhooks (hub-api section 7).
public struct AuditHandlers: Sendable {
    let audit: AuditLog
    let guardrail: WebhookURLGuard
    let store: ControlStore
    public static let maximumWebhooks = 10

    public func list(_ context: RequestContext) throws -> HTTPResponse {
        let query = try Self.parseQuery(context.request)
        let result = try audit.query(query)
        return .json(object: ["events": .array(result.events.map(\.json)), "total": .number(Double(result.total)),
                              "persistentLogging": .bool(true)])
    }

    /// The spec's filters: `event`, `user`, `success` (`true`, anything else false), `startTime`/`endTime` (RFC 3339,
    /// unparseable values ignored), `limit` (1…1000, default 100) and `offset` (≥ 0).
    static func parseQuery(_ request: HTTPRequest) throws(APIError) -> AuditQuery {
        var query = AuditQuery()
        func text(_ name: String) throws(APIError) -> String? {
            guard let value = request.queryValue(name), !value.isEmpty else { return nil }
            guard value.utf8.count <= 256 else { throw APIError.badRequest("invalid_parameter", "\(name) is too long") }
            return value
        }
        query.event = try text("event")
        query.user = try text("user")
        if let success = try text("success") { query.success = success == "true" }
        query.start = try text("startTime").flatMap(RFC3339.parse)
        query.end = try text("endTime").flatMap(RFC3339.parse)
        if let limit = try text("limit") {
            guard let value = Int(limit), value > 0 else { throw APIError.badRequest("invalid_limit", "limit must be a whole number above 0") }
            query.limit = min(value, 1000)
        }
        if let offset = try text("offset") {
            guard let value = Int(offset), value >= 0 else { throw APIError.badRequest("invalid_offset", "offset must be a whole number, 0 or more") }
            query.offset = value
        }
        return query
    }

    public func verify(_ context: RequestContext) throws -> HTTPResponse {
        let id = try context.parameter("id")
        guard id.utf8.count <= 64, let outcome = try audit.verify(id: id) else {
            throw APIError.notFound("event_not_found", "Audit event not found")
        }
        return .json(object: ["available": .bool(true), "verified": .bool(outcome.verified), "message": .string(outcome.message)])
    }

    // MARK: Webhooks

    public func webhooks(_ context: RequestContext) throws -> HTTPResponse {
        .json(object: ["urls": .array(audit.webhooks.map { .string($0) })])
    }

    struct WebhooksRequest: Decodable {
        let urls: [String]?
    }

    /// Replaces the webhook list. Every URL is checked (form and resolved addresses) before anything is saved.
    public func setWebhooks(_ context: RequestContext) throws -> HTTPResponse {
        let body = try context.decode(WebhooksRequest.self)
        guard let urls = body.urls else { throw APIError.badRequest("invalid_request", "urls (an array of http(s) URLs) is required") }
        guard urls.count <= Self.maximumWebhooks else {
            throw APIError.badRequest("too_many_urls", "At most \(Self.maximumWebhooks) webhook URLs are allowed")
        }
        var accepted: [String] = []
        for url in urls {
            do {
                let target = try guardrail.parse(url)
                _ = try guardrail.check(target)
                if !accepted.contains(target.url) { accepted.append(target.url) }
            } catch {
                throw APIError.badRequest("invalid_webhook_url", error.description)
            }
        }
        let previous = audit.webhooks
        try audit.setWebhooks(accepted)
        audit.record("audit_webhooks_updated", user: context.principal?.displayName, ip: context.clientIP, path: context.request.path,
                     details: "\(previous.count) → \(accepted.count) URLs", now: context.now)
        return .noContent
    }

    /// Recent deliveries (newest first): status, attempts, last error. Bodies are not returned.
    public func deliveries(_ context: RequestContext) throws -> HTTPResponse {
        var limit = 100
        if let text = context.request.queryValue("limit") {
            guard let value = Int(text), value > 0 else { throw APIError.badRequest("invalid_limit", "limit must be a whole number above 0") }
            limit = min(value, 1000)
        }
        let rows = try store.recentDeliveries(limit: limit).map { delivery -> JSONValue in
            var object: [String: JSONValue] = [
                "id": .number(Double(delivery.id)), "eventId": .string(delivery.eventID), "event": .string(delivery.event),
                "url": .string(delivery.url), "status": .string(delivery.status.rawValue),
                "attempts": .number(Double(delivery.attempts)), "createdAt": .string(RFC3339.format(delivery.createdAt)),
                "updatedAt": .string(RFC3339.format(delivery.updatedAt)),
            ]
            if delivery.status == .pending { object["nextAttemptAt"] = .string(RFC3339.format(delivery.nextAttemptAt)) }
            if let status = delivery.lastStatus { object["lastStatus"] = .number(Double(status)) }
            if let error = delivery.lastError { object["lastError"] = .string(error) }
            return .object(object)
        }
        return .json(object: ["deliveries": .array(rows), "pending": .number(Double(try store.pendingDeliveryCount()))])
    }
}
