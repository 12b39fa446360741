import Foundation
import PulseCommon
import Testing

/// Restart, shutdown and the admin CLI working next to a running hub.
@Suite("Lifecycle and CLI", .timeLimit(.minutes(2)))
struct LifecycleTests {
    @Test("hosts and their ids survive a restart")
    func restartKeepsHosts() throws {
        let hub = try HubProcess()
        defer { hub.shutdown() }
        let agentToken = try hub.createToken(name: "agent", scopes: "host-agent:report")
        let readToken = try hub.createToken(name: "dashboard", scopes: "monitoring:read")
        try hub.start()

        let hostID = try HostReportTests.expectAccepted(
            try hub.report(Fixture.report(timestamp: Fixture.recentSecond(secondsAgo: 5)), token: agentToken))
        let before = try HostReportTests.stateHosts(hub, token: readToken)
        #expect(before.first?["status"] as? String == "online")

        try hub.stop()
        try hub.start()

        let after = try HostReportTests.stateHosts(hub, token: readToken)
        try #require(after.count == 1, "hosts after restart: \(after)")
        #expect(after[0]["id"] as? String == hostID)
        #expect(after[0]["hostname"] as? String == Fixture.hostname)
        #expect(after[0]["status"] as? String == "offline", "no report since the restart")

        let again = try HostReportTests.expectAccepted(
            try hub.report(Fixture.report(timestamp: Fixture.recentSecond(secondsAgo: 1), sequenceId: "1843"),
                           token: agentToken))
        #expect(again == hostID)
        let online = try HostReportTests.stateHosts(hub, token: readToken)
        #expect(online.count == 1)
        #expect(online.first?["id"] as? String == hostID)
        #expect(online.first?["status"] as? String == "online")
    }

    @Test("SIGTERM shuts the hub down gracefully with exit status 0")
    func gracefulShutdown() throws {
        // The shutdown line is logged at info level, so this hub runs with LOG_LEVEL=info.
        let hub = try HubProcess(logLevel: "info")
        defer { hub.shutdown() }
        let token = try hub.createToken(name: "agent", scopes: "host-agent:report")
        try hub.start()
        try HostReportTests.expectAccepted(try hub.report(Fixture.report(), token: token))
        let port = hub.port

        let took = try hub.stop()
        #expect(took < .seconds(10))
        #expect(hub.log.contains("shutting down"), "log:\n\(hub.log)")
        // Nothing listens any more.
        let probe = HTTPClientRequest(url: "http://127.0.0.1:\(port)/api/health", timeout: .seconds(2))
        #expect(throws: HTTPClientError.self) { _ = try HTTPClient().perform(probe) }
    }

    @Test("CLI token create, revoke and list act on a running hub")
    func cliWhileRunning() throws {
        let hub = try HubProcess()
        defer { hub.shutdown() }
        try hub.start()

        let token = try hub.createToken(name: "late", scopes: "monitoring:read")
        let immediately = try hub.get("/api/state", token: token)
        #expect(immediately.status == 200, "a CLI-created token works at once: \(immediately.status) \(immediately.text)")

        let list = try hub.cli(["token", "list"])
        #expect(list.status == 0, "\(list.stderr)")
        #expect(!list.stdout.contains(token) && !list.stderr.contains(token), "token list printed the raw token")
        let line = try #require(list.stdout.split(separator: "\n").first { $0.contains("late") }, "list:\n\(list.stdout)")
        let id = try #require(line.split(separator: " ").first.map(String.init))
        #expect(UUID(uuidString: id) != nil, "first column is the token id: \(line)")

        let revoke = try hub.cli(["token", "revoke", id])
        #expect(revoke.status == 0, "\(revoke.stdout)\(revoke.stderr)")

        let deadline = ContinuousClock.now + .seconds(3)
        var status = 0
        repeat {
            status = try hub.get("/api/state", token: token).status
            if status == 401 { break }
            usleep(100_000)
        } while ContinuousClock.now < deadline
        #expect(status == 401, "a CLI-revoked token still answers \(status) after 3 s")

        let listAfter = try hub.cli(["token", "list"])
        #expect(!listAfter.stdout.contains(id), "revoked token still listed")
        let revokeAgain = try hub.cli(["token", "revoke", id])
        #expect(revokeAgain.status != 0, "revoking an unknown id fails")
    }
}
