import Foundation
import PulseCommon
import Synchronization

/// Agent profiles and assignments, cached in memory in front of `pulse.db` so reports and config fetches never
/// read them from disk (the reference re-read two JSON files per report).
public final class ProfileService: Sendable {
    private struct State {
        var profiles: [String: AgentProfile] = [:]
        var assignments: [String: ProfileAssignment] = [:]
    }

    private let store: ControlStore
    private let state = Mutex(State())

    public init(store: ControlStore) throws {
        self.store = store
        let profiles = try store.allProfiles()
        let assignments = try store.allAssignments()
        state.withLock { state in
            state.profiles = Dictionary(uniqueKeysWithValues: profiles.map { ($0.id, $0) })
            state.assignments = Dictionary(uniqueKeysWithValues: assignments.map { ($0.agentID, $0) })
        }
    }

    public var profiles: [AgentProfile] {
        state.withLock { Array($0.profiles.values) }.sorted { ($0.createdAt, $0.id) < ($1.createdAt, $1.id) }
    }

    public var assignments: [ProfileAssignment] {
        state.withLock { Array($0.assignments.values) }.sorted { $0.agentID < $1.agentID }
    }

    public func profile(id: String) -> AgentProfile? { state.withLock { $0.profiles[id] } }

    public func create(name: String, config: [String: JSONValue], now: Date) throws -> AgentProfile {
        let profile = AgentProfile(id: UUID().uuidString.lowercased(), name: name, config: config, createdAt: now, updatedAt: now)
        try store.save(profile)
        state.withLock { $0.profiles[profile.id] = profile }
        return profile
    }

    /// Replaces a profile's name and settings; nil when unknown.
    public func update(id: String, name: String, config: [String: JSONValue], now: Date) throws -> AgentProfile? {
        guard var profile = profile(id: id) else { return nil }
        profile.name = name
        profile.config = config
        profile.updatedAt = max(now, profile.updatedAt.addingTimeInterval(0.001))
        try store.save(profile)
        state.withLock { $0.profiles[id] = profile }
        return profile
    }

    /// Deletes a profile and its assignments; false when unknown.
    public func delete(id: String) throws -> Bool {
        guard try store.deleteProfile(id: id) else { return false }
        state.withLock { state in
            state.profiles[id] = nil
            state.assignments = state.assignments.filter { $0.value.profileID != id }
        }
        return true
    }

    public func assign(agentID: String, profileID: String, now: Date) throws -> ProfileAssignment {
        let assignment = ProfileAssignment(agentID: agentID, profileID: profileID, updatedAt: now)
        try store.save(assignment)
        state.withLock { $0.assignments[agentID] = assignment }
        return assignment
    }

    public func unassign(agentID: String) throws {
        try store.deleteAssignment(agentID: agentID)
        state.withLock { $0.assignments[agentID] = nil }
    }

    /// The settings a host receives: its assigned profile's map, or nil.
    public func settings(forHost hostID: String) -> (profile: AgentProfile, settings: [String: JSONValue])? {
        state.withLock { state in
            guard let assignment = state.assignments[hostID], let profile = state.profiles[assignment.profileID] else { return nil }
            return (profile, profile.config)
        }
    }

    /// A short fingerprint of everything a host's config consists of (profile settings and the commands override).
    /// Sent with every report response: when it changes, the agent fetches its config at once.
    public func configVersion(forHost hostID: String, commandsEnabled: Bool?) -> String {
        var material = "commands=\(commandsEnabled.map(String.init) ?? "-")\n"
        if let assigned = settings(forHost: hostID) {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            let settings = (try? encoder.encode(JSONValue.object(assigned.settings))).map { String(decoding: $0, as: UTF8.self) } ?? ""
            material += "profile=\(assigned.profile.id)\nsettings=\(settings)"
        }
        return String(Crypto.sha256(Array(material.utf8)).hexString.prefix(16))
    }
}
