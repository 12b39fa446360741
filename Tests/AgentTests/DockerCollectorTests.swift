import Foundation
import Glibc
import PulseCommon
import Testing
@testable import PulseAgent

/// The docker collector against a fake engine on a unix socket (`Fixtures/docker/fake_engine.py`).
@Suite(.serialized) struct DockerCollectorTests {
    static let enabled = FakeProcess.python != nil
    static let time = RFC3339.parse("2026-12-04T15:00:00Z")!

    /// A running fake engine and its temp directory.
    final class Engine {
        let directory: String
        let socket: String
        let process: FakeProcess

        init(scenario: String = TestSupport.fixtures + "/docker/engine-scenario.json", mode: String = "0660") throws {
            directory = try TestSupport.temporaryDirectory()
            chmod(directory, 0o755)
            socket = directory + "/engine.sock"
            process = try FakeProcess(python: "docker/fake_engine.py",
                                      [socket, scenario, "--seconds", "120", "--mode", mode])
        }

        deinit {
            process.stop()
            TestSupport.remove(directory)
        }

        var endpoint: DockerEndpoint { DockerEndpoint(transport: .unix(path: socket), source: "test") }
        var requests: [String] { (try? String(contentsOfFile: socket + ".log", encoding: .utf8))?.split(separator: "\n").map(String.init) ?? [] }
    }

    static func collector(_ engine: Engine, timeout: Duration = .seconds(1)) throws -> DockerCollector {
        let client = EngineClient(endpoint: engine.endpoint, timeout: timeout)
        let ping = try client.ping()
        #expect(ping.apiVersion == "1.45" && !ping.podman)
        var options = DockerCollector.Options()
        options.containerTimeout = timeout
        options.collectDiskMetrics = true
        return DockerCollector(client: client, podman: false, options: options, logger: TestSupport.logger())
    }

    @Test(.enabled(if: enabled, "needs python3")) func collectsEveryContainerAndOneSlowContainerDoesNotBlock() throws {
        let engine = try Engine()
        let collector = try Self.collector(engine)
        let started = ContinuousClock.now
        let first = try collector.collect(now: Self.time)
        // The slow container answers after 3 s; its requests time out after 1 s while the others complete.
        #expect(started.duration(to: .now) < .seconds(2.5))
        #expect(first.containers.map(\.name) == ["web", "db", "slow", "broken"])  // the backup is left out
        #expect(first.degraded.keys.sorted() == ["broken", "slow"])
        #expect(first.degraded["slow"]?.contains("timeout") == true || first.degraded["slow"]?.contains("no answer") == true)

        let web = try #require(first.containers.first)
        #expect(web.health == "healthy" && web.restartCount == 2 && web.uptimeSeconds == 7199)
        #expect(web.cpuPercent == 0)  // the first sample of a container
        #expect(web.memoryUsageBytes == 100_000_000 && web.memoryLimitBytes == 1_073_741_824)
        #expect(web.blockIo == DockerReport.BlockIO(readBytes: 8192, writeBytes: 8192))
        #expect(web.networkIo == DockerReport.NetworkIO(rxBytes: 1500, txBytes: 2000))
        #expect(web.env == ["PATH=/usr/bin", "DB_PASSWORD=***", "API_KEY=***", "MODE=prod", "JUSTNAME"])
        #expect(web.networks?.map(\.name) == ["backend", "frontend"])
        #expect(web.ports == [DockerReport.Port(privatePort: 80, publicPort: 8080, protocol: "tcp", ip: "0.0.0.0"),
                              DockerReport.Port(privatePort: 443, protocol: "tcp")])
        #expect(web.writableLayerBytes == 1024 && web.rootFilesystemBytes == 4096)
        #expect(web.labels?["com.docker.swarm.service.name"] == "shop_web")
        let db = first.containers[1]
        #expect(db.state == "exited" && db.exitCode == 1 && db.finishedAt == RFC3339.parse("2026-12-04T14:55:00Z"))
        #expect(db.cpuPercent == 0 && db.memoryUsageBytes == 0 && db.uptimeSeconds == 0)
        #expect(first.containers[2].status == "Up 1 minute")  // reported from its list entry

        // A worker node: services and tasks come from the swarm labels.
        #expect(first.swarm?.nodeRole == "worker" && first.swarm?.clusterName == "default")
        #expect(first.tasks?.map(\.slot) == [2])
        #expect(first.services?.first?.name == "shop_web" && first.services?.first?.stack == "shop")

        let second = try collector.collect(now: Self.time.addingTimeInterval(30))
        #expect(abs((second.containers.first?.cpuPercent ?? 0) - 10) < 1e-9)
        #expect(engine.requests.contains("/v1.43/containers/json?all=1"))
        #expect(engine.requests.contains("/v1.43/containers/aaa111/stats?stream=false&one-shot=true"))
        #expect(engine.requests.contains("/v1.43/containers/aaa111/json?size=1"))
        #expect(!engine.requests.contains { $0.contains("eee555") })
    }

    /// The docker report of agent-protocol 2.2, byte for byte (sorted keys).
    @Test(.enabled(if: enabled, "needs python3")) func goldenReport() throws {
        let engine = try Engine()
        let collector = try Self.collector(engine)
        _ = try collector.collect(now: Self.time)
        let snapshot = try collector.collect(now: Self.time.addingTimeInterval(30))
        let host = HostReport(host: HostReport.Host(uptimeSeconds: 86_400, loadAverage: [0.5, 0.25, 0.125]),
                              metrics: HostReport.Metrics(cpuUsagePercent: 12.5,
                                                          memory: HostReport.Memory(totalBytes: 8_589_934_592, usedBytes: 4_294_967_296,
                                                                                    freeBytes: 4_294_967_296, usage: 50)),
                              disks: [HostReport.Disk(device: "/dev/sda1", mountpoint: "/", filesystem: "ext4", type: "ext4",
                                                      totalBytes: 100, usedBytes: 40, freeBytes: 60, usage: 40)])
        let report = DockerReportAssembler.report(
            snapshot: snapshot, info: collector.info, runtimeVersion: "24.0.7", podman: false,
            identity: AgentIdentity(agentID: "agent-1", hostname: "docker-node-1", machineID: "machine-1"),
            intervalSeconds: 30, host: host, now: Self.time.addingTimeInterval(30))
        let encoder = WireJSON.encoder(sorted: true)
        encoder.outputFormatting.insert(.prettyPrinted)
        let text = String(decoding: try encoder.encode(report), as: UTF8.self)
            .replacingOccurrences(of: "\"version\" : \"\(pulseAgentVersion)\"", with: "\"version\" : \"VERSION\"")
        let goldenPath = TestSupport.fixtures + "/docker/golden-report.json"
        if ProcessInfo.processInfo.environment["PULSE_UPDATE_GOLDEN"] == "1" {
            try text.write(toFile: goldenPath, atomically: true, encoding: .utf8)
        }
        let golden = try String(contentsOfFile: goldenPath, encoding: .utf8)
        #expect(text == golden.trimmingCharacters(in: .newlines))
        // The reference always sends these, even when zero or empty.
        let object = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        let db = try #require((object["containers"] as? [[String: Any]])?.first { $0["name"] as? String == "db" })
        for key in ["cpuPercent", "memoryUsageBytes", "memoryLimitBytes", "memoryPercent", "uptimeSeconds", "restartCount",
                    "exitCode", "createdAt", "state", "status", "image", "id", "name"] {
            #expect(db[key] != nil, "\(key)")
        }
    }

    @Test(.enabled(if: enabled, "needs python3")) func malformedListIsAnEngineError() throws {
        let directory = try TestSupport.temporaryDirectory()
        defer { TestSupport.remove(directory) }
        let scenario = directory + "/scenario.json"
        try #"{"containers": {"not": "a list"}, "info": {"NCPU": "four"}}"#.write(toFile: scenario, atomically: true, encoding: .utf8)
        let engine = try Engine(scenario: scenario)
        let collector = DockerCollector(client: EngineClient(endpoint: engine.endpoint), podman: false, options: .init(),
                                        logger: TestSupport.logger())
        #expect(throws: EngineError.self) { try collector.collect(now: Self.time) }
    }

    /// Run as an unprivileged user, the agent explains how to get access to the engine socket.
    @Test(.enabled(if: enabled && getuid() == 0 && AgentBinary.path != nil
                   && FileManager.default.isExecutableFile(atPath: "/usr/sbin/runuser"), "needs root, runuser and pulse-agent"))
    func permissionDeniedSaysHowToFixIt() throws {
        let engine = try Engine(mode: "0600")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/sbin/runuser")
        process.arguments = ["-u", "nobody", "--", AgentBinary.path!, "--once", "--enable-host=false", "--enable-docker",
                             "--log-format", "text"]
        process.environment = ["DOCKER_HOST": "unix://" + engine.socket, "PATH": "/usr/bin:/bin", "HOME": "/"]
        let err = Pipe()
        process.standardError = err
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let output = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 1)
        #expect(output.contains("permission denied on \(engine.socket)"))
        #expect(output.contains("usermod -aG docker"))
    }
}
