#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import PulseCommon

/// `update_container` (agent-protocol 2.2): pull the image, stop the container (its own stop timeout, else 30 s),
/// rename it to `<name>_pulse_backup_<YYYYMMDD_HHMMSS>`, create a new one from the old configuration (first network
/// at create, the others connected after), start it, and after `stabilityWait` check it is running and not unhealthy. Any
/// failure after the rename rolls back: the new container is removed and the backup renamed back and started.
/// The backup of a successful update is removed after `backupRetention`; backups left over from a crash are
/// removed once they are 15 minutes old.
final class ContainerUpdater {
    struct Failure: Error, Sendable {
        let message: String
    }

    static let janitorAge: TimeInterval = 15 * 60

    let stabilityWait: Duration
    let backupRetention: Duration
    let logger: Logger
    let stop: StopSignal
    private var pendingBackups: [(id: String, due: ContinuousClock.Instant)] = []

    init(stabilityWait: Duration, backupRetention: Duration, logger: Logger, stop: StopSignal) {
        self.stabilityWait = stabilityWait
        self.backupRetention = backupRetention
        self.logger = logger
        self.stop = stop
    }

    /// Updates the container `reference` (id or name); `progress` receives the steps for `in_progress` acks.
    func update(reference: String, client: EngineClient, now: Date = Date(),
                progress: (String) -> Void) -> Result<String, Failure> {
        let old: JSONValue
        do throws(EngineError) {
            let response = try client.perform(client.request("GET", "/containers/\(escape(reference))/json"))
            old = try EngineClient.decode(JSONValue.self, response.body, what: "inspect")
        } catch {
            return .failure(Failure(message: "cannot inspect container \(reference): \(error.message)"))
        }
        guard let oldID = old["Id"]?.stringValue, let rawName = old["Name"]?.stringValue,
              let image = old["Config"]?["Image"]?.stringValue, !image.isEmpty else {
            return .failure(Failure(message: "container \(reference) has no id, name or image"))
        }
        let name = rawName.hasPrefix("/") ? String(rawName.dropFirst()) : rawName
        if ContainerMapper.isBackup(name) {
            return .failure(Failure(message: "\(name) is an update backup and cannot itself be updated"))
        }

        progress("Pulling image \(image)...")
        do throws(EngineError) {
            // Podman names images it built or imported `localhost/…`: there is no registry to pull them from.
            if image.hasPrefix("localhost/") {
                throw EngineError(status: nil, message: "a local image (localhost/) has no registry")
            }
            let pulled = try client.perform(client.request("POST", "/images/create?fromImage=\(escape(image))", body: [],
                                                           timeout: .seconds(600)))
            if let problem = Self.pullError(pulled.body) { throw EngineError(status: nil, message: problem) }
        } catch {
            guard (try? client.perform(client.request("GET", "/images/\(escape(image))/json"))) != nil else {
                return .failure(Failure(message: "cannot pull \(image): \(error.message)"))
            }
            progress("Pull of \(image) failed (\(error.message)); recreating from the local image")
        }

        progress("Stopping container \(name)...")
        // The container's own stop timeout when it has one (as `docker stop` does), else the reference's 30 s.
        let grace = old["Config"]?["StopTimeout"]?.int64Value.flatMap { $0 > 0 && $0 <= 600 ? $0 : nil } ?? 30
        do throws(EngineError) {
            try client.perform(client.request("POST", "/containers/\(oldID)/stop?t=\(grace)", body: [],
                                              timeout: .seconds(grace + 15)))
        } catch {
            return .failure(Failure(message: "cannot stop \(name): \(error.message)"))
        }
        let backup = name + ContainerMapper.backupMarker + Self.stamp(now)
        do throws(EngineError) {
            try client.perform(client.request("POST", "/containers/\(oldID)/rename?name=\(escape(backup))", body: []))
        } catch {
            _ = try? client.perform(client.request("POST", "/containers/\(oldID)/start", body: []))
            return .failure(Failure(message: "cannot rename \(name) for backup: \(error.message)"))
        }

        progress("Creating new container \(name)...")
        var newID: String?
        do throws(EngineError) {
            let (body, extraNetworks) = Self.createBody(from: old)
            let bytes = try Self.encode(JSONValue.object(body))
            let created = try client.perform(client.request("POST", "/containers/create?name=\(escape(name))",
                                                            body: bytes, timeout: .seconds(60)))
            let createdID = try EngineClient.decode(JSONValue.self, created.body, what: "create")["Id"]?.stringValue
            guard let createdID, !createdID.isEmpty else {
                throw EngineError(status: nil, message: "the engine returned no container id")
            }
            newID = createdID
            for (network, endpoint) in extraNetworks {
                let connect = JSONValue.object(["Container": .string(createdID), "EndpointConfig": endpoint])
                try client.perform(client.request("POST", "/networks/\(escape(network))/connect",
                                                  body: try Self.encode(connect)))
            }
            progress("Starting container \(name)...")
            try client.perform(client.request("POST", "/containers/\(createdID)/start", body: []))
        } catch {
            return .failure(rollback(name: name, backup: backup, oldID: oldID, newID: newID, client: client,
                                     reason: "cannot recreate \(name): \(error.message)"))
        }

        progress("Verifying container stability...")
        if stop.wait(for: stabilityWait) {
            return .failure(rollback(name: name, backup: backup, oldID: oldID, newID: newID, client: client,
                                     reason: "the agent is stopping"))
        }
        let state: JSONValue?
        do throws(EngineError) {
            let response = try client.perform(client.request("GET", "/containers/\(newID ?? name)/json"))
            state = try EngineClient.decode(JSONValue.self, response.body, what: "inspect")["State"]
        } catch {
            state = nil
        }
        let running = state?["Running"]?.boolValue == true
        let health = state?["Health"]?["Status"]?.stringValue ?? ""
        guard running, health != "unhealthy" else {
            let why = running ? "it is unhealthy" : "it is not running (exit code "
                + "\(state?["ExitCode"]?.int64Value.map(String.init) ?? "?"))"
            return .failure(rollback(name: name, backup: backup, oldID: oldID, newID: newID, client: client,
                                     reason: "\(name) failed verification: \(why)"))
        }
        pendingBackups.append((oldID, ContinuousClock.now.advanced(by: backupRetention)))
        logger.info("container updated", ["container": name, "backup": backup])
        return .success("Container \(name) updated successfully")
    }

    /// The engine streams pull progress as JSON lines; an `error` member in any of them is the failure.
    static func pullError(_ body: [UInt8]) -> String? {
        for line in body.split(separator: UInt8(ascii: "\n")) {
            guard let value = try? JSONDecoder().decode(JSONValue.self, from: Data(line)) else { continue }
            if let error = value["error"]?.stringValue ?? value["errorDetail"]?["message"]?.stringValue { return error }
        }
        return nil
    }

    private static func encode(_ value: JSONValue) throws(EngineError) -> [UInt8] {
        do {
            return Array(try WireJSON.encoder().encode(value))
        } catch {
            throw EngineError(status: nil, message: "cannot encode the request: \(error)")
        }
    }

    /// Undoes a failed update; returns the failure to report.
    private func rollback(name: String, backup: String, oldID: String, newID: String?, client: EngineClient,
                          reason: String) -> Failure {
        logger.warn("container update failed; rolling back", ["container": name, "error": reason])
        if let newID { _ = try? client.perform(client.request("DELETE", "/containers/\(newID)?force=true")) }
        var steps: [String] = []
        if (try? client.perform(client.request("POST", "/containers/\(oldID)/rename?name=\(escape(name))", body: []))) == nil {
            steps.append("renaming \(backup) back failed")
        }
        if (try? client.perform(client.request("POST", "/containers/\(oldID)/start", body: []))) == nil {
            steps.append("restarting the original failed")
        }
        let outcome = steps.isEmpty ? "rolled back to the original container" : steps.joined(separator: "; ")
        return Failure(message: "\(reason); \(outcome)")
    }

    /// The create body: the old `Config` with its `HostConfig`, the first network in `NetworkingConfig`; the other
    /// networks to connect afterwards (an engine takes only one at create time).
    static func createBody(from inspect: JSONValue) -> (body: [String: JSONValue], extraNetworks: [(String, JSONValue)]) {
        var body = inspect["Config"]?.objectValue ?? [:]
        var hostConfig = inspect["HostConfig"]?.objectValue ?? [:]
        // Podman's compatible inspect names ulimits `RLIMIT_NOFILE`, which its own create refuses: use the
        // Docker names (`nofile`), which both accept.
        if let limits = hostConfig["Ulimits"]?.arrayValue {
            hostConfig["Ulimits"] = .array(limits.map { limit in
                guard var object = limit.objectValue, let name = object["Name"]?.stringValue else { return limit }
                let lowered = name.lowercased()
                object["Name"] = .string(lowered.hasPrefix("rlimit_") ? String(lowered.dropFirst(7)) : lowered)
                return .object(object)
            })
        }
        body["HostConfig"] = .object(hostConfig)
        let hostConfigValue = JSONValue.object(hostConfig)
        let mode = hostConfigValue["NetworkMode"]?.stringValue ?? ""
        let networks = inspect["NetworkSettings"]?["Networks"]?.objectValue ?? [:]
        guard !networks.isEmpty, mode != "none", mode != "host", !mode.hasPrefix("container:") else { return (body, []) }
        let names = networks.keys.sorted()
        let first = names.contains(mode) ? mode : names[0]
        let id = inspect["Id"]?.stringValue ?? ""
        func endpoint(_ value: JSONValue) -> JSONValue {
            var kept: [String: JSONValue] = [:]
            for key in ["IPAMConfig", "Links", "DriverOpts"] { if let member = value[key], member != .null { kept[key] = member } }
            if let aliases = value["Aliases"]?.arrayValue {
                let filtered = aliases.filter { alias in !(alias.stringValue.map { !id.isEmpty && id.hasPrefix($0) } ?? false) }
                if !filtered.isEmpty { kept["Aliases"] = .array(filtered) }
            }
            return .object(kept)
        }
        body["NetworkingConfig"] = .object(["EndpointsConfig": .object([first: endpoint(networks[first] ?? .null)])])
        let extra = names.filter { $0 != first }.map { ($0, endpoint(networks[$0] ?? .null)) }
        return (body, extra)
    }

    /// Removes backups whose retention passed, and any `_pulse_backup_` container older than 15 minutes (by the
    /// time in its name) that a crash left behind.
    func removeDueBackups(client: EngineClient, now: Date = Date()) {
        let due = pendingBackups.filter { $0.due <= ContinuousClock.now }
        pendingBackups.removeAll { $0.due <= ContinuousClock.now }
        for backup in due {
            _ = try? client.perform(client.request("DELETE", "/containers/\(backup.id)?force=true"))
        }
        guard let all = try? client.get([EngineContainerSummary].self, "/containers/json?all=1") else { return }
        for summary in all {
            let name = ContainerMapper.name(summary)
            guard let stampText = Self.text(after: ContainerMapper.backupMarker, in: name),
                  let taken = Self.parseStamp(stampText),
                  now.timeIntervalSince(taken) > Self.janitorAge, let id = summary.Id,
                  !pendingBackups.contains(where: { $0.id == id }) else { continue }
            logger.info("removing an old update backup", ["container": name])
            _ = try? client.perform(client.request("DELETE", "/containers/\(id)?force=true"))
        }
    }

    /// What follows the first `marker` in `text`.
    static func text(after marker: String, in text: String) -> String? {
        let characters = Array(text), pattern = Array(marker)
        guard pattern.count <= characters.count else { return nil }
        for start in 0...(characters.count - pattern.count) where Array(characters[start..<(start + pattern.count)]) == pattern {
            return String(characters[(start + pattern.count)...])
        }
        return nil
    }

    /// `YYYYMMDD_HHMMSS` in UTC.
    static func stamp(_ date: Date) -> String {
        let text = RFC3339.format(date)  // 2026-12-04T15:35:11.123Z
        let digits = text.prefix(19).filter { $0.isNumber }
        return String(digits.prefix(8)) + "_" + String(digits.dropFirst(8).prefix(6))
    }

    static func parseStamp(_ text: String) -> Date? {
        let parts = text.split(separator: "_")
        guard parts.count == 2, parts[0].count == 8, parts[1].count == 6,
              parts[0].allSatisfy(\.isNumber), parts[1].allSatisfy(\.isNumber) else { return nil }
        let d = Array(parts[0]), t = Array(parts[1])
        let iso = "\(String(d[0..<4]))-\(String(d[4..<6]))-\(String(d[6..<8]))T\(String(t[0..<2])):\(String(t[2..<4])):\(String(t[4..<6]))Z"
        return RFC3339.parse(iso)
    }

    private func escape(_ text: String) -> String { text.addingPercentEncodingForQuery() }
}
