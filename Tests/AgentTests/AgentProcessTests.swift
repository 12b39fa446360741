import Foundation
import Glibc
import PulseCommon
import Synchronization
import Testing

/// The real `pulse-agent` against an in-process fake hub: systemd notifications, the health server, and what
/// SIGTERM does to a send in flight.
@Suite(.enabled(if: AgentBinary.path != nil, "the pulse-agent binary is not built next to the tests"))
struct AgentProcessTests {
    /// A running agent, stopped by PID.
    final class Agent {
        let process = Process()
        let stderrPath: String

        init(_ arguments: [String], environment: [String: String], stderrPath: String) throws {
            self.stderrPath = stderrPath
            _ = FileManager.default.createFile(atPath: stderrPath, contents: nil)
            process.executableURL = URL(fileURLWithPath: AgentBinary.path!)
            process.arguments = arguments
            process.environment = environment
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle(forWritingAtPath: stderrPath)
            try process.run()
        }

        deinit { _ = terminate() }

        var log: String { (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? "" }

        /// SIGTERM to the PID; the exit status, or nil if it had to be killed after `timeout`.
        func terminate(timeout: TimeInterval = 15) -> Int32? {
            guard process.isRunning else { return process.terminationStatus }
            kill(process.processIdentifier, SIGTERM)
            let deadline = Date().addingTimeInterval(timeout)
            while process.isRunning && Date() < deadline { usleep(20_000) }
            guard !process.isRunning else {
                kill(process.processIdentifier, SIGKILL)
                process.waitUntilExit()
                return nil
            }
            return process.terminationStatus
        }
    }

    static func wait(_ timeout: TimeInterval, for condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if condition() { return true }
            usleep(50_000)
        }
        return condition()
    }

    @Test func readyHealthMetricsAndACleanStop() throws {
        let directory = try TestSupport.temporaryDirectory()
        defer { TestSupport.remove(directory) }
        let hub = try FakeHub { request in
            request.path == "/api/agents/host/report" ? HubAnswers.reportAccepted(commandsEnabled: true)
                : .json(404, #"{"error":"not found"}"#)
        }
        defer { hub.stop() }
        let notify = try AgentSystemdTests.listener(directory + "/notify.sock")
        defer { close(notify) }
        let healthPort = try HubServer.freePort()
        let agent = try Agent(["--url", hub.baseURL, "--interval", "1s", "--health-addr", "127.0.0.1:\(healthPort)",
                               "--spool-dir", directory + "/spool", "--log-level", "debug",
                               "--remote-config-interval", "0"],
                              environment: ["PULSE_TOKEN": "tok", "NOTIFY_SOCKET": directory + "/notify.sock"],
                              stderrPath: directory + "/agent.log")
        #expect(AgentSystemdTests.receive(notify).hasPrefix("READY=1\nSTATUS=reporting to"))
        #expect(Self.wait(10) { hub.requests.count >= 2 }, "two reports at a 1 s interval")
        #expect(try HealthServerTests.get(UInt16(healthPort), "/healthz").hasSuffix("ok\n"))
        #expect(try HealthServerTests.get(UInt16(healthPort), "/readyz").hasPrefix("HTTP/1.1 200 "))
        let metrics = try HealthServerTests.get(UInt16(healthPort), "/metrics")
        #expect(metrics.contains("\npulse_agent_up 1\n") && metrics.contains("\npulse_agent_commands_enabled 1\n"))
        #expect(metrics.contains("pulse_agent_collector_success{collector=\"host.memory\"} 1\n"))
        #expect(metrics.contains("\npulse_agent_spool_durable 1\n"))
        #expect(metrics.contains("\npulse_agent_report_interval_seconds 1\n"))

        #expect(agent.terminate() == 0)
        #expect(AgentSystemdTests.receive(notify) == "STOPPING=1")
        #expect(agent.log.contains("pulse-agent stopped"), "\(agent.log)")
        #expect((try? HealthServerTests.get(UInt16(healthPort), "/healthz")) == nil, "the health server is gone")
    }

    /// SIGTERM while a send hangs: the agent waits a little, spools the report and exits 0; the next start
    /// replays it first.
    @Test func sigtermSpoolsTheReportInFlight() throws {
        let directory = try TestSupport.temporaryDirectory()
        defer { TestSupport.remove(directory) }
        let stall = Atomic<Bool>(true)
        let hub = try FakeHub { request in
            if request.path == "/api/agents/host/report" && stall.load(ordering: .relaxed) {
                Thread.sleep(forTimeInterval: 12)
            }
            return request.path == "/api/agents/host/report" ? HubAnswers.reportAccepted()
                : .json(404, #"{"error":"not found"}"#)
        }
        defer { hub.stop() }
        let arguments = ["--url", hub.baseURL, "--interval", "30s", "--health-addr=", "--spool-dir",
                         directory + "/spool", "--log-level", "debug", "--remote-config-interval", "0"]
        let agent = try Agent(arguments, environment: ["PULSE_TOKEN": "tok"], stderrPath: directory + "/agent.log")
        #expect(Self.wait(10) { hub.requests.count == 1 }, "the first report is being sent")
        let started = Date()
        #expect(agent.terminate() == 0)
        #expect(Date().timeIntervalSince(started) < 9, "a bounded wait for the send, then exit")
        let log = agent.log
        #expect(log.contains("a report send was still in flight at stop; the report is spooled"), "\(log)")
        let files = try FileManager.default.contentsOfDirectory(atPath: directory + "/spool").filter { $0.hasSuffix(".json") }
        #expect(files.count == 1)
        let spooledSequence = files.first.flatMap { Int64($0.prefix(20)) }

        // The next run replays it before its own first report.
        stall.store(false, ordering: .relaxed)
        let before = hub.requests.count
        let again = try Agent(arguments, environment: ["PULSE_TOKEN": "tok"], stderrPath: directory + "/agent2.log")
        #expect(Self.wait(10) { hub.requests.count >= before + 2 })
        #expect(again.terminate() == 0)
        let sent = hub.requests.dropFirst(before).compactMap { request -> Int64? in
            (try? JSONSerialization.jsonObject(with: Data(request.body)) as? [String: Any])?["sequenceId"]
                .flatMap { $0 as? String }.flatMap { Int64($0) }
        }
        #expect(sent.first == spooledSequence, "the spooled report goes first")
        #expect(sent.count >= 2 && sent[1] > sent[0], "then a newer live one")
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory + "/spool").filter { $0.hasSuffix(".json") }.isEmpty)
    }
}
