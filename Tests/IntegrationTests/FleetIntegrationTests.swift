import Foundation
#if canImport(Glibc)
import Glibc
#endif
import PulseCommon
import Testing

/// The real agent against the real hub: a profile change applies live; self-update replaces the binary in place;
/// a tampered update is refused.
@Suite("Fleet end to end", .serialized, .timeLimit(.minutes(4)))
struct FleetIntegrationTests {
    static func host(_ hub: HubProcess, token: String, hostname: String) -> [String: Any]? {
        guard let state = try? jsonObject(try hub.get("/api/state", token: token)),
              let hosts = state["hosts"] as? [[String: Any]] else { return nil }
        return hosts.first { $0["hostname"] as? String == hostname }
    }

    static func readFile(_ path: String) -> String { (try? String(contentsOfFile: path, encoding: .utf8)) ?? "" }

    @Test("an agent picks up a changed profile interval within one report, without a restart")
    func profileChangeAppliesLive() throws {
        let hub = try HubProcess()
        defer { hub.shutdown() }
        let agentToken = try hub.createToken(name: "agent", scopes: "host-agent:report")
        let admin = try hub.createToken(name: "admin")
        try hub.start()
        let hostname = "live-profile-host"
        let log = hub.root + "/agent.log"
        let agent = AgentSpoolTests.Child("agent", pid: try HubProcess.spawn(
            try AgentSpoolTests.agentBinary(),
            arguments: ["--url", hub.baseURL, "--interval", "20s", "--hostname", hostname, "--spool-dir", hub.root + "/spool",
                        "--health-addr", "", "--disable-auto-update", "--log-level", "debug"],
            environment: ["PULSE_TOKEN": agentToken, "PATH": "/usr/bin:/bin"],
            stdoutPath: hub.root + "/agent.out", stderrPath: log, append: true))
        defer { agent.stop() }
        var host: [String: Any]?
        #expect(AgentSpoolTests.waitUntil(.seconds(20)) {
            host = Self.host(hub, token: admin, hostname: hostname)
            return host != nil
        }, "the agent never reported: \(Self.readFile(log))")
        let hostID = try #require(host?["id"] as? String)

        // A 1-second interval through a profile; the agent reports at 20 s intervals until it applies it.
        let profile = try jsonObject(try hub.post("/api/admin/profiles", json: #"{"name":"fast","config":{"interval":"1s"}}"#, token: admin))
        let profileID = try #require(profile["id"] as? String)
        let assigned = try hub.post("/api/admin/profiles/assignments", json: #"{"agent_id":"\#(hostID)","profile_id":"\#(profileID)"}"#,
                                    token: admin)
        #expect(assigned.status == 200, "\(assigned.text)")
        // Within one 20 s interval the next report carries the new configVersion; the agent fetches and applies it.
        #expect(AgentSpoolTests.waitUntil(.seconds(45)) { Self.readFile(log).contains("remote settings applied") },
                "the agent did not apply the profile: \(Self.readFile(log).suffix(3000))")
        var seen: [Double] = []
        #expect(AgentSpoolTests.waitUntil(.seconds(15)) {
            if let lastSeen = Self.host(hub, token: admin, hostname: hostname)?["lastSeen"] as? Double, seen.last != lastSeen {
                seen.append(lastSeen)
            }
            return seen.count >= 4
        }, "reports did not speed up to every second: \(seen)")
        if seen.count >= 4 { #expect(seen.last! - seen[seen.count - 3] < 6_000, "two reports within a few seconds: \(seen)") }
    }

    /// A hub serving the freshly built agent for this architecture.
    static func hubServingTheAgent() throws -> HubProcess {
        let (hub, _) = try InstallerTests.hubServingTheAgent()
        return hub
    }

    @Test("self-update: a newer version is verified, self-tested, swapped in and exec'd in place")
    func selfUpdateInPlace() throws {
        let hub = try Self.hubServingTheAgent()
        defer { hub.shutdown() }
        let agentToken = try hub.createToken(name: "agent", scopes: "host-agent:report")
        let reader = try hub.createToken(name: "reader", scopes: "monitoring:read")
        try hub.start()
        let installDirectory = hub.root + "/agent-bin"
        try FileManager.default.createDirectory(atPath: installDirectory, withIntermediateDirectories: true)
        let executable = installDirectory + "/pulse-agent"
        try FileManager.default.copyItem(atPath: try AgentSpoolTests.agentBinary(), toPath: executable)
        // The running copy believes it is 0.0.9 (PULSE_AGENT_VERSION_OVERRIDE), so the hub's 0.1.0 is newer.
        let hostname = "self-update-host"
        let log = hub.root + "/agent.log"
        let pid = try HubProcess.spawn(
            executable,
            arguments: ["--url", hub.baseURL, "--interval", "1s", "--hostname", hostname, "--spool-dir", hub.root + "/spool",
                        "--health-addr", "", "--update-interval", "2s", "--remote-config-interval", "0"],
            environment: ["PULSE_TOKEN": agentToken, "PATH": "/usr/bin:/bin", "PULSE_AGENT_VERSION_OVERRIDE": "0.0.9"],
            stdoutPath: hub.root + "/agent.out", stderrPath: log, append: true)
        let agent = AgentSpoolTests.Child("agent", pid: pid)
        defer { agent.stop() }
        #expect(AgentSpoolTests.waitUntil(.seconds(20)) {
            Self.host(hub, token: reader, hostname: hostname)?["agentVersion"] as? String == "0.0.9"
        }, "the agent never reported as 0.0.9: \(Self.readFile(log))")
        var updated: [String: Any]?
        #expect(AgentSpoolTests.waitUntil(.seconds(60)) {
            updated = Self.host(hub, token: reader, hostname: hostname)
            return updated?["agentVersion"] as? String == "0.1.0"
        }, "the agent did not update: \(Self.readFile(log).suffix(4000))")
        #expect(updated?["updatedFrom"] as? String == "0.0.9")
        #expect(kill(pid, 0) == 0, "the same process (exec in place) is still running")
        #expect(FileManager.default.fileExists(atPath: executable + ".backup"), "the previous binary is kept")
        #expect(Crypto.sha256(fileAt: executable) == Crypto.sha256(fileAt: try AgentSpoolTests.agentBinary()))
        #expect(!FileManager.default.fileExists(atPath: installDirectory + "/.pulse-update-info"), "consumed at start")
        let text = Self.readFile(log)
        #expect(text.contains("new agent binary installed") && text.contains("updated by the hub"))
    }

    @Test("self-update refuses a binary whose checksum does not match, and keeps running")
    func tamperedUpdateIsRefused() throws {
        let genuine = Array(try Data(contentsOf: URL(fileURLWithPath: try AgentSpoolTests.agentBinary())))
        var flipped = genuine
        flipped[flipped.count / 3] ^= 0x5a
        let tampered = flipped
        let checksum = Crypto.sha256(genuine).hexString
        let fakeHub = try WebhookReceiver { request in
            if request.path.hasPrefix("/api/agent/version") {
                return (200, [("Content-Type", "application/json")], Array(#"{"version":"9.9.9"}"#.utf8))
            }
            if request.path.hasPrefix("/download/pulse-agent") { return (200, [("X-Checksum-Sha256", checksum)], tampered) }
            if request.path.hasPrefix("/api/agents/host/report") {
                return (200, [("Content-Type", "application/json")],
                        Array(#"{"success":true,"hostId":"h","lastSeen":"2026-12-04T00:00:00Z","platform":"linux","osName":"x","osVersion":"1"}"#.utf8))
            }
            return (404, [], [])
        }
        defer { fakeHub.stop() }
        let directory = NSTemporaryDirectory() + "pulse-update-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let executable = directory + "/pulse-agent"
        try FileManager.default.copyItem(atPath: try AgentSpoolTests.agentBinary(), toPath: executable)
        let log = directory + "/agent.log"
        let pid = try HubProcess.spawn(
            executable,
            arguments: ["--url", "http://127.0.0.1:\(fakeHub.port)", "--interval", "1s", "--hostname", "tamper-host",
                        "--spool-dir", directory + "/spool", "--health-addr", "", "--update-interval", "1s",
                        "--remote-config-interval", "0"],
            environment: ["PULSE_TOKEN": String(repeating: "c", count: 64), "PATH": "/usr/bin:/bin"],
            stdoutPath: directory + "/agent.out", stderrPath: log, append: true)
        let agent = AgentSpoolTests.Child("agent", pid: pid)
        defer { agent.stop() }
        #expect(AgentSpoolTests.waitUntil(.seconds(30)) { Self.readFile(log).contains("checksum mismatch") },
                "no refusal logged: \(Self.readFile(log).suffix(3000))")
        #expect(kill(pid, 0) == 0, "the agent keeps running")
        #expect(Crypto.sha256(fileAt: executable) == Crypto.sha256(genuine), "the binary is unchanged")
        #expect(!FileManager.default.fileExists(atPath: executable + ".backup"))
        #expect(fakeHub.requests.contains { $0.path.hasPrefix("/download/pulse-agent?arch=linux-") })
        #expect(agent.stop() == 0)
    }
}
