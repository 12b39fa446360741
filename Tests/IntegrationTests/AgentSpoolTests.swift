import Foundation
#if canImport(Glibc)
import Glibc
#endif
import PulseCommon
import Testing

/// The real agent reporting to the real hub across a hub outage: the spool grows while the hub is down and
/// drains oldest first when it is back on the same port and data directory, with every report accounted for.
@Suite(.timeLimit(.minutes(3)))
struct AgentSpoolTests {
    /// `$PULSE_AGENT_BIN`, else `<package root>/.build/debug/pulse-agent`.
    static func agentBinary() throws -> String {
        if let path = ProcessInfo.processInfo.environment["PULSE_AGENT_BIN"], !path.isEmpty {
            guard access(path, X_OK) == 0 else { throw HarnessError("PULSE_AGENT_BIN \(path) is not executable") }
            return path
        }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().path
        let path = root + "/.build/debug/pulse-agent"
        guard access(path, X_OK) == 0 else {
            throw HarnessError("pulse-agent not found at \(path): build it or set PULSE_AGENT_BIN")
        }
        return path
    }

    /// A child process stopped by PID: SIGTERM, a bounded wait, SIGKILL as a last resort.
    final class Child {
        private(set) var pid: pid_t?
        let name: String

        init(_ name: String, pid: pid_t) {
            self.name = name
            self.pid = pid
        }

        deinit { _ = stop() }

        /// The exit code after SIGTERM, nil if it had to be killed.
        @discardableResult
        func stop(timeout: Duration = .seconds(15)) -> Int32? {
            guard let child = pid else { return nil }
            pid = nil
            kill(child, SIGTERM)
            guard let status = HubProcess.waitForExit(child, timeout: timeout) else {
                kill(child, SIGKILL)
                _ = HubProcess.waitForExit(child, timeout: .seconds(5))
                return nil
            }
            return HubProcess.exitCode(status)
        }
    }

    /// The agent's `/metrics` samples without labels, by name.
    static func metrics(_ client: HTTPClient, port: UInt16) -> [String: Double] {
        let request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/metrics", timeout: .seconds(3))
        guard let response = try? client.perform(request), response.status == 200 else { return [:] }
        var samples: [String: Double] = [:]
        for line in response.text.split(separator: "\n") where !line.hasPrefix("#") && !line.contains("{") {
            let parts = line.split(separator: " ")
            if parts.count == 2, let value = Double(parts[1]) { samples[String(parts[0])] = value }
        }
        return samples
    }

    /// `lastSeen` (Unix ms) of the host in `/api/state`, nil while it is absent or the hub is down.
    static func lastSeen(_ client: HTTPClient, baseURL: String, token: String, hostname: String) -> Double? {
        let request = HTTPClientRequest(url: baseURL + "/api/state", headers: [("X-API-Token", token)],
                                        timeout: .seconds(3))
        guard let response = try? client.perform(request), response.status == 200,
              let state = try? JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any],
              let hosts = state["hosts"] as? [[String: Any]],
              let host = hosts.first(where: { $0["hostname"] as? String == hostname }) else { return nil }
        return (host["lastSeen"] as? NSNumber)?.doubleValue
    }

    static func reportFiles(_ directory: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).filter { $0.hasSuffix(".json") }
    }

    /// The `sequenceId` of every agent log line with this message, in order.
    static func sequences(in log: String, message: String) -> [Int64] {
        log.split(separator: "\n").compactMap { line -> Int64? in
            guard line.contains("\"message\":\"\(message)\""),
                  let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  let text = object["sequenceId"] as? String else { return nil }
            return Int64(text)
        }
    }

    static func waitUntil(_ timeout: Duration, _ condition: () -> Bool) -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if condition() { return true }
            usleep(100_000)
        }
        return condition()
    }

    @Test func theSpoolBridgesAHubOutageAndDrainsOldestFirst() throws {
        let agentBinary = try Self.agentBinary()
        let hub = try HubProcess()
        defer { hub.shutdown() }
        let agentToken = try hub.createToken(name: "agent", scopes: "host-agent:report")
        let readToken = try hub.createToken(name: "reader", scopes: "monitoring:read")
        try hub.start()
        let port = hub.port
        let baseURL = hub.baseURL
        let client = HTTPClient()
        let hostname = "spool-it-host"
        let spoolDirectory = hub.root + "/agent-spool"
        let agentLog = hub.root + "/agent.log"
        let healthPort = try HubProcess.freeLoopbackPort()

        let agent = Child("pulse-agent", pid: try HubProcess.spawn(
            agentBinary,
            arguments: ["--url", baseURL, "--interval", "1s", "--hostname", hostname, "--spool-dir", spoolDirectory,
                        "--health-addr", "127.0.0.1:\(healthPort)", "--log-level", "debug",
                        "--remote-config-interval", "0"],
            environment: ["PULSE_TOKEN": agentToken, "PATH": "/usr/bin:/bin"],
            stdoutPath: hub.root + "/agent.stdout", stderrPath: agentLog, append: true))
        var restarted: Child?
        defer {
            _ = agent.stop()
            restarted?.stop()
        }
        func log() -> String { (try? String(contentsOfFile: agentLog, encoding: .utf8)) ?? "" }

        // 1. The agent reports and the host appears in /api/state.
        var firstSeen: Double?
        #expect(Self.waitUntil(.seconds(20)) {
            firstSeen = Self.lastSeen(client, baseURL: baseURL, token: readToken, hostname: hostname)
            return firstSeen != nil
        }, "the host never appeared in /api/state. Agent log:\n\(log())")
        #expect(Self.metrics(client, port: healthPort)["pulse_agent_ready"] == 1)

        // 2. The hub goes away for several intervals: the spool grows.
        try hub.stop()
        let outageStarted = Date()
        var depths: [Double] = []
        #expect(Self.waitUntil(.seconds(20)) {
            depths.append(Self.metrics(client, port: healthPort)["pulse_agent_spool_reports"] ?? 0)
            return (depths.last ?? 0) >= 4
        }, "the spool did not grow: \(depths)")
        #expect(depths == depths.sorted(), "the spool only grows while the hub is down: \(depths)")
        #expect(Self.reportFiles(spoolDirectory).count >= 4)
        let spooledDuringOutage = Self.metrics(client, port: healthPort)["pulse_agent_reports_spooled_total"] ?? 0

        // 3. The hub comes back on the same port and data directory.
        let hubPID = try HubProcess.spawn(
            hub.binary, arguments: [],
            environment: ["PULSE_DATA_DIR": hub.dataDirectory, "HOME": hub.root, "PATH": "/usr/bin:/bin",
                          "FRONTEND_PORT": String(port), "BACKEND_HOST": "127.0.0.1", "LOG_LEVEL": "warn"],
            stdoutPath: hub.stdoutLogPath, stderrPath: hub.stderrLogPath, append: true)
        restarted = Child("pulse-hub", pid: hubPID)
        #expect(Self.waitUntil(.seconds(20)) {
            (try? client.perform(HTTPClientRequest(url: baseURL + "/api/health", timeout: .seconds(2))))?.status == 200
        }, "the hub did not come back on port \(port). Log:\n\(hub.log)")

        // 4. The spool drains; the hub's lastSeen only moves forward.
        var seen: [Double] = []
        #expect(Self.waitUntil(.seconds(30)) {
            if let value = Self.lastSeen(client, baseURL: baseURL, token: readToken, hostname: hostname) { seen.append(value) }
            return Self.metrics(client, port: healthPort)["pulse_agent_spool_reports"] == 0
                && Self.reportFiles(spoolDirectory).isEmpty
        }, "the spool did not drain. Agent log:\n\(log())")
        #expect(seen == seen.sorted(), "lastSeen went backwards: \(seen)")
        let outageEnd = (seen.last ?? 0) / 1000
        #expect(outageEnd > outageStarted.timeIntervalSince1970, "lastSeen is after the outage")
        #expect((seen.last ?? 0) > (firstSeen ?? .infinity))

        // 5. Every report accounted for: stop the agent first so no cycle is half done.
        #expect(Self.waitUntil(.seconds(5)) { (Self.metrics(client, port: healthPort)["pulse_agent_reports_replayed_total"] ?? 0) >= spooledDuringOutage })
        let counters = Self.metrics(client, port: healthPort)
        #expect(agent.stop() == 0, "the agent exits 0 on SIGTERM")
        let collected = counters["pulse_agent_reports_collected_total"] ?? -1
        let sent = counters["pulse_agent_reports_sent_total"] ?? -1
        let replayed = counters["pulse_agent_reports_replayed_total"] ?? -1
        let spooled = counters["pulse_agent_reports_spooled_total"] ?? -1
        #expect(counters["pulse_agent_spool_dropped_total"] == 0 && counters["pulse_agent_reports_rejected_total"] == 0)
        #expect(replayed == spooled && spooled >= 4, "every spooled report was replayed: \(counters)")
        let unaccounted = collected - (sent - replayed) - spooled
        #expect(unaccounted == 0 || unaccounted == 1, "collected = live sent + spooled (± one in flight): \(counters)")

        // 6. The log agrees: each spooled report delivered once, oldest first.
        let text = log()
        let spooledSequences = Self.sequences(in: text, message: "report spooled")
        let replayedSequences = Self.sequences(in: text, message: "spooled report delivered")
        #expect(replayedSequences == replayedSequences.sorted(), "replay is oldest first: \(replayedSequences)")
        #expect(Set(replayedSequences).count == replayedSequences.count, "nothing replayed twice")
        #expect(Set(replayedSequences) == Set(spooledSequences.filter { $0 > 0 }))
        #expect(Self.reportFiles(spoolDirectory).isEmpty)
        #expect(restarted?.stop() == 0, "the restarted hub exits 0 on SIGTERM")
    }
}
