import Foundation
import PulseCommon

/// Agent profiles and assignments (hub-api section 4), per-host remote config (section 3.4), host unlink and the
/// agent install command.
public struct FleetHandlers: Sendable {
    let profiles: ProfileService
    let registry: HostRegistry
    let tokens: TokenService
    let audit: AuditLog
    /// Where agents connect (`PULSE_AGENT_CONNECT_URL` / `PULSE_PUBLIC_URL`), else taken from the request.
    let agentURL: String?
    let httpsEnabled: Bool

    // MARK: Profiles

    struct ProfileRequest: Decodable {
        let name: String?
        let config: JSONValue?
    }

    public func listProfiles(_ context: RequestContext) throws -> HTTPResponse {
        .json(JSONValue.array(profiles.profiles.map(\.json)))
    }

    public func createProfile(_ context: RequestContext) throws -> HTTPResponse {
        let (name, config) = try validatedProfile(context)
        let profile = try profiles.create(name: name, config: config, now: context.now)
        audit.record("profile_created", user: context.principal?.displayName, ip: context.clientIP, path: context.request.path,
                     details: "profile \(profile.id) \"\(name)\": \(config.keys.sorted().joined(separator: ","))", now: context.now)
        return .json(profile.json)
    }

    public func updateProfile(_ context: RequestContext) throws -> HTTPResponse {
        let id = try context.parameter("id")
        let (name, config) = try validatedProfile(context)
        guard let profile = try profiles.update(id: id, name: name, config: config, now: context.now) else {
            throw APIError.notFound("profile_not_found", "Profile not found")
        }
        audit.record("profile_updated", user: context.principal?.displayName, ip: context.clientIP, path: context.request.path,
                     details: "profile \(id) \"\(name)\": \(config.keys.sorted().joined(separator: ","))", now: context.now)
        return .json(profile.json)
    }

    public func deleteProfile(_ context: RequestContext) throws -> HTTPResponse {
        let id = try context.parameter("id")
        guard try profiles.delete(id: id) else { throw APIError.notFound("profile_not_found", "Profile not found") }
        audit.record("profile_deleted", user: context.principal?.displayName, ip: context.clientIP, path: context.request.path,
                     details: "profile \(id)", now: context.now)
        return HTTPResponse(status: 200)
    }

    /// Name (1–128 characters, no control characters) and settings checked against the agent's settings and types:
    /// an unknown key or a wrong type is a 422 naming it.
    private func validatedProfile(_ context: RequestContext) throws(APIError) -> (String, [String: JSONValue]) {
        let body = try context.decode(ProfileRequest.self)
        guard let name = body.name?.trimmingWhitespace(), !name.isEmpty else {
            throw APIError.badRequest("missing_name", "name is required")
        }
        guard name.count <= 128, !name.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7f }) else {
            throw APIError.badRequest("invalid_name", "name must be at most 128 characters, without control characters")
        }
        var config: [String: JSONValue] = [:]
        switch body.config {
        case nil, .null?: break
        case .object(let object)?: config = object
        default: throw APIError.unprocessable("config must be an object of settings")
        }
        let problems = AgentSettingsSchema.validate(config)
        if let first = problems.first {
            var details: [String: String] = [:]
            for problem in problems { details[problem.key] = problem.message }
            var error = APIError.unprocessable("Invalid setting \(first.description)", details: details)
            error.code = "invalid_settings"
            throw error
        }
        return (name, config)
    }

    // MARK: Assignments

    struct AssignmentRequest: Decodable {
        let agent_id: String?
        let profile_id: String?
    }

    public func listAssignments(_ context: RequestContext) throws -> HTTPResponse {
        .json(JSONValue.array(profiles.assignments.map(\.json)))
    }

    /// Assigns a profile to a host (one per host, replacing any). Both must exist.
    public func assign(_ context: RequestContext) throws -> HTTPResponse {
        let body = try context.decode(AssignmentRequest.self)
        guard let agentID = body.agent_id?.trimmingWhitespace(), !agentID.isEmpty,
              let profileID = body.profile_id?.trimmingWhitespace(), !profileID.isEmpty else {
            throw APIError.badRequest("missing_fields", "agent_id and profile_id are required")
        }
        guard profiles.profile(id: profileID) != nil else {
            var error = APIError.unprocessable("No profile with id \(profileID)", details: ["profile_id": profileID])
            error.code = "unknown_profile"
            throw error
        }
        guard registry.host(id: agentID) != nil else {
            var error = APIError.unprocessable("No host with id \(agentID): use a host id from /api/state", details: ["agent_id": agentID])
            error.code = "unknown_agent"
            throw error
        }
        let assignment = try profiles.assign(agentID: agentID, profileID: profileID, now: context.now)
        audit.record("profile_assigned", user: context.principal?.displayName, ip: context.clientIP, path: context.request.path,
                     details: "host \(agentID) → profile \(profileID)", now: context.now)
        return .json(assignment.json)
    }

    public func unassign(_ context: RequestContext) throws -> HTTPResponse {
        let agentID = try context.parameter("agent_id")
        try profiles.unassign(agentID: agentID)
        audit.record("profile_unassigned", user: context.principal?.displayName, ip: context.clientIP, path: context.request.path,
                     details: "host \(agentID)", now: context.now)
        return .noContent
    }

    // MARK: Host config

    /// `{success,hostId,config:{commandsEnabled?,settings?},configVersion}`. Tokens with `host-agent:manage`,
    /// `settings:write` or `*` may read any host's; other tokens only their own host's.
    public func hostConfig(_ context: RequestContext) throws -> HTTPResponse {
        let hostID = try context.parameter("id")
        guard let host = registry.host(id: hostID) else { throw APIError.notFound("host_not_found", "Host not found") }
        if let token = context.token, !token.scopes.grants(.hostAgentManage), !token.scopes.contains(.settingsWrite),
           host.tokenID != token.id {
            throw APIError.forbidden("host_config_forbidden", "This host is bound to a different API token")
        }
        var config: [String: JSONValue] = [:]
        if let commands = host.commandsEnabledOverride { config["commandsEnabled"] = .bool(commands) }
        if let assigned = profiles.settings(forHost: hostID) {
            config["settings"] = .object(assigned.settings)
            config["profileId"] = .string(assigned.profile.id)
        }
        return .json(object: ["success": .bool(true), "hostId": .string(hostID), "config": .object(config),
                              "configVersion": .string(profiles.configVersion(forHost: hostID, commandsEnabled: host.commandsEnabledOverride))])
    }

    struct PatchConfigRequest: Decodable {
        let commandsEnabled: Bool?
        private enum CodingKeys: String, CodingKey { case commandsEnabled }

        /// Whether the field was present (null clears the override).
        let present: Bool

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            present = container.contains(.commandsEnabled)
            commandsEnabled = try container.decodeIfPresent(Bool.self, forKey: .commandsEnabled)
        }
    }

    public func patchHostConfig(_ context: RequestContext) throws -> HTTPResponse {
        let hostID = try context.parameter("id")
        let body = try context.decode(PatchConfigRequest.self)
        guard body.present else { throw APIError.badRequest("missing_fields", "commandsEnabled (true, false or null) is required") }
        guard try registry.setCommandsEnabled(id: hostID, body.commandsEnabled) else {
            throw APIError.notFound("host_not_found", "Host not found")
        }
        audit.record("host_config_updated", user: context.principal?.displayName, ip: context.clientIP, path: context.request.path,
                     details: "host \(hostID) commandsEnabled=\(body.commandsEnabled.map(String.init) ?? "default")", now: context.now)
        return .json(object: ["success": .bool(true), "hostId": .string(hostID),
                              "config": .object(body.commandsEnabled.map { ["commandsEnabled": .bool($0)] } ?? [:])])
    }

    struct UnlinkRequest: Decodable {
        let hostId: String?
    }

    /// Unlinks a host from the node it was matched with. This hub does not link hosts to Proxmox nodes, so there is
    /// never a link to remove; the endpoint answers as the spec says for a known host.
    public func unlink(_ context: RequestContext) throws -> HTTPResponse {
        let body = try context.decode(UnlinkRequest.self)
        guard let hostID = body.hostId?.trimmingWhitespace(), !hostID.isEmpty else {
            throw APIError.badRequest("missing_host_id", "hostId is required")
        }
        guard registry.host(id: hostID) != nil else { throw APIError.notFound("host_not_found", "Host not found") }
        audit.record("host_unlinked", user: context.principal?.displayName, ip: context.clientIP, path: context.request.path,
                     details: "host \(hostID)", now: context.now)
        return .json(object: ["success": .bool(true), "hostId": .string(hostID), "message": .string("Host unlinked")])
    }

    // MARK: Install command

    struct InstallCommandRequest: Decodable {
        let name: String?
        let enableDocker: Bool?
        let enableKubernetes: Bool?
    }

    /// Mints a `host-agent:report` token (never a manage one) and returns the one-line install command.
    public func installCommand(_ context: RequestContext) throws -> HTTPResponse {
        let body = context.request.body.isEmpty ? nil : try context.decode(InstallCommandRequest.self)
        let name = try TokenHandlers.validatedName(body?.name ?? "Agent install \(RFC3339.format(context.now).prefix(10))")
        var scopes: [Scope] = [.hostAgentReport]
        if body?.enableDocker == true { scopes.append(.dockerReport) }
        if body?.enableKubernetes == true { scopes.append(.kubernetesReport) }
        let created = try tokens.create(name: name, scopes: scopes, now: context.now)
        let url = agentURL ?? (httpsEnabled ? "https://" : "http://")
            + (context.request.header("Host").flatMap(SecurityHandlers.sanitizedHost) ?? "localhost:7655")
        var command = "curl -fsSL \(url)/install.sh | bash -s -- --url \(url) --token \(created.raw)"
        if body?.enableDocker == true { command += " --enable-docker" }
        if body?.enableKubernetes == true { command += " --enable-kubernetes" }
        audit.record("token_created", user: context.principal?.displayName, ip: context.clientIP, path: context.request.path,
                     details: "token \(created.record.id) \"\(name)\" scopes \(scopes.map(\.rawValue).joined(separator: ",")) for an agent install",
                     now: context.now)
        return .json(object: ["command": .string(command), "token": .string(created.raw), "tokenId": .string(created.record.id),
                              "url": .string(url)])
    }
}
