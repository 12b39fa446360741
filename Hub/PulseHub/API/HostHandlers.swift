import Foundation
import PulseCommon

/// Host-agent ingestion and host management (hub-api sections 3.1 and 3.4).
public struct HostHandlers: Sendable {
    let registry: HostRegistry
    let tokens: TokenService
    let metrics: any MetricsStore
    let extractor: HostMetricsExtractor
    let audit: AuditLog
    let profiles: ProfileService

    public func report(_ context: RequestContext) throws -> HTTPResponse {
        guard let token = context.token else {
            throw APIError.forbidden("token_required", "Agent reports need an API token with host-agent:report, not a login session")
        }
        let report = try context.decode(HostReport.self)
        // Back-pressure before anything changes: the agent keeps the report and retries.
        if metrics.isSaturated(adding: 256) {
            throw APIError.unavailable("metrics store is busy; retry later", retryAfter: 5)
        }
        let result: HostIngestResult
        do {
            result = try registry.ingest(report, raw: context.request.body, tokenID: token.id, now: context.now)
        } catch HostIngestError.missingHostname {
            throw APIError.badRequest("invalid_report", "host report missing hostname")
        } catch HostIngestError.invalid(let message) {
            throw APIError.badRequest("invalid_report", message)
        } catch let error as SQLiteError where error.isBusy {
            throw APIError.unavailable("store busy, retry later")
        }
        let host = result.host
        if result.applied {
            do {
                try metrics.write(extractor.samples(hostID: host.id, report: host.report))
            } catch {
                context.logger.error("metrics samples refused", ["hostId": host.id, "error": "\(error)"])
                throw APIError.unavailable("metrics store is busy; retry later", retryAfter: 5)
            }
        }
        let response = HostReportResponse(
            success: true, hostId: host.id, lastSeen: host.lastSeen, platform: host.report.host?.platform ?? "",
            osName: host.report.host?.osName ?? "", osVersion: host.report.host?.osVersion ?? "",
            config: host.commandsEnabledOverride.map { HostReportResponse.Config(commandsEnabled: $0) },
            configVersion: profiles.configVersion(forHost: host.id, commandsEnabled: host.commandsEnabledOverride))
        return .json(response)
    }

    public func lookup(_ context: RequestContext) throws -> HTTPResponse {
        let id = context.request.queryValue("id")
        let hostname = context.request.queryValue("hostname")
        guard (id?.isEmpty == false) || (hostname?.isEmpty == false) else {
            throw APIError.badRequest("missing_parameter", "id or hostname is required")
        }
        guard let host = registry.lookup(id: id, hostname: hostname) else {
            throw APIError.notFound("host_not_found", "Host not found")
        }
        try authorizeOwnership(of: host, context: context, code: "host_lookup_forbidden")
        let status = host.status(now: context.now)
        var body: [String: JSONValue] = [
            "id": .string(host.id), "hostname": .string(host.hostname),
            "displayName": .string(host.report.host?.displayName ?? host.hostname), "status": .string(status),
            "connected": .bool(status == "online"), "lastSeen": .string(RFC3339.format(host.lastSeen)),
        ]
        body["agentVersion"] = .string(host.report.agent?.version ?? "")
        return .json(object: ["success": .bool(true), "host": .object(body)])
    }

    struct UninstallRequest: Decodable {
        let hostId: String?
    }

    /// An agent unregisters itself. A token may remove only the host bound to it (the reference lets any
    /// reporting token remove any host).
    public func uninstall(_ context: RequestContext) throws -> HTTPResponse {
        let body = try context.decode(UninstallRequest.self)
        guard let hostID = body.hostId?.trimmingWhitespace(), !hostID.isEmpty else {
            throw APIError.badRequest("missing_host_id", "hostId is required")
        }
        if let host = registry.host(id: hostID) {
            try authorizeOwnership(of: host, context: context, code: "host_uninstall_forbidden")
            try remove(hostID, context: context)
        }
        return .json(object: ["success": .bool(true), "hostId": .string(hostID),
                              "message": .string("Host agent unregistered")])
    }

    /// An administrator removes a host; its token is revoked when no other host uses it.
    public func delete(_ context: RequestContext) throws -> HTTPResponse {
        let hostID = try context.parameter("id")
        guard registry.host(id: hostID) != nil else { throw APIError.notFound("host_not_found", "Host not found") }
        try remove(hostID, context: context)
        return .json(object: ["success": .bool(true), "hostId": .string(hostID), "message": .string("Host removed")])
    }

    private func remove(_ hostID: String, context: RequestContext) throws {
        let outcome = try registry.remove(id: hostID, revokeUnusedToken: true)
        extractor.forget(hostID: hostID)
        if let revoked = outcome.revokedTokenID { tokens.forget(id: revoked) }
        audit.record(context.request.method == "DELETE" ? "host_deleted" : "host_uninstalled",
                     user: context.principal?.displayName, ip: context.clientIP, path: context.request.path,
                     details: "host \(hostID)" + (outcome.revokedTokenID.map { ", token \($0) revoked" } ?? ""), now: context.now)
    }

    /// A token may act on a host bound to it; tokens holding `host-agent:manage`, `settings:write` or `*` may act
    /// on any host.
    private func authorizeOwnership(of host: HostEntry, context: RequestContext, code: String) throws(APIError) {
        guard let token = context.token else { return }
        if token.scopes.grants(.hostAgentManage) || token.scopes.contains(.settingsWrite) { return }
        guard host.tokenID == token.id else {
            throw APIError.forbidden(code, "This host is bound to a different API token")
        }
    }
}
