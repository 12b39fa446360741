import Foundation
import PulseCommon

/// An agent profile (hub-api section 4): a named settings map.
public struct AgentProfile: Sendable, Equatable {
    public var id: String
    public var name: String
    public var config: [String: JSONValue]
    public var createdAt: Date
    public var updatedAt: Date

    /// The API shape (`created_at` / `updated_at` as the spec names them).
    public var json: JSONValue {
        .object(["id": .string(id), "name": .string(name), "config": .object(config),
                 "created_at": .string(RFC3339.format(createdAt)), "updated_at": .string(RFC3339.format(updatedAt))])
    }
}

/// One agent's profile.
public struct ProfileAssignment: Sendable, Equatable {
    public var agentID: String
    public var profileID: String
    public var updatedAt: Date

    public var json: JSONValue {
        .object(["agent_id": .string(agentID), "profile_id": .string(profileID), "updated_at": .string(RFC3339.format(updatedAt))])
    }
}

extension ControlStore {
    public func allProfiles() throws -> [AgentProfile] {
        try database.query("SELECT id, name, config, created_at, updated_at FROM agent_profiles ORDER BY created_at, id").compactMap { row in
            guard let id = row[0].string, let name = row[1].string, let text = row[2].string, let created = row[3].int64,
                  let updated = row[4].int64,
                  case .object(let config)? = try? WireJSON.decoder().decode(JSONValue.self, from: Data(text.utf8)) else { return nil }
            return AgentProfile(id: id, name: name, config: config, createdAt: Date(unixMilliseconds: created),
                                updatedAt: Date(unixMilliseconds: updated))
        }
    }

    public func save(_ profile: AgentProfile) throws {
        let config = String(decoding: try WireJSON.encoder().encode(JSONValue.object(profile.config)), as: UTF8.self)
        try database.run("""
            INSERT INTO agent_profiles(id, name, config, created_at, updated_at) VALUES(?, ?, ?, ?, ?)
            ON CONFLICT(id) DO UPDATE SET name = excluded.name, config = excluded.config, updated_at = excluded.updated_at
            """, [.text(profile.id), .text(profile.name), .text(config), .integer(profile.createdAt.unixMilliseconds),
                  .integer(profile.updatedAt.unixMilliseconds)])
    }

    /// Deletes a profile and the assignments pointing at it. Returns whether it existed.
    public func deleteProfile(id: String) throws -> Bool {
        try database.transaction { transaction in
            try transaction.run("DELETE FROM agent_profile_assignments WHERE profile_id = ?", [.text(id)])
            return try transaction.run("DELETE FROM agent_profiles WHERE id = ?", [.text(id)]) > 0
        }
    }

    public func allAssignments() throws -> [ProfileAssignment] {
        try database.query("SELECT agent_id, profile_id, updated_at FROM agent_profile_assignments ORDER BY agent_id").compactMap { row in
            guard let agent = row[0].string, let profile = row[1].string, let updated = row[2].int64 else { return nil }
            return ProfileAssignment(agentID: agent, profileID: profile, updatedAt: Date(unixMilliseconds: updated))
        }
    }

    public func save(_ assignment: ProfileAssignment) throws {
        try database.run("""
            INSERT INTO agent_profile_assignments(agent_id, profile_id, updated_at) VALUES(?, ?, ?)
            ON CONFLICT(agent_id) DO UPDATE SET profile_id = excluded.profile_id, updated_at = excluded.updated_at
            """, [.text(assignment.agentID), .text(assignment.profileID), .integer(assignment.updatedAt.unixMilliseconds)])
    }

    public func deleteAssignment(agentID: String) throws {
        try database.run("DELETE FROM agent_profile_assignments WHERE agent_id = ?", [.text(agentID)])
    }

    /// Persists a host's `commandsEnabled` override at once (not with the batched host snapshot).
    public func setCommandsEnabledOverride(hostID: String, _ value: Bool?) throws {
        try database.run("UPDATE hosts SET commands_enabled_override = ? WHERE id = ?",
                         [value.map { .integer($0 ? 1 : 0) } ?? .null, .text(hostID)])
    }
}
