import Foundation
import PulseCommon
import Testing

/// Host lookup, agent uninstall and admin delete.
@Suite("Host lookup, uninstall and delete", .timeLimit(.minutes(2)))
struct HostManagementTests {
    @Test("lookup by hostname and short name, only for the owning token")
    func lookup() throws {
        let hub = try HubProcess()
        defer { hub.shutdown() }
        let owner = try hub.createToken(name: "owner", scopes: "host-agent:report")
        let other = try hub.createToken(name: "other", scopes: "host-agent:report")
        try hub.start()
        let hostID = try HostReportTests.expectAccepted(try hub.report(Fixture.report(), token: owner))

        for query in [Fixture.hostname, "web01", "WEB01.example.com"] {
            let response = try hub.get("/api/agents/host/lookup?hostname=\(query)", token: owner)
            #expect(response.status == 200, "lookup \(query): \(response.status) \(response.text)")
            let body = try jsonObject(response)
            #expect(body["success"] as? Bool == true)
            let host = try #require(body["host"] as? [String: Any], "\(response.text)")
            #expect(Set(host.keys) == ["id", "hostname", "displayName", "status", "connected", "lastSeen", "agentVersion"],
                    "keys \(host.keys.sorted())")
            #expect(host["id"] as? String == hostID)
            #expect(host["hostname"] as? String == Fixture.hostname)
            #expect(host["displayName"] as? String == Fixture.hostname)
            #expect(host["status"] as? String == "online")
            #expect(host["connected"] as? Bool == true)
            #expect((host["lastSeen"] as? String).flatMap(RFC3339.parse) != nil, "lastSeen \(host["lastSeen"] ?? "nil")")
            #expect(host["agentVersion"] as? String == "v5.0.12")
        }

        let forbidden = try hub.get("/api/agents/host/lookup?hostname=\(Fixture.hostname)", token: other)
        _ = try expectErrorBody(forbidden, status: 403, code: "host_lookup_forbidden")

        let unknown = try hub.get("/api/agents/host/lookup?hostname=nosuchhost.example.com", token: owner)
        _ = try expectErrorBody(unknown, status: 404, code: "host_not_found")
    }

    @Test("uninstall: only the owner may remove its host, which also retires its only token")
    func uninstall() throws {
        let hub = try HubProcess()
        defer { hub.shutdown() }
        let owner = try hub.createToken(name: "owner", scopes: "host-agent:report")
        let other = try hub.createToken(name: "other", scopes: "host-agent:report")
        let reader = try hub.createToken(name: "reader", scopes: "monitoring:read")
        try hub.start()
        let hostID = try HostReportTests.expectAccepted(try hub.report(Fixture.report(), token: owner))
        let body = #"{"hostId":"\#(hostID)"}"#

        let stranger = try hub.post("/api/agents/host/uninstall", json: body, token: other)
        #expect(stranger.status == 403, "non-owner uninstall: \(stranger.status) \(stranger.text)")
        #expect(try HostReportTests.stateHosts(hub, token: reader).count == 1, "a refused uninstall removed the host")

        let uninstalled = try hub.post("/api/agents/host/uninstall", json: body, token: owner)
        #expect(uninstalled.status == 200, "\(uninstalled.text)")
        let answer = try jsonObject(uninstalled)
        #expect(answer["success"] as? Bool == true)
        #expect(answer["hostId"] as? String == hostID)
        #expect((answer["message"] as? String)?.isEmpty == false)

        #expect(try HostReportTests.stateHosts(hub, token: reader).isEmpty, "host still in state after uninstall")
        let afterwards = try hub.report(Fixture.report(), token: owner)
        #expect(afterwards.status == 401, "the owner's only-host token still works: \(afterwards.status) \(afterwards.text)")
        // The other reporting token is untouched.
        try HostReportTests.expectAccepted(try hub.report(Fixture.report(hostname: "other.example.com"), token: other))
    }

    @Test("DELETE /api/agents/host/{id} needs host-agent:manage")
    func adminDelete() throws {
        let hub = try HubProcess()
        defer { hub.shutdown() }
        let agent = try hub.createToken(name: "agent", scopes: "host-agent:report")
        let admin = try hub.createToken(name: "admin")
        let reader = try hub.createToken(name: "reader", scopes: "monitoring:read")
        try hub.start()
        let hostID = try HostReportTests.expectAccepted(try hub.report(Fixture.report(hostname: "db01.example.com"), token: agent))

        try expectMissingScope(try hub.request("DELETE", "/api/agents/host/\(hostID)", token: agent), "host-agent:manage")
        #expect(try HostReportTests.stateHosts(hub, token: reader).count == 1)

        let deleted = try hub.request("DELETE", "/api/agents/host/\(hostID)", token: admin)
        #expect(deleted.status == 200, "\(deleted.text)")
        #expect(try jsonObject(deleted)["success"] as? Bool == true)
        #expect(try HostReportTests.stateHosts(hub, token: reader).isEmpty)

        let unknown = try hub.request("DELETE", "/api/agents/host/\(hostID)", token: admin)
        #expect(unknown.status == 404, "\(unknown.text)")
        let bogus = try hub.request("DELETE", "/api/agents/host/no-such-host", token: admin)
        #expect(bogus.status == 404, "\(bogus.text)")
    }
}
