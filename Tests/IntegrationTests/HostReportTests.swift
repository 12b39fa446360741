import Foundation
import PulseCommon
import Testing

/// `POST /api/agents/host/report` and how reports show up in `GET /api/state`.
@Suite("Host reports", .timeLimit(.minutes(2)))
struct HostReportTests {
    static let stateKeys = [
        "nodes", "vms", "containers", "dockerHosts", "removedDockerHosts", "kubernetesClusters",
        "removedKubernetesClusters", "hosts", "storage", "cephClusters", "physicalDisks", "pbs", "pmg", "pbsBackups",
        "pmgBackups", "backups", "replicationJobs", "activeAlerts", "metrics", "pveBackups", "performance",
        "connectionHealth", "stats", "lastUpdate", "temperatureMonitoringEnabled",
    ]

    /// Checks a 200 report answer: exactly the documented keys, no `config`; returns the host id.
    @discardableResult
    static func expectAccepted(_ response: HTTPClientResponse, timestamp: Date? = nil,
                               sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
        #expect(response.status == 200, "report: \(response.status) \(response.text)", sourceLocation: sourceLocation)
        let body = try jsonObject(response, sourceLocation: sourceLocation)
        #expect(Set(body.keys) == ["success", "hostId", "lastSeen", "platform", "osName", "osVersion", "configVersion"],
                "keys: \(body.keys.sorted())", sourceLocation: sourceLocation)
        #expect(body["config"] == nil, sourceLocation: sourceLocation)
        #expect(body["success"] as? Bool == true, sourceLocation: sourceLocation)
        #expect(body["platform"] as? String == "debian", sourceLocation: sourceLocation)
        #expect(body["osName"] as? String == "Debian GNU/Linux", sourceLocation: sourceLocation)
        #expect(body["osVersion"] as? String == "12.8", sourceLocation: sourceLocation)
        let lastSeenText = try #require(body["lastSeen"] as? String, sourceLocation: sourceLocation)
        let lastSeen = try #require(RFC3339.parse(lastSeenText), "lastSeen is not RFC 3339: \(lastSeenText)",
                                    sourceLocation: sourceLocation)
        if let timestamp {
            let expected = timestamp.timeIntervalSince1970 + Fixture.fraction
            #expect(abs(lastSeen.timeIntervalSince1970 - expected) < 0.001,
                    "lastSeen \(lastSeenText) is the report's timestamp", sourceLocation: sourceLocation)
        }
        return try #require(body["hostId"] as? String, sourceLocation: sourceLocation)
    }

    /// The hosts in `/api/state`.
    static func stateHosts(_ hub: HubProcess, token: String,
                           sourceLocation: SourceLocation = #_sourceLocation) throws -> [[String: Any]] {
        let response = try hub.get("/api/state", token: token)
        #expect(response.status == 200, "state: \(response.status) \(response.text)", sourceLocation: sourceLocation)
        let body = try jsonObject(response, sourceLocation: sourceLocation)
        return try #require(body["hosts"] as? [[String: Any]], "hosts: \(response.text)", sourceLocation: sourceLocation)
    }

    @Test("a full Pulse 5 report is accepted with X-API-Token and with Bearer")
    func fullReportAccepted() throws {
        let hub = try HubProcess()
        defer { hub.shutdown() }
        let token = try hub.createToken(name: "agent", scopes: "host-agent:report")
        try hub.start()

        let first = Fixture.recentSecond(secondsAgo: 3)
        let viaHeader = try Self.expectAccepted(try hub.report(Fixture.report(timestamp: first), token: token),
                                                timestamp: first)
        #expect(viaHeader == Fixture.hostID)

        let second = first.addingTimeInterval(1)
        let viaBearer = try Self.expectAccepted(
            try hub.report(Fixture.report(timestamp: second, sequenceId: "1843"), token: token, bearer: true),
            timestamp: second)
        #expect(viaBearer == Fixture.hostID)
    }

    @Test("the host id is the sanitized host.id")
    func hostIDIsSanitized() throws {
        let hub = try HubProcess()
        defer { hub.shutdown() }
        let token = try hub.createToken(name: "agent", scopes: "host-agent:report")
        try hub.start()
        let id = try Self.expectAccepted(try hub.report(Fixture.report(hostID: " rack 7/node#3 "), token: token))
        #expect(id == "rack-7-node-3")
    }

    @Test("GET /api/state shows the reported host in the frontend shape")
    func stateShowsHost() throws {
        let hub = try HubProcess()
        defer { hub.shutdown() }
        let agentToken = try hub.createToken(name: "agent", scopes: "host-agent:report")
        let readToken = try hub.createToken(name: "dashboard", scopes: "monitoring:read")
        try hub.start()

        let timestamp = Fixture.recentSecond()
        let hostID = try Self.expectAccepted(try hub.report(Fixture.report(timestamp: timestamp), token: agentToken))

        let response = try hub.get("/api/state", token: readToken)
        #expect(response.status == 200, "\(response.text)")
        let state = try jsonObject(response)
        for key in Self.stateKeys { #expect(state[key] != nil, "state lacks \(key)") }
        #expect(isJSONNumber(state["lastUpdate"]))

        let hosts = try #require(state["hosts"] as? [[String: Any]])
        try #require(hosts.count == 1, "hosts: \(hosts)")
        let host = hosts[0]
        #expect(host["id"] as? String == hostID)
        #expect(host["hostname"] as? String == Fixture.hostname)
        #expect(host["displayName"] as? String == Fixture.hostname)
        #expect(host["status"] as? String == "online")
        #expect(isJSONNumber(host["lastSeen"]), "lastSeen must be unix ms: \(String(describing: host["lastSeen"]))")
        let lastSeen = (host["lastSeen"] as? NSNumber)?.doubleValue ?? 0
        #expect(lastSeen > 1.7e12)
        #expect(abs(lastSeen - Fixture.unixMilliseconds(timestamp)) <= 1, "lastSeen \(lastSeen)")
        #expect((host["cpuUsage"] as? NSNumber)?.doubleValue == 23.5)

        let memory = try #require(host["memory"] as? [String: Any], "memory: \(String(describing: host["memory"]))")
        #expect(Set(memory.keys).isSuperset(of: ["total", "used", "free", "usage", "swapTotal", "swapUsed"]), "\(memory)")
        #expect((memory["total"] as? NSNumber)?.int64Value == Fixture.memoryTotal)
        #expect((memory["used"] as? NSNumber)?.int64Value == Fixture.memoryUsed)
        #expect((memory["free"] as? NSNumber)?.int64Value == Fixture.memoryFree)
        #expect((memory["usage"] as? NSNumber)?.doubleValue == 37.5)
        #expect((memory["swapTotal"] as? NSNumber)?.int64Value == Fixture.swapTotal)
        #expect((memory["swapUsed"] as? NSNumber)?.int64Value == Fixture.swapUsed)

        let disks = try #require(host["disks"] as? [[String: Any]])
        #expect(disks.compactMap { $0["mountpoint"] as? String } == ["/", "/srv/data"], "the tmpfs /run is dropped")
        #expect(!disks.contains { ($0["type"] as? String) == "tmpfs" })

        let interfaces = try #require(host["networkInterfaces"] as? [[String: Any]])
        #expect(interfaces.count == 1)
        #expect(interfaces.first?["name"] as? String == "eth0")
        #expect(interfaces.first?["addresses"] as? [String] == ["192.168.1.50/24", "fe80::5054:ff:fe12:3456/64"])

        let sensors = try #require(host["sensors"] as? [String: Any])
        let temperatures = try #require(sensors["temperatureCelsius"] as? [String: Any])
        #expect((temperatures["cpu_package"] as? NSNumber)?.doubleValue == 54.0)
        #expect((temperatures["nvme0"] as? NSNumber)?.doubleValue == 42.85)

        #expect((host["tokenId"] as? String)?.isEmpty == false)
        #expect(host["tokenName"] as? String == "agent")
        let hint = try #require(host["tokenHint"] as? String)
        #expect(hint.hasPrefix(String(agentToken.prefix(6))) && hint.hasSuffix(String(agentToken.suffix(4))), "hint \(hint)")
        #expect(!response.text.contains(agentToken), "the raw token never appears in state")
        #expect(host["tags"] as? [String] == ["prod", "rack-7"])

        let health = try #require(state["connectionHealth"] as? [String: Any])
        #expect(health["host-\(hostID)"] as? Bool == true, "connectionHealth: \(health)")
    }

    @Test("a second token reporting the same host.id under another hostname gets its own id")
    func tokenHostnameBinding() throws {
        let hub = try HubProcess()
        defer { hub.shutdown() }
        let tokenA = try hub.createToken(name: "agent-a", scopes: "host-agent:report")
        let tokenB = try hub.createToken(name: "agent-b", scopes: "host-agent:report")
        let readToken = try hub.createToken(name: "dashboard", scopes: "monitoring:read")
        try hub.start()

        let idA = try Self.expectAccepted(try hub.report(Fixture.report(), token: tokenA))
        #expect(idA == Fixture.hostID)

        let other = "web02.example.com"
        let idB = try Self.expectAccepted(try hub.report(Fixture.report(hostname: other), token: tokenB))
        #expect(idB != idA)
        let base = String(Fixture.hostID.prefix(40))
        #expect(idB.hasPrefix(base + "-") && idB.count == base.count + 9 && isHex(String(idB.suffix(8)), length: 8),
                "id \(idB) is <base>-<8 hex>")

        let again = try Self.expectAccepted(
            try hub.report(Fixture.report(hostname: other, timestamp: Fixture.recentSecond(secondsAgo: 1), sequenceId: "1843"),
                           token: tokenB))
        #expect(again == idB)
        let againA = try Self.expectAccepted(
            try hub.report(Fixture.report(timestamp: Fixture.recentSecond(secondsAgo: 1), sequenceId: "1843"), token: tokenA))
        #expect(againA == idA)

        let hosts = try Self.stateHosts(hub, token: readToken)
        #expect(Set(hosts.compactMap { $0["id"] as? String }) == [idA, idB])
    }

    @Test("a report older than the current one is acknowledged but does not roll state back")
    func staleReportIgnored() throws {
        let hub = try HubProcess()
        defer { hub.shutdown() }
        let token = try hub.createToken(name: "agent", scopes: "host-agent:report")
        let readToken = try hub.createToken(name: "dashboard", scopes: "monitoring:read")
        try hub.start()

        let newer = Fixture.recentSecond(secondsAgo: 5)
        try Self.expectAccepted(try hub.report(Fixture.report(timestamp: newer, sequenceId: nil, cpuUsage: 11.5), token: token))
        let older = newer.addingTimeInterval(-60)
        try Self.expectAccepted(try hub.report(Fixture.report(timestamp: older, sequenceId: nil, cpuUsage: 99.5), token: token))

        let hosts = try Self.stateHosts(hub, token: readToken)
        try #require(hosts.count == 1)
        #expect((hosts[0]["cpuUsage"] as? NSNumber)?.doubleValue == 11.5, "stale report applied: \(hosts[0]["cpuUsage"] ?? "nil")")
        let lastSeen = (hosts[0]["lastSeen"] as? NSNumber)?.doubleValue ?? 0
        #expect(abs(lastSeen - Fixture.unixMilliseconds(newer)) <= 1, "lastSeen \(lastSeen) went back")
        #expect(hosts[0]["status"] as? String == "online")
    }

    @Test("bad input to the report endpoint")
    func badInput() throws {
        let hub = try HubProcess()
        defer { hub.shutdown() }
        let token = try hub.createToken(name: "agent", scopes: "host-agent:report")
        let readOnly = try hub.createToken(name: "reader", scopes: "monitoring:read")
        try hub.start()

        // Malformed JSON.
        let malformed = try hub.report(#"{"host": {"hostname": "x""#, token: token)
        let malformedBody = try expectErrorBody(malformed, status: 400, code: "invalid_json")
        #expect((malformedBody["error"] as? String)?.isEmpty == false)

        // Wrong types name the field.
        let wrongType = Fixture.report().replacingOccurrences(of: #""cpuCount": 16"#, with: #""cpuCount": "eight""#)
        #expect(wrongType.contains("\"eight\""))
        let typeResponse = try hub.report(wrongType, token: token)
        let typeBody = try expectErrorBody(typeResponse, status: 400, code: "invalid_json")
        let detail = (typeBody["details"] as? [String: Any])?["error"] as? String
        #expect(detail?.contains("cpuCount") == true, "details.error: \(typeResponse.text)")

        // No hostname.
        for body in [#"{"host":{}}"#, "{}"] {
            let response = try hub.report(body, token: token)
            let error = try expectErrorBody(response, status: 400, code: "invalid_report")
            #expect(error["error"] as? String == "host report missing hostname", "\(body): \(response.text)")
        }

        // Over the 256 KiB limit.
        let padding = String(repeating: "a", count: 300 * 1024)
        let large = try hub.report(#"{"host":{"hostname":"big"},"pad":""# + padding + #""}"#, token: token)
        _ = try expectErrorBody(large, status: 413, code: "request_too_large")

        // No token, a wrong token, a token without the scope.
        let anonymous = try hub.report(Fixture.report(), token: nil)
        #expect(anonymous.status == 401, "\(anonymous.text)")
        #expect(anonymous.header("WWW-Authenticate")?.isEmpty == false, "401 without WWW-Authenticate")

        let wrong = try hub.report(Fixture.report(), token: String(repeating: "ab", count: 32))
        #expect(wrong.status == 401, "\(wrong.text)")
        let wrongBearer = try hub.report(Fixture.report(), token: "not-a-token", bearer: true)
        #expect(wrongBearer.status == 401, "\(wrongBearer.text)")

        let unscoped = try hub.report(Fixture.report(), token: readOnly)
        try expectMissingScope(unscoped, "host-agent:report")

        // None of that created a host; the endpoint still works.
        let readHosts = try Self.stateHosts(hub, token: readOnly)
        #expect(readHosts.isEmpty, "a refused report created a host: \(readHosts)")
        try Self.expectAccepted(try hub.report(Fixture.report(), token: token))
    }
}
