import Foundation
import PulseCommon

/// The management actions docker hosts and Kubernetes clusters share (allow re-enrolment, unhide, pending
/// uninstall, display name), parameterised by the words each kind answers with.
struct ManagedAgentActions<Report: Codable & Sendable>: Sendable {
    let registry: ManagedAgentRegistry<Report>
    let audit: AuditLog
    /// The id's key in responses: `hostId` or `clusterId`.
    let idKey: String
    /// How responses name the kind: `Docker host`, `Cluster`.
    let noun: String
    /// How audit details name it: `docker host`, `cluster`; and the audit event prefix.
    let auditNoun: String
    let auditPrefix: String
    let notFound: APIError

    /// Stores a report in the registry, mapping the registry's refusals to 400 and a busy store to 503.
    func ingest(_ report: Report, identity: ManagedIdentity,
                context: RequestContext) throws -> (agent: ManagedAgent<Report>, created: Bool) {
        do {
            return try registry.ingest(report, raw: context.request.body, identity: identity, now: context.now)
        } catch let error as ManagedIngestError {
            throw APIError.badRequest("invalid_report", error.message)
        } catch let error as SQLiteError where error.isBusy {
            throw APIError.unavailable("store busy, retry later")
        }
    }

    func allowReenroll(_ context: RequestContext) throws -> HTTPResponse {
        let id = try context.parameter("id")
        let had = try registry.allowReenroll(id: id)
        audit.record("\(auditPrefix)_reenroll_allowed", user: context.principal?.displayName, ip: context.clientIP,
                     path: context.request.path, details: "\(auditNoun) \(id)", now: context.now)
        return .json(object: ["success": .bool(true), idKey: .string(id),
                              "message": .string(had ? "Re-enrolment allowed" : "\(noun) was not blocked")])
    }

    func unhide(_ context: RequestContext) throws -> HTTPResponse {
        try setFlag(context, "\(noun) visible") { $0.hidden = false }
    }

    func pendingUninstall(_ context: RequestContext) throws -> HTTPResponse {
        try setFlag(context, "\(noun) marked pending uninstall") { $0.pendingUninstall = true }
    }

    struct DisplayNameRequest: Decodable { let displayName: String? }

    func displayName(_ context: RequestContext) throws -> HTTPResponse {
        let body = try context.decode(DisplayNameRequest.self)
        let name = body.displayName?.trimmingWhitespace() ?? ""
        guard name.count <= 128, !name.contains(where: { $0.isNewline || $0 == "\u{0}" }) else {
            throw APIError.badRequest("invalid_display_name", "displayName must be at most 128 characters on one line")
        }
        return try setFlag(context, name.isEmpty ? "Display name cleared" : "Display name updated") {
            $0.customDisplayName = name.isEmpty ? nil : name
        }
    }

    private func setFlag(_ context: RequestContext, _ message: String,
                         _ change: (inout ManagedAgent<Report>) -> Void) throws -> HTTPResponse {
        let id = try context.parameter("id")
        guard let agent = try registry.update(id: id, change) else { throw notFound }
        return .json(object: ["success": .bool(true), idKey: .string(agent.id), "message": .string(message),
                              "hidden": .bool(agent.hidden), "pendingUninstall": .bool(agent.pendingUninstall),
                              "customDisplayName": agent.customDisplayName.map { .string($0) } ?? .null])
    }
}
