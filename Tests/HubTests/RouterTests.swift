import Foundation
import PulseCommon
import Testing
@testable import PulseHub

/// The request pipeline, in process.
@Suite struct RouterTests {
    @Test func publicRoutesNeedNoToken() throws {
        let hub = try TestHub()
        let response = hub.send("GET", "/api/health")
        #expect(response.status == 200)
        #expect(response.object["status"] as? String == "healthy")
        #expect(response.header("X-Request-ID")?.count == 24)
        #expect(response.header("X-Frame-Options") == "DENY")
        #expect(response.header("Content-Security-Policy")?.contains("frame-ancestors 'none'") == true)
        #expect(hub.send("HEAD", "/api/health").status == 200)
    }

    @Test func requestIDIsEchoedOnlyWhenSafe() throws {
        let hub = try TestHub()
        #expect(hub.send("GET", "/api/health", headers: ["X-Request-ID": "abc-123"]).header("X-Request-ID") == "abc-123")
        let hostile = hub.send("GET", "/api/health", headers: ["X-Request-ID": "a b\"<script>"]).header("X-Request-ID")
        #expect(hostile != nil && hostile != "a b\"<script>")
    }

    @Test func missingAndBadCredentials() throws {
        let hub = try TestHub()
        let missing = hub.send("GET", "/api/state")
        #expect(missing.status == 401)
        #expect(missing.header("WWW-Authenticate")?.hasPrefix("Bearer") == true)
        #expect(missing.object["code"] as? String == "unauthorized")
        #expect(missing.object["status_code"] as? Int == 401)
        #expect(missing.object["timestamp"] is Int)
        #expect(hub.send("GET", "/api/state", token: "wrong").status == 401)
        #expect(hub.send("GET", "/api/state", headers: ["Authorization": "Basic abc"]).status == 401)
    }

    @Test func bearerAndHeaderTokensBothWork() throws {
        let hub = try TestHub()
        let token = try hub.token([.monitoringRead])
        #expect(hub.send("GET", "/api/state", token: token).status == 200)
        #expect(hub.send("GET", "/api/state", headers: ["Authorization": "Bearer \(token)"]).status == 200)
        // ?token= is not accepted on routes that do not allow it.
        #expect(hub.send("GET", "/api/state", query: [("token", token)]).status == 401)
    }

    @Test func aBadHeaderIsNeverSkippedInFavourOfAGoodOne() throws {
        let hub = try TestHub()
        let token = try hub.token([.monitoringRead])
        let response = hub.send("GET", "/api/state", token: "bogus", headers: ["Authorization": "Bearer \(token)"])
        #expect(response.status == 401)
    }

    @Test func missingScopeBodyIsExact() throws {
        let hub = try TestHub()
        let token = try hub.token([.hostAgentReport])
        let response = hub.send("GET", "/api/state", token: token)
        #expect(response.status == 403)
        #expect(String(decoding: response.body, as: UTF8.self).count > 0)
        let object = response.object
        #expect(object.count == 2)
        #expect(object["error"] as? String == "missing_scope")
        #expect(object["requiredScope"] as? String == "monitoring:read")
    }

    @Test func pathTraversalIsRejected() throws {
        let hub = try TestHub()
        #expect(hub.send("GET", "/api/../api/health").status == 401)
        #expect(hub.send("GET", "/static/../etc/passwd").status == 400)
    }

    @Test func unknownPathsAndMethods() throws {
        let hub = try TestHub()
        #expect(hub.send("GET", "/api/nope").status == 404)
        let wrongMethod = hub.send("PUT", "/api/health")
        #expect(wrongMethod.status == 405)
        #expect(wrongMethod.header("Allow")?.contains("GET") == true)
        #expect(hub.send("OPTIONS", "/api/state").status == 200)
    }

    @Test func oversizedBodiesGet413() throws {
        let hub = try TestHub()
        let token = try hub.token([.hostAgentReport])
        let response = hub.send("POST", "/api/agents/host/report", token: token,
                                body: String(repeating: "x", count: 300 * 1024))
        #expect(response.status == 413)
        #expect(response.object["code"] as? String == "request_too_large")
        #expect(response.header("X-Request-ID") != nil)
    }

    @Test func corsOnlyWhenConfigured() throws {
        let closed = try TestHub()
        #expect(closed.send("GET", "/api/health", headers: ["Origin": "https://a.example"]).header("Access-Control-Allow-Origin") == nil)
        let open = try TestHub(allowedOrigins: ["https://a.example"])
        let allowed = open.send("OPTIONS", "/api/state", headers: ["Origin": "https://a.example"])
        #expect(allowed.header("Access-Control-Allow-Origin") == "https://a.example")
        #expect(allowed.header("Access-Control-Allow-Credentials") == "true")
        #expect(open.send("GET", "/api/health", headers: ["Origin": "https://evil.example"]).header("Access-Control-Allow-Origin") == nil)
    }

    @Test func authHeadersOnSuccess() throws {
        let hub = try TestHub()
        let token = try hub.token([.monitoringRead])
        let response = hub.send("GET", "/api/state", token: token)
        #expect(response.header("X-Auth-Method") == "api_token")
        #expect(response.header("X-Authenticated-User")?.hasPrefix("token:") == true)
    }
}
