import Foundation
import PulseCommon

/// Docker agent ingestion, the command queue and docker host management (hub-api sections 1.3 and 3.2).
public struct DockerHandlers: Sendable {
    public typealias Registry = ManagedAgentRegistry<DockerReport>

    let registry: Registry
    let commands: DockerCommandQueue
    let metrics: any MetricsStore
    let extractor: ContainerMetricsExtractor
    let audit: AuditLog

    static let hostNotFound = APIError.notFound("docker_host_not_found", "Docker host not found")

    // MARK: Agent side

    public func report(_ context: RequestContext) throws -> HTTPResponse {
        guard let token = context.token else {
            throw APIError.forbidden("token_required", "Agent reports need an API token with docker:report, not a login session")
        }
        var report = try context.decode(DockerReport.self)
        guard let hostname = report.host?.hostname?.trimmingWhitespace(), !hostname.isEmpty else {
            throw APIError.badRequest("invalid_report", "docker report missing hostname")
        }
        guard hostname.utf8.count <= 255, !hostname.contains(where: { $0.isNewline || $0 == "\u{0}" }) else {
            throw APIError.badRequest("invalid_report", "host.hostname must be at most 255 characters without control characters")
        }
        if metrics.isSaturated(adding: 8 + 8 * (report.containers?.count ?? 0)) {
            throw APIError.unavailable("metrics store is busy; retry later", retryAfter: 5)
        }
        let timestamp = ManagedAgentTime.normalized(report.timestamp, now: context.now)
        report.timestamp = timestamp
        report.host?.hostname = hostname
        if let runtime = report.host?.runtime { report.host?.runtime = runtime.lowercased().contains("podman") ? "podman" : "docker" }
        let agentID = report.agent?.id?.trimmingWhitespace().nonEmpty ?? hostname
        let identity = ManagedIdentity(agentID: agentID, hostname: hostname,
                                       machineID: report.host?.machineId?.trimmingWhitespace().nonEmpty, explicitID: nil,
                                       tokenID: token.id, tokenName: token.name,
                                       intervalSeconds: report.agent?.intervalSeconds, timestamp: timestamp)
        let result = try actions.ingest(report, identity: identity, context: context)
        let host = result.agent
        if host.lastSeen == timestamp {
            do {
                try metrics.write(extractor.dockerSamples(hostID: host.id, report: host.report))
            } catch {
                context.logger.error("metrics samples refused", ["hostId": host.id, "error": "\(error)"])
            }
        }
        var response = DockerReportResponse(success: true, hostId: host.id, containers: report.containers?.count ?? 0,
                                            lastSeen: host.lastSeen)
        if let command = try commands.dispatch(hostID: host.id, now: context.now) {
            response.commands = [DockerCommand(id: command.id, type: command.type, payload: command.payload)]
        }
        return .json(response)
    }

    /// `POST /api/agents/docker/commands/{id}/ack`. A completed `stop` removes the host and clears its block.
    public func ack(_ context: RequestContext) throws -> HTTPResponse {
        let id = try context.parameter("id")
        let body = try context.decode(DockerCommandAck.self)
        let token = context.token
        let record: DockerCommandRecord
        do {
            record = try commands.acknowledge(id: id, status: body.status, message: body.message, now: context.now) { hostID in
                guard let host = registry.agent(id: hostID) else { return false }
                if let sender = body.hostId?.trimmingWhitespace().nonEmpty, sender != host.agentID, sender != host.id {
                    return false
                }
                guard let token else { return true }
                return host.tokenID == token.id || token.scopes.grants(.dockerManage)
            }
        } catch DockerCommandError.unknownCommand {
            throw APIError.notFound("command_not_found", "Unknown command")
        } catch DockerCommandError.invalidStatus {
            throw APIError.badRequest("invalid_status", "status must be acknowledged, in_progress, completed or failed "
                                      + "(or ack, progress, success, complete, fail, error)")
        } catch DockerCommandError.wrongHost {
            throw APIError.forbidden("command_host_mismatch", "This command belongs to another docker host")
        }
        if record.isFinished {
            audit.record("docker_command_\(record.status)", user: context.principal?.displayName, ip: context.clientIP,
                         path: context.request.path, success: record.status == DockerCommandAck.completed,
                         details: "\(record.type) on docker host \(record.hostID)" + (record.message.map { ": \($0)" } ?? ""),
                         now: context.now)
        }
        if record.type == DockerCommand.stop, record.status == DockerCommandAck.completed {
            try registry.remove(id: record.hostID, block: false, now: context.now)
            commands.forget(hostID: record.hostID)
            extractor.forget(hostID: record.hostID)
        }
        return .json(object: ["success": .bool(true), "hostId": .string(record.hostID), "command": record.view])
    }

    // MARK: Management

    /// `DELETE /api/agents/docker/hosts/{id}`: `?hide=true` hides; an online host without `force=true` (or
    /// `mode=force`) gets a `stop` command; otherwise the host is removed and blocked for 24 h.
    public func deleteHost(_ context: RequestContext) throws -> HTTPResponse {
        let id = try context.parameter("id")
        let request = context.request
        let force = request.queryValue("force") == "true" || request.queryValue("mode") == "force"
        guard let host = registry.agent(id: id) else {
            if force {
                return .json(object: ["success": .bool(true), "hostId": .string(id), "message": .string("Docker host already removed")])
            }
            throw Self.hostNotFound
        }
        if request.queryValue("hide") == "true" {
            try registry.update(id: id) { $0.hidden = true }
            audit.record("docker_host_hidden", user: context.principal?.displayName, ip: context.clientIP,
                         path: request.path, details: "docker host \(id)", now: context.now)
            return .json(object: ["success": .bool(true), "hostId": .string(id), "message": .string("Docker host hidden")])
        }
        if host.status(now: context.now) == "online", !force {
            let command = try commands.enqueue(hostID: id, type: DockerCommand.stop, payload: nil, now: context.now)
            try registry.update(id: id) { $0.pendingUninstall = true }
            audit.record("docker_command_queued", user: context.principal?.displayName, ip: context.clientIP,
                         path: request.path, details: "stop on docker host \(id)", now: context.now)
            return .json(object: ["success": .bool(true), "hostId": .string(id), "command": command.view,
                                  "message": .string("Stop command queued")])
        }
        try registry.remove(id: id, block: true, now: context.now)
        commands.forget(hostID: id)
        extractor.forget(hostID: id)
        audit.record("docker_host_removed", user: context.principal?.displayName, ip: context.clientIP,
                     path: request.path, details: "docker host \(id) (\(host.hostname)); re-enrolment blocked for 24 h",
                     now: context.now)
        return .json(object: ["success": .bool(true), "hostId": .string(id), "message": .string("Docker host removed")])
    }

    private var actions: ManagedAgentActions<DockerReport> {
        ManagedAgentActions(registry: registry, audit: audit, idKey: "hostId", noun: "Docker host", auditNoun: "docker host",
                            auditPrefix: "docker_host", notFound: Self.hostNotFound)
    }

    public func allowReenroll(_ context: RequestContext) throws -> HTTPResponse { try actions.allowReenroll(context) }
    public func unhide(_ context: RequestContext) throws -> HTTPResponse { try actions.unhide(context) }
    public func pendingUninstall(_ context: RequestContext) throws -> HTTPResponse { try actions.pendingUninstall(context) }
    public func displayName(_ context: RequestContext) throws -> HTTPResponse { try actions.displayName(context) }

    public func checkUpdates(_ context: RequestContext) throws -> HTTPResponse {
        let id = try context.parameter("id")
        guard registry.agent(id: id) != nil else { throw Self.hostNotFound }
        let command = try commands.enqueue(hostID: id, type: DockerCommand.checkUpdates, payload: nil, now: context.now)
        audit.record("docker_command_queued", user: context.principal?.displayName, ip: context.clientIP,
                     path: context.request.path, details: "check_updates on docker host \(id)", now: context.now)
        return .json(object: ["success": .bool(true), "hostId": .string(id), "command": command.view])
    }

    struct UpdateContainerRequest: Decodable {
        let hostId: String?
        let containerId: String?
        let containerName: String?
    }

    public func updateContainer(_ context: RequestContext) throws -> HTTPResponse {
        let body = try context.decode(UpdateContainerRequest.self)
        guard let hostID = body.hostId?.trimmingWhitespace().nonEmpty else {
            throw APIError.badRequest("missing_host_id", "hostId is required")
        }
        let containerID = body.containerId?.trimmingWhitespace() ?? ""
        let containerName = body.containerName?.trimmingWhitespace() ?? ""
        guard !containerID.isEmpty || !containerName.isEmpty else {
            throw APIError.badRequest("missing_container", "containerId or containerName is required")
        }
        guard let host = registry.agent(id: hostID) else {
            throw Self.hostNotFound
        }
        let known = (host.report.containers ?? []).first {
            (!containerID.isEmpty && ($0.id == containerID || ($0.id ?? "").hasPrefix(containerID)))
                || (!containerName.isEmpty && $0.name == containerName)
        }
        guard let known else { throw APIError.notFound("container_not_found", "The host has not reported that container") }
        if (known.name ?? "").contains("_pulse_backup_") {
            throw APIError.badRequest("backup_container", "Update backups cannot be updated")
        }
        let payload: [String: JSONValue] = ["containerId": .string(known.id ?? containerID),
                                            "containerName": .string(known.name ?? containerName)]
        let command = try commands.enqueue(hostID: hostID, type: DockerCommand.updateContainer, payload: payload,
                                           now: context.now)
        audit.record("docker_command_queued", user: context.principal?.displayName, ip: context.clientIP,
                     path: context.request.path,
                     details: "update_container \(known.name ?? containerID) on docker host \(hostID)", now: context.now)
        return .json(object: ["success": .bool(true), "hostId": .string(hostID), "command": command.view])
    }
}

/// Report timestamps: Go's zero time or anything before 2000 means "not set", and a clock ahead of the hub's by
/// more than a minute is clamped: both become the hub's time.
enum ManagedAgentTime {
    static func normalized(_ timestamp: Date?, now: Date) -> Date {
        guard let timestamp, timestamp.timeIntervalSince1970 >= 946_684_800, timestamp <= now.addingTimeInterval(60) else {
            return now
        }
        return timestamp
    }
}

extension String {
    /// `nil` for an empty string.
    var nonEmpty: String? { isEmpty ? nil : self }
}
