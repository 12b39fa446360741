import Foundation
import PulseCommon
import Synchronization

/// A docker host or Kubernetes cluster known to the hub.
public struct ManagedAgent<Report: Codable & Sendable>: Sendable {
    public var id: String
    public var agentID: String
    public var tokenID: String?
    /// The docker host's hostname, or the cluster's name.
    public var hostname: String
    public var machineID: String?
    /// An administrator's display name (`PUT …/display-name`).
    public var customDisplayName: String?
    public var hidden: Bool
    public var pendingUninstall: Bool
    public var firstSeen: Date
    public var lastSeen: Date
    /// When the hub last received a report (its own clock); `nil` until the first report after a restart.
    public var receivedAt: Date?
    public var intervalSeconds: Int?
    public var report: Report
    /// The body as received, until it is written.
    public var rawReport: [UInt8] = []

    /// `online` while reports arrive within interval × 4, clamped to 30 s … 10 min (30 s interval when unknown).
    public func status(now: Date) -> String {
        guard let receivedAt else { return "offline" }
        let interval = Double(intervalSeconds.flatMap { $0 > 0 ? $0 : nil } ?? 30)
        return now.timeIntervalSince(receivedAt) <= min(max(interval * 4, 30), 600) ? "online" : "offline"
    }
}

/// A removal that blocks the agent for 24 hours.
public struct RemovalRecord: Sendable, Equatable {
    public var id: String
    public var agentID: String
    public var hostname: String
    public var displayName: String?
    public var removedAt: Date
}

/// What an agent's report says about who it is.
public struct ManagedIdentity: Sendable {
    public var agentID: String
    public var hostname: String
    public var machineID: String?
    /// Kubernetes: the cluster id (identity is this id alone). Docker: `nil` (hub-api 3.2 rules).
    public var explicitID: String?
    public var tokenID: String
    public var tokenName: String
    public var intervalSeconds: Int?
    public var timestamp: Date
}

/// Why a report was refused (400 `invalid_report`).
public struct ManagedIngestError: Error, Equatable, Sendable {
    public let message: String
}

/// The live registry of docker hosts or Kubernetes clusters (one per `kind`), persisted in `pulse.db`: identity,
/// the one-token-one-agent rule, the 24 h removal block, hide / pending-uninstall / display name.
public final class ManagedAgentRegistry<Report: Codable & Sendable>: Sendable {
    public static var removalBlock: TimeInterval { 24 * 3600 }

    private struct State {
        var agents: [String: ManagedAgent<Report>] = [:]
        var removals: [String: RemovalRecord] = [:]
        var dirty: Set<String> = []
    }

    public let kind: String
    /// What the agent is called in messages (`docker host`, `Kubernetes cluster`).
    let noun: String
    private let store: ControlStore
    private let logger: Logger
    private let machineIDOf: @Sendable (Report) -> String?
    private let intervalOf: @Sendable (Report) -> Int?
    private let state = Mutex(State())
    private let persistence = Mutex(())

    public init(kind: String, noun: String, store: ControlStore, logger: Logger,
                machineIDOf: @escaping @Sendable (Report) -> String?,
                intervalOf: @escaping @Sendable (Report) -> Int?) throws {
        self.kind = kind
        self.noun = noun
        self.store = store
        self.logger = logger
        self.machineIDOf = machineIDOf
        self.intervalOf = intervalOf
        let decoder = WireJSON.decoder()
        var loaded = State()
        for stored in try store.allManagedAgents(kind: kind) {
            guard let report = try? decoder.decode(Report.self, from: Data(stored.report)) else { continue }
            loaded.agents[stored.id] = ManagedAgent(
                id: stored.id, agentID: stored.agentID, tokenID: stored.tokenID, hostname: stored.hostname,
                machineID: machineIDOf(report), customDisplayName: stored.displayName, hidden: stored.hidden,
                pendingUninstall: stored.pendingUninstall, firstSeen: stored.firstSeen, lastSeen: stored.lastSeen,
                receivedAt: nil, intervalSeconds: intervalOf(report), report: report)
        }
        for removal in try store.allRemovals(kind: kind) {
            loaded.removals[removal.id] = RemovalRecord(id: removal.id, agentID: removal.agentID,
                                                        hostname: removal.hostname, displayName: removal.displayName,
                                                        removedAt: removal.removedAt)
        }
        let restored = loaded
        state.withLock { $0 = restored }
    }

    // MARK: Ingest

    /// Applies a report. Returns the agent and whether it is new.
    public func ingest(_ report: Report, raw: [UInt8], identity: ManagedIdentity,
                       now: Date) throws -> (agent: ManagedAgent<Report>, created: Bool) {
        try state.withLock { state throws -> (ManagedAgent<Report>, Bool) in
            let id = try Self.resolve(identity, agents: state.agents)
            if let removal = state.removals[id] ?? state.removals.values.first(where: { $0.agentID == identity.agentID }),
               now.timeIntervalSince(removal.removedAt) < Self.removalBlock {
                let until = removal.removedAt.addingTimeInterval(Self.removalBlock)
                throw ManagedIngestError(message: "\(noun) \(removal.hostname) (\(removal.id)) was removed at "
                                         + "\(RFC3339.format(removal.removedAt)) and cannot report again until "
                                         + "\(RFC3339.format(until)); an administrator can Allow re-enroll "
                                         + "(POST /api/agents/\(kind == "docker" ? "docker/hosts" : "kubernetes/clusters")"
                                         + "/\(removal.id)/allow-reenroll)")
            }
            if let other = state.agents.values.first(where: {
                $0.tokenID == identity.tokenID && $0.agentID != identity.agentID && $0.id != id
            }) {
                throw ManagedIngestError(message: "API token \(identity.tokenName) is already in use by agent "
                                         + "\(other.agentID) (\(other.hostname)). Generate a new token for each "
                                         + "\(kind) agent")
            }
            if var existing = state.agents[id] {
                existing.receivedAt = now
                existing.hidden = false
                existing.pendingUninstall = false
                existing.tokenID = identity.tokenID
                if identity.timestamp >= existing.lastSeen {
                    existing.report = report
                    existing.rawReport = raw
                    existing.agentID = identity.agentID
                    existing.hostname = identity.hostname
                    existing.machineID = identity.machineID
                    existing.lastSeen = identity.timestamp
                    existing.intervalSeconds = identity.intervalSeconds
                }
                state.agents[id] = existing
                state.dirty.insert(id)
                return (existing, false)
            }
            let agent = ManagedAgent(id: id, agentID: identity.agentID, tokenID: identity.tokenID,
                                     hostname: identity.hostname, machineID: identity.machineID, customDisplayName: nil,
                                     hidden: false, pendingUninstall: false, firstSeen: now,
                                     lastSeen: identity.timestamp, receivedAt: now,
                                     intervalSeconds: identity.intervalSeconds, report: report, rawReport: raw)
            try store.saveManagedAgents([stored(agent)])
            state.agents[id] = agent
            state.removals.removeValue(forKey: id)
            logger.info("new \(noun) registered", ["id": id, "hostname": identity.hostname, "agentId": identity.agentID])
            return (agent, true)
        }
    }

    /// The id a report belongs to. Kubernetes: the cluster id. Docker (hub-api 3.2): the host with this agent id
    /// and a compatible token; else the same machine id and hostname; else the same hostname and token; else a
    /// new id from the agent id, machine id or hostname, suffixed when it belongs to another host.
    static func resolve(_ identity: ManagedIdentity, agents: [String: ManagedAgent<Report>]) throws -> String {
        if let explicit = identity.explicitID {
            guard let id = HostIdentity.sanitize(explicit) else { throw ManagedIngestError(message: "cluster id is empty") }
            return id
        }
        let compatible = { (agent: ManagedAgent<Report>) in agent.tokenID == nil || agent.tokenID == identity.tokenID }
        let sorted = agents.values.sorted { $0.id < $1.id }
        let hostname = identity.hostname.lowercased()
        if let match = sorted.first(where: { $0.agentID == identity.agentID && compatible($0) }) { return match.id }
        if let machine = identity.machineID, !machine.isEmpty,
           let match = sorted.first(where: { $0.machineID == machine && $0.hostname.lowercased() == hostname && compatible($0) }) {
            return match.id
        }
        if let match = sorted.first(where: { $0.hostname.lowercased() == hostname && $0.tokenID == identity.tokenID }) {
            return match.id
        }
        let base = HostIdentity.sanitize(identity.agentID) ?? HostIdentity.sanitize(identity.machineID)
            ?? HostIdentity.sanitize(identity.hostname)
            ?? "docker-" + Crypto.sha1(Array("\(identity.agentID)|\(identity.hostname)".utf8)).prefix(6).hexString
        var id = base
        var attempt = 0
        while agents[id] != nil {
            attempt += 1
            id = HostIdentity.disambiguated(base: attempt == 1 ? base : "\(base)-\(attempt)", tokenID: identity.tokenID,
                                            hostname: identity.hostname)
        }
        return id
    }

    // MARK: Reading

    public func all() -> [ManagedAgent<Report>] {
        state.withLock { Array($0.agents.values) }.sorted {
            let left = ($0.customDisplayName ?? $0.hostname).lowercased(), right = ($1.customDisplayName ?? $1.hostname).lowercased()
            return left != right ? left < right : $0.id < $1.id
        }
    }

    public func agent(id: String) -> ManagedAgent<Report>? { state.withLock { $0.agents[id] } }

    /// Removals still blocking (younger than 24 h), newest first.
    public func removals(now: Date = Date()) -> [RemovalRecord] {
        state.withLock { Array($0.removals.values) }
            .filter { now.timeIntervalSince($0.removedAt) < Self.removalBlock }
            .sorted { $0.removedAt > $1.removedAt }
    }

    // MARK: Management

    /// Changes an agent's flags; returns the updated agent, `nil` when unknown.
    @discardableResult
    public func update(id: String, _ change: (inout ManagedAgent<Report>) -> Void) throws -> ManagedAgent<Report>? {
        let updated = state.withLock { state -> ManagedAgent<Report>? in
            guard var agent = state.agents[id] else { return nil }
            change(&agent)
            state.agents[id] = agent
            return agent
        }
        if let updated {
            try persistence.withLock { _ in
                var row = stored(updated)
                row.report = []
                try store.saveManagedAgents([row])
            }
        }
        return updated
    }

    /// Removes an agent. With `block`, it may not report again for 24 h (until `allowReenroll`).
    @discardableResult
    public func remove(id: String, block: Bool, now: Date) throws -> ManagedAgent<Report>? {
        let removed = state.withLock { state -> ManagedAgent<Report>? in
            guard let agent = state.agents.removeValue(forKey: id) else { return nil }
            state.dirty.remove(id)
            if block {
                state.removals[id] = RemovalRecord(id: id, agentID: agent.agentID, hostname: agent.hostname,
                                                   displayName: agent.customDisplayName, removedAt: now)
            } else {
                state.removals.removeValue(forKey: id)
            }
            return agent
        }
        guard let removed else { return nil }
        try persistence.withLock { _ in
            try store.deleteManagedAgent(kind: kind, id: id, removal: block ? StoredRemoval(
                kind: kind, id: id, agentID: removed.agentID, hostname: removed.hostname,
                displayName: removed.customDisplayName, removedAt: now) : nil)
            if !block { try store.deleteRemoval(kind: kind, id: id) }
        }
        return removed
    }

    /// Clears a removal block; returns whether there was one.
    @discardableResult
    public func allowReenroll(id: String) throws -> Bool {
        let had = state.withLock { $0.removals.removeValue(forKey: id) != nil }
        try store.deleteRemoval(kind: kind, id: id)
        return had
    }

    /// Writes agents changed since the last flush; drops expired removal blocks.
    @discardableResult
    public func flush(now: Date = Date()) throws -> Int {
        try persistence.withLock { _ in
            let changed = state.withLock { state -> [ManagedAgent<Report>] in
                defer { state.dirty.removeAll() }
                state.removals = state.removals.filter { now.timeIntervalSince($0.value.removedAt) < Self.removalBlock }
                return state.dirty.compactMap { state.agents[$0] }
            }
            do {
                try store.saveManagedAgents(changed.map(stored))
                state.withLock { state in
                    for agent in changed where !state.dirty.contains(agent.id) { state.agents[agent.id]?.rawReport = [] }
                }
            } catch {
                state.withLock { state in for agent in changed where state.agents[agent.id] != nil { state.dirty.insert(agent.id) } }
                throw error
            }
            return changed.count
        }
    }

    private func stored(_ agent: ManagedAgent<Report>) -> StoredManagedAgent {
        var raw = agent.rawReport
        if raw.isEmpty { raw = (try? WireJSON.encoder().encode(agent.report)).map(Array.init) ?? [] }
        return StoredManagedAgent(kind: kind, id: agent.id, agentID: agent.agentID, tokenID: agent.tokenID,
                                  hostname: agent.hostname, displayName: agent.customDisplayName, hidden: agent.hidden,
                                  pendingUninstall: agent.pendingUninstall, firstSeen: agent.firstSeen,
                                  lastSeen: agent.lastSeen, report: raw)
    }
}
