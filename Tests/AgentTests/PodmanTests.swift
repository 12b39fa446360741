import Foundation
import Glibc
import PulseCommon
import Testing
@testable import PulseAgent

/// The docker module against real podman (`podman system service`): the report agrees with `podman inspect` and
/// podman's stats, and `update_container` recreates, verifies and rolls back.
@Suite(.serialized, .enabled(if: PodmanService.available, "needs root, podman, runc and busybox-static"))
struct PodmanTests {
    static func collector(_ podman: PodmanService) throws -> DockerCollector {
        let client = EngineClient(endpoint: podman.endpoint, timeout: .seconds(10))
        let ping = try client.ping()
        #expect(ping.podman)
        return DockerCollector(client: client, podman: true, options: .init(), logger: TestSupport.logger())
    }

    /// `344.1kB`, `1.5MB`, `2GB` → bytes (podman writes SI units).
    static func bytes(_ text: Substring) -> Double? {
        let units: [(String, Double)] = [("kB", 1e3), ("MB", 1e6), ("GB", 1e9), ("TB", 1e12), ("B", 1)]
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        for (unit, factor) in units where trimmed.hasSuffix(unit) {
            return Double(trimmed.dropLast(unit.count)).map { $0 * factor }
        }
        return nil
    }

    @Test func reportAgreesWithPodmanInspectAndStats() throws {
        let podman = try PodmanService()
        defer { podman.shutdown() }
        let busyID = try podman.run("busy", ["sh", "-c", "while :; do :; done"],
                                    options: ["--label", "tier=test", "-e", "SECRET_TOKEN=hunter2", "-e", "MODE=prod"])
        try podman.run("idle", ["sleep", "600"])
        try podman.run("exited", ["sh", "-c", "exit 3"])
        // Let the short one finish.
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline, (try podman.inspect("exited")["State"] as? [String: Any])?["Status"] as? String != "exited" {
            usleep(100_000)
        }

        let collector = try Self.collector(podman)
        _ = try collector.collect(now: Date())
        sleep(3)
        let snapshot = try collector.collect(now: Date())
        #expect(snapshot.degraded.isEmpty, "\(snapshot.degraded)")
        let ours = Dictionary(uniqueKeysWithValues: snapshot.containers.compactMap { c in c.name.map { ($0, c) } })

        for name in ["busy", "idle", "exited"] {
            let inspect = try podman.inspect(name)
            let container = try #require(ours[podman.prefix + name], "\(name) missing from the report")
            let state = try #require(inspect["State"] as? [String: Any])
            let config = try #require(inspect["Config"] as? [String: Any])
            #expect(container.id == inspect["Id"] as? String)
            #expect(container.image == podman.image)
            #expect(container.state == state["Status"] as? String)
            #expect(container.exitCode == state["ExitCode"] as? Int)
            #expect(container.restartCount == inspect["RestartCount"] as? Int)
            let labels = (config["Labels"] as? [String: String]) ?? [:]
            #expect((container.labels ?? [:]) == labels)
            let env = (config["Env"] as? [String]) ?? []
            #expect(container.env == ContainerMapper.maskEnvironment(env))
            #expect(container.podman == ContainerMapper.podmanMetadata(labels))
        }
        let busy = try #require(ours[podman.prefix + "busy"])
        #expect(busy.id == busyID)
        #expect(busy.env?.contains("SECRET_TOKEN=***") == true && busy.env?.contains("MODE=prod") == true)
        #expect(busy.uptimeSeconds ?? 0 >= 3)
        // One busy-looping process: about one core (100 %), shared with whatever else runs here.
        #expect((busy.cpuPercent ?? 0) > 40 && (busy.cpuPercent ?? 0) < 210, "busy cpu \(busy.cpuPercent ?? -1)")
        #expect((ours[podman.prefix + "idle"]?.cpuPercent ?? 100) < 10)
        #expect(ours[podman.prefix + "exited"]?.exitCode == 3 && ours[podman.prefix + "exited"]?.finishedAt != nil)

        // podman's own stats: memory in use and limit within rounding and a little drift.
        let stats = try podman.cli(["stats", "--no-stream", "--format", "{{.Name}}|{{.MemUsage}}", podman.prefix + "busy",
                                    podman.prefix + "idle"])
        for line in stats.split(separator: "\n") {
            let parts = line.split(separator: "|")
            guard parts.count == 2, let container = ours[String(parts[0])] else { continue }
            let memory = parts[1].split(separator: "/")
            guard memory.count == 2, let used = Self.bytes(memory[0]), let limit = Self.bytes(memory[1]) else { continue }
            let reported = Double(container.memoryUsageBytes ?? 0)
            #expect(abs(reported - used) <= max(used * 0.25, 256 * 1024), "\(parts[0]): ours \(reported), podman \(used)")
            #expect(abs(Double(container.memoryLimitBytes ?? 0) - limit) <= limit * 0.01)
        }
    }

    @Test func updateContainerRecreatesVerifiesAndRollsBack() throws {
        let podman = try PodmanService()
        defer { podman.shutdown() }
        let oldID = try podman.run("web", ["sleep", "600"], options: ["--label", "app=web", "-e", "A=1", "--stop-timeout", "1"])
        let client = EngineClient(endpoint: podman.endpoint, timeout: .seconds(30))
        _ = try client.ping()
        let updater = ContainerUpdater(stabilityWait: .seconds(1), backupRetention: .zero, logger: TestSupport.logger(),
                                       stop: StopSignal())
        var steps: [String] = []
        let result = updater.update(reference: podman.prefix + "web", client: client) { steps.append($0) }
        guard case .success(let message) = result else {
            Issue.record("update failed: \(result)")
            return
        }
        #expect(message == "Container \(podman.prefix)web updated successfully")
        #expect(steps.first?.hasPrefix("Pulling image") == true && steps.last == "Verifying container stability...")
        let updated = try podman.inspect("web")
        #expect(updated["Id"] as? String != oldID)
        #expect((updated["State"] as? [String: Any])?["Running"] as? Bool == true)
        #expect(((updated["Config"] as? [String: Any])?["Labels"] as? [String: String])?["app"] == "web")
        let names = try podman.cli(["ps", "-a", "--format", "{{.Names}}"])
        #expect(names.contains(podman.prefix + "web" + ContainerMapper.backupMarker))
        // The backup is never reported, and goes once its retention (zero here) passes.
        let collector = try PodmanTests.collector(podman)
        #expect(try collector.collect(now: Date()).containers.allSatisfy { !ContainerMapper.isBackup($0.name ?? "") })
        updater.removeDueBackups(client: client)
        #expect(!(try podman.cli(["ps", "-a", "--format", "{{.Names}}"])).contains(ContainerMapper.backupMarker))

        // A container that cannot come back up: the new one exits, the update rolls back to the original.
        let data = podman.root + "/data"
        try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
        FileManager.default.createFile(atPath: data + "/ok", contents: Data())
        let flakyID = try podman.run("flaky", ["sh", "-c", "test -e /data/ok && sleep 600"], options: ["-v", data + ":/data", "--stop-timeout", "1"])
        try FileManager.default.removeItem(atPath: data + "/ok")
        let failed = updater.update(reference: podman.prefix + "flaky", client: client) { _ in }
        guard case .failure(let failure) = failed else {
            Issue.record("the update of a failing container succeeded")
            return
        }
        #expect(failure.message.contains("failed verification") && failure.message.contains("rolled back"))
        #expect(try podman.inspect("flaky")["Id"] as? String == flakyID)
        #expect(!(try podman.cli(["ps", "-a", "--format", "{{.Names}}"])).contains(podman.prefix + "flaky" + ContainerMapper.backupMarker))

        // Backups cannot be updated, and unknown containers fail cleanly.
        guard case .failure = updater.update(reference: "no-such-container-\(UUID().uuidString)", client: client, progress: { _ in }) else {
            Issue.record("updated a missing container")
            return
        }
    }
}
