import Foundation
import PulseCommon

/// A docker host or Kubernetes cluster as persisted.
public struct StoredManagedAgent: Sendable, Equatable {
    public var kind: String
    public var id: String
    public var agentID: String
    public var tokenID: String?
    public var hostname: String
    public var displayName: String?
    public var hidden: Bool
    public var pendingUninstall: Bool
    public var firstSeen: Date
    public var lastSeen: Date
    /// The last applied report as JSON; empty in an update means "unchanged".
    public var report: [UInt8]
}

/// A deliberate removal that blocks re-enrolment for 24 hours.
public struct StoredRemoval: Sendable, Equatable {
    public var kind: String
    public var id: String
    public var agentID: String
    public var hostname: String
    public var displayName: String?
    public var removedAt: Date
}

/// A docker command as persisted.
public struct StoredDockerCommand: Sendable, Equatable {
    public var id: String
    public var hostID: String
    public var type: String
    /// JSON object text.
    public var payload: String?
    public var status: String
    public var message: String?
    public var createdAt: Date
    public var updatedAt: Date
}

extension ControlStore {
    public func allManagedAgents(kind: String) throws -> [StoredManagedAgent] {
        try database.query("""
            SELECT kind, id, agent_id, token_id, hostname, display_name, hidden, pending_uninstall, first_seen,
                   last_seen, report FROM managed_agents WHERE kind = ?
            """, [.text(kind)]).compactMap { row in
            guard let kind = row[0].string, let id = row[1].string, let agent = row[2].string,
                  let hostname = row[4].string, let first = row[8].int64, let last = row[9].int64 else { return nil }
            let report: [UInt8]
            switch row[10] {
            case .blob(let bytes): report = bytes
            case .text(let text): report = Array(text.utf8)
            default: report = Array("{}".utf8)
            }
            return StoredManagedAgent(kind: kind, id: id, agentID: agent, tokenID: row[3].string, hostname: hostname,
                                      displayName: row[5].string, hidden: (row[6].int64 ?? 0) != 0,
                                      pendingUninstall: (row[7].int64 ?? 0) != 0,
                                      firstSeen: Date(unixMilliseconds: first), lastSeen: Date(unixMilliseconds: last),
                                      report: report)
        }
    }

    /// Writes agents (inserting or updating) in one transaction; a new agent's removal block is cleared with it.
    public func saveManagedAgents(_ agents: [StoredManagedAgent]) throws {
        guard !agents.isEmpty else { return }
        try database.transaction { transaction in
            for agent in agents {
                try transaction.run("""
                    INSERT INTO managed_agents(kind, id, agent_id, token_id, hostname, display_name, hidden,
                        pending_uninstall, first_seen, last_seen, report) VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT(kind, id) DO UPDATE SET agent_id = excluded.agent_id, token_id = excluded.token_id,
                        hostname = excluded.hostname, display_name = excluded.display_name, hidden = excluded.hidden,
                        pending_uninstall = excluded.pending_uninstall, last_seen = excluded.last_seen,
                        report = CASE WHEN length(excluded.report) = 0 THEN managed_agents.report ELSE excluded.report END
                    """, [.text(agent.kind), .text(agent.id), .text(agent.agentID),
                          agent.tokenID.map { .text($0) } ?? .null, .text(agent.hostname),
                          agent.displayName.map { .text($0) } ?? .null, .integer(agent.hidden ? 1 : 0),
                          .integer(agent.pendingUninstall ? 1 : 0), .integer(agent.firstSeen.unixMilliseconds),
                          .integer(agent.lastSeen.unixMilliseconds), .blob(agent.report)])
            }
        }
    }

    /// Deletes an agent and its commands; with `removal`, records the 24 h block in the same transaction.
    public func deleteManagedAgent(kind: String, id: String, removal: StoredRemoval?) throws {
        try database.transaction { transaction in
            try transaction.run("DELETE FROM managed_agents WHERE kind = ? AND id = ?", [.text(kind), .text(id)])
            if kind == "docker" { try transaction.run("DELETE FROM docker_commands WHERE host_id = ?", [.text(id)]) }
            if let removal {
                try transaction.run("""
                    INSERT OR REPLACE INTO managed_agent_removals(kind, id, agent_id, hostname, display_name, removed_at)
                    VALUES(?, ?, ?, ?, ?, ?)
                    """, [.text(removal.kind), .text(removal.id), .text(removal.agentID), .text(removal.hostname),
                          removal.displayName.map { .text($0) } ?? .null, .integer(removal.removedAt.unixMilliseconds)])
            }
        }
    }

    public func allRemovals(kind: String) throws -> [StoredRemoval] {
        try database.query("""
            SELECT kind, id, agent_id, hostname, display_name, removed_at FROM managed_agent_removals WHERE kind = ?
            """, [.text(kind)]).compactMap { row in
            guard let kind = row[0].string, let id = row[1].string, let agent = row[2].string,
                  let hostname = row[3].string, let removed = row[5].int64 else { return nil }
            return StoredRemoval(kind: kind, id: id, agentID: agent, hostname: hostname, displayName: row[4].string,
                                 removedAt: Date(unixMilliseconds: removed))
        }
    }

    public func deleteRemoval(kind: String, id: String) throws {
        _ = try database.run("DELETE FROM managed_agent_removals WHERE kind = ? AND id = ?", [.text(kind), .text(id)])
    }

    /// Removal blocks older than `before` no longer matter.
    public func pruneRemovals(before: Date) throws {
        _ = try database.run("DELETE FROM managed_agent_removals WHERE removed_at < ?", [.integer(before.unixMilliseconds)])
    }

    public func allDockerCommands() throws -> [StoredDockerCommand] {
        try database.query("""
            SELECT id, host_id, type, payload, status, message, created_at, updated_at FROM docker_commands
            ORDER BY created_at, id
            """).compactMap { row in
            guard let id = row[0].string, let host = row[1].string, let type = row[2].string,
                  let status = row[4].string, let created = row[6].int64, let updated = row[7].int64 else { return nil }
            return StoredDockerCommand(id: id, hostID: host, type: type, payload: row[3].string, status: status,
                                       message: row[5].string, createdAt: Date(unixMilliseconds: created),
                                       updatedAt: Date(unixMilliseconds: updated))
        }
    }

    public func saveDockerCommand(_ command: StoredDockerCommand) throws {
        _ = try database.run("""
            INSERT INTO docker_commands(id, host_id, type, payload, status, message, created_at, updated_at)
            VALUES(?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT(id) DO UPDATE SET status = excluded.status, message = excluded.message,
                updated_at = excluded.updated_at
            """, [.text(command.id), .text(command.hostID), .text(command.type),
                  command.payload.map { .text($0) } ?? .null, .text(command.status),
                  command.message.map { .text($0) } ?? .null, .integer(command.createdAt.unixMilliseconds),
                  .integer(command.updatedAt.unixMilliseconds)])
    }

    /// Deletes finished commands last updated before `finishedBefore`.
    public func pruneDockerCommands(finishedBefore: Date) throws {
        _ = try database.run("""
            DELETE FROM docker_commands WHERE status IN ('completed', 'failed', 'expired') AND updated_at < ?
            """, [.integer(finishedBefore.unixMilliseconds)])
    }
}
