import Foundation
import PulseCommon
import Testing

/// Public endpoints, security headers and path handling.
@Suite("Public API and routing", .timeLimit(.minutes(2)))
struct PublicAPITests {
    /// Headers every response carries, whatever its status.
    private func expectSecurityHeaders(_ response: HTTPClientResponse, _ label: String,
                                       sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(response.header("X-Request-ID")?.isEmpty == false, "\(label): no X-Request-ID", sourceLocation: sourceLocation)
        #expect(response.header("X-Content-Type-Options") == "nosniff", "\(label)", sourceLocation: sourceLocation)
        #expect(response.header("X-Frame-Options") == "DENY", "\(label)", sourceLocation: sourceLocation)
        #expect(response.header("Content-Security-Policy")?.isEmpty == false, "\(label): no CSP", sourceLocation: sourceLocation)
    }

    @Test("health, version, agent version and server info are public")
    func publicEndpoints() throws {
        let hub = try HubProcess()
        defer { hub.shutdown() }
        try hub.start()

        let health = try hub.get("/api/health")
        #expect(health.status == 200)
        #expect(health.header("Content-Type")?.hasPrefix("application/json") == true)
        let healthBody = try jsonObject(health)
        #expect(healthBody["status"] as? String == "healthy")
        #expect(isJSONNumber(healthBody["timestamp"]), "\(health.text)")
        #expect(isJSONNumber(healthBody["uptime"]), "\(health.text)")
        if let timestamp = (healthBody["timestamp"] as? NSNumber)?.doubleValue {
            #expect(abs(timestamp - Date().timeIntervalSince1970) < 60, "timestamp is unix seconds: \(timestamp)")
        }

        let version = try hub.get("/api/version")
        #expect(version.status == 200)
        #expect((try jsonObject(version)["version"] as? String)?.isEmpty == false, "\(version.text)")

        let agentVersion = try hub.get("/api/agent/version")
        #expect(agentVersion.status == 200)
        let agentVersionBody = try jsonObject(agentVersion)
        #expect((agentVersionBody["version"] as? String)?.isEmpty == false, "\(agentVersion.text)")

        let info = try hub.get("/api/server/info")
        #expect(info.status == 200)
        let infoBody = try jsonObject(info)
        #expect(infoBody["isDevelopment"] as? Bool == false, "\(info.text)")
        #expect((infoBody["version"] as? String)?.isEmpty == false, "\(info.text)")

        let head = try hub.request("HEAD", "/api/health")
        #expect(head.status == 200)
        #expect(head.body.isEmpty)

        for (label, response) in [("health", health), ("version", version), ("agent version", agentVersion),
                                  ("server info", info), ("HEAD health", head)] {
            expectSecurityHeaders(response, label)
        }
    }

    @Test("every response carries X-Request-ID and the security headers; a sent X-Request-ID is echoed")
    func requestIDAndSecurityHeaders() throws {
        let hub = try HubProcess()
        defer { hub.shutdown() }
        try hub.start()

        let echoed = try hub.get("/api/health", headers: [("X-Request-ID", "abc-123")])
        #expect(echoed.header("X-Request-ID") == "abc-123")

        let first = try hub.get("/api/health"), second = try hub.get("/api/health")
        #expect(first.header("X-Request-ID") != second.header("X-Request-ID"), "generated ids differ per request")

        let responses: [(String, HTTPClientResponse)] = [
            ("200 health", first),
            ("401 state", try hub.get("/api/state")),
            ("401 state, bad token", try hub.get("/api/state", token: "nope")),
            ("404 unknown", try hub.get("/api/nope")),
            ("405 PUT health", try hub.request("PUT", "/api/health")),
            ("400 report", try hub.report("{", token: nil)),
            ("400 non-api traversal", try hub.request("GET", "/static/../etc/passwd", pathAsIs: true)),
        ]
        for (label, response) in responses {
            expectSecurityHeaders(response, label)
        }
        // The echo also holds for error responses.
        let unauthorized = try hub.get("/api/state", headers: [("X-Request-ID", "abc-123")])
        #expect(unauthorized.status == 401)
        #expect(unauthorized.header("X-Request-ID") == "abc-123")
    }

    @Test("path traversal, unknown paths and wrong methods")
    func pathHandling() throws {
        let hub = try HubProcess()
        defer { hub.shutdown() }
        try hub.start()

        let dotDot = try hub.request("GET", "/api/../api/health", pathAsIs: true)
        #expect(dotDot.status == 401, "GET /api/../api/health: \(dotDot.status) \(dotDot.text)")

        let encoded = try hub.request("GET", "/api/%2e%2e/state", pathAsIs: true)
        #expect(encoded.status == 401, "GET /api/%2e%2e/state: \(encoded.status) \(encoded.text)")

        let outside = try hub.request("GET", "/static/../etc/passwd", pathAsIs: true)
        #expect(outside.status == 400, "GET /static/../etc/passwd: \(outside.status) \(outside.text)")
        #expect(!outside.text.contains("root:"))

        let unknown = try hub.get("/api/nope")
        #expect(unknown.status == 404)
        #expect(unknown.header("Content-Type")?.hasPrefix("application/json") == true)
        let unknownBody = try jsonObject(unknown)
        #expect(unknownBody["error"] is String, "\(unknown.text)")

        let put = try hub.request("PUT", "/api/health", body: Array("{}".utf8))
        #expect(put.status == 405, "\(put.text)")
        let allow = try #require(put.header("Allow"), "405 without an Allow header")
        #expect(allow.contains("GET"), "Allow: \(allow)")
        #expect(!allow.contains("PUT"), "Allow: \(allow)")
    }
}
