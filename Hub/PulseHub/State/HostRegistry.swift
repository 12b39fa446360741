import Foundation
import PulseCommon
import Synchronization

/// A host known to the hub: identity, binding and the last applied report.
public struct HostEntry: Sendable {
    public var id: String
    public var hostname: String
    public var tokenID: String?
    public var report: HostReport
    public var firstSeen: Date
    /// The time of the last applied report (the agent's clock, never in the future).
    public var lastSeen: Date
    /// When the hub last received a report (the hub's clock); `nil` until the first report after a restart.
    public var receivedAt: Date?
    /// An admin's per-host override of the agent's `commandsEnabled`.
    public var commandsEnabledOverride: Bool?
    /// The report exactly as received, persisted as is (cheaper than re-encoding it on every flush).
    public var rawReport: [UInt8] = []

    /// `online` while reports arrive within the offline window, else `offline`.
    public func status(now: Date) -> String {
        guard let receivedAt else { return "offline" }
        let window = HostIdentity.offlineWindow(intervalSeconds: report.agent?.intervalSeconds)
        return now.timeIntervalSince(receivedAt) <= window ? "online" : "offline"
    }
}

/// Why a report was refused.
public enum HostIngestError: Error, Equatable {
    case missingHostname
    case invalid(String)
}

/// The outcome of one report.
public struct HostIngestResult: Sendable {
    public var host: HostEntry
    /// False when the report was older than what the hub already had (a replay): nothing changed.
    public var applied: Bool
    public var created: Bool
}

/// The live registry of host agents, persisted in `pulse.db` so a restart keeps the fleet and its ids.
///
/// New hosts and bindings are written before the report is acknowledged (ids stay stable across a crash);
/// later reports update memory and are written in batches by `flush()`.
public final class HostRegistry: Sendable {
    private struct State {
        var hosts: [String: HostEntry] = [:]
        var bindings: [String: String] = [:]
        var dirty: Set<String> = []
    }

    private let store: ControlStore
    private let state = Mutex(State())
    /// Serializes batched writes with deletions, so a flush never resurrects a deleted host.
    private let persistence = Mutex(())
    private let logger: Logger

    public init(store: ControlStore, logger: Logger) throws {
        self.store = store
        self.logger = logger
        let decoder = WireJSON.decoder()
        var loaded = State()
        for stored in try store.allHosts() {
            let decoded = (try? decoder.decode(HostReport.self, from: Data(stored.report))) ?? HostReport()
            var report = Self.normalized(decoded, hostname: stored.hostname, now: stored.lastSeen)
            report.timestamp = stored.lastSeen
            loaded.hosts[stored.id] = HostEntry(id: stored.id, hostname: stored.hostname, tokenID: stored.tokenID,
                                                report: report, firstSeen: stored.firstSeen, lastSeen: stored.lastSeen,
                                                receivedAt: nil, commandsEnabledOverride: stored.commandsEnabledOverride,
                                                rawReport: stored.report)
        }
        for binding in try store.allBindings() {
            loaded.bindings[HostIdentity.bindingKey(tokenID: binding.tokenID, hostname: binding.hostname)] = binding.hostID
        }
        let restored = loaded
        state.withLock { $0 = restored }
        if !restored.hosts.isEmpty { logger.info("restored host registry", ["hosts": String(restored.hosts.count)]) }
    }

    /// Applies a report sent with the token `tokenID`; `raw` is the body as received (encoded from `incoming` when
    /// not given).
    public func ingest(_ incoming: HostReport, raw: [UInt8]? = nil, tokenID: String, now: Date = Date()) throws -> HostIngestResult {
        guard let hostname = incoming.host?.hostname?.trimmingWhitespace(), !hostname.isEmpty else {
            throw HostIngestError.missingHostname
        }
        guard hostname.utf8.count <= 255, !hostname.contains(where: { $0.isNewline || $0 == "\u{0}" }) else {
            throw HostIngestError.invalid("host.hostname must be at most 255 characters without control characters")
        }
        var report = Self.normalized(incoming, hostname: hostname, now: now)
        let timestamp = report.timestamp ?? now
        report.timestamp = timestamp
        let rawReport = raw ?? (try? WireJSON.encoder().encode(incoming)).map(Array.init) ?? []

        return try state.withLock { state throws -> HostIngestResult in
            let key = HostIdentity.bindingKey(tokenID: tokenID, hostname: hostname)
            if let boundID = state.bindings[key], var entry = state.hosts[boundID] {
                guard Self.isNewer(report, than: entry) else {
                    entry.receivedAt = now
                    state.hosts[boundID] = entry
                    return HostIngestResult(host: entry, applied: false, created: false)
                }
                entry.report = report
                entry.rawReport = rawReport
                entry.hostname = hostname
                entry.lastSeen = timestamp
                entry.receivedAt = now
                entry.tokenID = tokenID
                state.hosts[boundID] = entry
                state.dirty.insert(boundID)
                return HostIngestResult(host: entry, applied: true, created: false)
            }
            // No binding yet: derive an id, disambiguating when it belongs to a different host.
            let base = HostIdentity.candidate(for: report, hostname: hostname)
            var id = base
            var attempt = 0
            while let existing = state.hosts[id],
                  existing.hostname.lowercased() != hostname.lowercased() || existing.tokenID != tokenID {
                attempt += 1
                id = HostIdentity.disambiguated(base: attempt == 1 ? base : "\(base)-\(attempt)", tokenID: tokenID,
                                                hostname: hostname)
            }
            var entry = state.hosts[id] ?? HostEntry(id: id, hostname: hostname, tokenID: tokenID, report: report,
                                                     firstSeen: now, lastSeen: timestamp, receivedAt: now,
                                                     commandsEnabledOverride: nil)
            let created = state.hosts[id] == nil
            entry.report = report
            entry.rawReport = rawReport
            entry.lastSeen = max(entry.lastSeen, timestamp)
            entry.receivedAt = now
            try store.createHost(Self.stored(entry), binding: (tokenID, hostname.lowercased()))
            state.hosts[id] = entry
            state.bindings[key] = id
            state.dirty.remove(id)
            if created { logger.info("new host registered", ["hostId": id, "hostname": hostname]) }
            return HostIngestResult(host: entry, applied: true, created: created)
        }
    }

    /// Every host, sorted by display name then id.
    public func all() -> [HostEntry] {
        state.withLock { Array($0.hosts.values) }.sorted {
            let left = $0.report.host?.displayName ?? $0.hostname, right = $1.report.host?.displayName ?? $1.hostname
            return left != right ? left.lowercased() < right.lowercased() : $0.id < $1.id
        }
    }

    /// The host with this id.
    public func host(id: String) -> HostEntry? { state.withLock { $0.hosts[id] } }

    /// Finds a host by id, then hostname or display name (case-insensitive), then short hostname.
    public func lookup(id: String?, hostname: String?) -> HostEntry? {
        state.withLock { state in
            if let id, !id.isEmpty, let entry = state.hosts[id] { return entry }
            guard let wanted = hostname?.trimmingWhitespace().lowercased(), !wanted.isEmpty else { return nil }
            let hosts = state.hosts.values.sorted { $0.id < $1.id }
            if let exact = hosts.first(where: {
                $0.hostname.lowercased() == wanted || $0.report.host?.displayName?.lowercased() == wanted
            }) { return exact }
            let short = { (name: String) in String(name.split(separator: ".").first ?? Substring(name)) }
            let wantedShort = short(wanted)
            return hosts.first(where: { short($0.hostname.lowercased()) == wantedShort })
        }
    }

    /// Removes a host. When `revokeUnusedToken` is set and no other host uses its token, the token is deleted;
    /// its id is returned so the caller can drop it from the token cache.
    public func remove(id: String, revokeUnusedToken: Bool) throws -> (removed: Bool, revokedTokenID: String?) {
        let removed = state.withLock { state -> Bool in
            guard state.hosts.removeValue(forKey: id) != nil else { return false }
            state.bindings = state.bindings.filter { $0.value != id }
            state.dirty.remove(id)
            return true
        }
        let revoked = try persistence.withLock { _ in try store.deleteHost(id: id, revokeUnusedToken: revokeUnusedToken) }
        if let revoked {
            state.withLock { state in state.bindings = state.bindings.filter { !$0.key.hasPrefix(revoked + "\u{1F}") } }
        }
        return (removed, revoked)
    }

    /// Sets (or, with nil, clears) a host's `commandsEnabled` override, in memory and on disk. False when unknown.
    public func setCommandsEnabled(id: String, _ value: Bool?) throws -> Bool {
        let known = state.withLock { state -> Bool in
            guard state.hosts[id] != nil else { return false }
            state.hosts[id]?.commandsEnabledOverride = value
            return true
        }
        guard known else { return false }
        try persistence.withLock { _ in try store.setCommandsEnabledOverride(hostID: id, value) }
        return true
    }

    /// Writes hosts changed since the last flush. Returns how many were written.
    @discardableResult
    public func flush() throws -> Int {
        try persistence.withLock { _ in
            let changed = state.withLock { state -> [HostEntry] in
                defer { state.dirty.removeAll() }
                return state.dirty.compactMap { state.hosts[$0] }
            }
            do {
                try store.saveHosts(changed.map(Self.stored))
                // The raw body is needed only until it is written: drop it unless a newer report arrived meanwhile.
                state.withLock { state in
                    for entry in changed where !state.dirty.contains(entry.id) {
                        state.hosts[entry.id]?.rawReport = []
                    }
                }
            } catch {
                state.withLock { state in for entry in changed where state.hosts[entry.id] != nil { state.dirty.insert(entry.id) } }
                throw error
            }
            return changed.count
        }
    }

    // MARK: Rules

    /// A report is applied when it is newer than the last one: by `sequenceId` when both carry one from the same
    /// agent, else by timestamp. Replays and out-of-order deliveries never roll state back.
    static func isNewer(_ report: HostReport, than entry: HostEntry) -> Bool {
        if let incoming = report.sequenceId.flatMap(Int64.init), let current = entry.report.sequenceId.flatMap(Int64.init),
           report.agent?.id == entry.report.agent?.id {
            return incoming > current
        }
        return (report.timestamp ?? .distantPast) >= entry.lastSeen
    }

    /// Fills derived values and drops what the hub never shows: zero or future timestamps become now, memory
    /// usage is derived when missing, and virtual, read-only and network filesystems are removed.
    static func normalized(_ report: HostReport, hostname: String, now: Date) -> HostReport {
        var report = report
        report.host?.hostname = hostname
        if let timestamp = report.timestamp {
            // Go's zero time, and anything before 2000, means "not set"; a clock ahead of ours is clamped.
            if timestamp.timeIntervalSince1970 < 946_684_800 || timestamp > now.addingTimeInterval(60) {
                report.timestamp = now
            }
        } else {
            report.timestamp = now
        }
        if var memory = report.metrics?.memory, memory.usage == nil,
           let total = memory.totalBytes, let used = memory.usedBytes, total > 0 {
            memory.usage = Double(used) / Double(total) * 100
            report.metrics?.memory = memory
        }
        report.disks = report.disks?.filter { disk in
            !FilesystemFilter.shouldSkip(type: disk.type ?? disk.filesystem ?? "", mountpoint: disk.mountpoint ?? "",
                                         totalBytes: disk.totalBytes ?? 0, usedBytes: disk.usedBytes ?? 0)
        }.map { disk in
            var disk = disk
            if disk.usage == nil, let total = disk.totalBytes, let used = disk.usedBytes, total > 0 {
                disk.usage = Double(used) / Double(total) * 100
            }
            return disk
        }
        return report
    }

    private static func stored(_ entry: HostEntry) -> StoredHost {
        StoredHost(id: entry.id, hostname: entry.hostname, tokenID: entry.tokenID, firstSeen: entry.firstSeen,
                   lastSeen: entry.lastSeen, report: entry.rawReport,
                   commandsEnabledOverride: entry.commandsEnabledOverride)
    }
}
