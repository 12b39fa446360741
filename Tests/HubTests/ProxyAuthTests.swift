import Foundation
import PulseCommon
import Testing
@testable import PulseHub

/// Reverse-proxy authentication: the secret, user and role headers, admin enforcement and cross-site writes.
@Suite struct ProxyAuthTests {
    static let secret = "proxy secret 0123456789"
    static let environment = ["PROXY_AUTH_SECRET": secret, "PROXY_AUTH_USER_HEADER": "X-Remote-User",
                              "PROXY_AUTH_ROLE_HEADER": "X-Remote-Roles", "PROXY_AUTH_ADMIN_ROLE": "pulse-admin",
                              "PROXY_AUTH_LOGOUT_URL": "https://sso.example.com/logout"]

    func send(_ hub: TestHub, _ method: String, _ path: String, peer: String = "10.0.0.2", headers: [String: String],
              body: String = "") -> HTTPResponse {
        hub.router.respond(to: HTTPRequest(method: method, path: path,
                                           headers: Dictionary(uniqueKeysWithValues: headers.map { ($0.key.lowercased(), $0.value) }),
                                           body: Array(body.utf8), clientAddress: peer))
    }

    @Test func adminAndNonAdminProxyUsers() throws {
        let hub = try TestHub(environment: Self.environment)
        let admin = ["X-Proxy-Secret": Self.secret, "X-Remote-User": "alice", "X-Remote-Roles": "staff | pulse-admin"]
        let viewer = ["X-Proxy-Secret": Self.secret, "X-Remote-User": "bob", "X-Remote-Roles": "staff"]
        let state = send(hub, "GET", "/api/state", headers: admin)
        #expect(state.status == 200 && state.header("X-Auth-Method") == "proxy" && state.header("X-Authenticated-User") == "alice")
        #expect(send(hub, "GET", "/api/security/tokens", headers: admin).status == 200)
        // A non-admin proxy user reads state but cannot manage tokens (the reference let them).
        #expect(send(hub, "GET", "/api/state", headers: viewer).status == 200)
        let refused = send(hub, "GET", "/api/security/tokens", headers: viewer)
        #expect(refused.status == 403 && refused.object["code"] as? String == "admin_required")
        // Wrong secret, missing user: 401.
        #expect(send(hub, "GET", "/api/state", headers: ["X-Proxy-Secret": "wrong", "X-Remote-User": "alice"]).status == 401)
        #expect(send(hub, "GET", "/api/state", headers: ["X-Proxy-Secret": Self.secret]).status == 401)
        // A write from another site is refused; same-origin writes pass.
        var crossSite = admin
        crossSite["Origin"] = "https://evil.example"
        crossSite["Host"] = "pulse.example.com"
        #expect(send(hub, "POST", "/api/security/tokens", headers: crossSite, body: #"{"name":"x"}"#).status == 403)
        var sameSite = admin
        sameSite["Origin"] = "https://pulse.example.com"
        sameSite["Host"] = "pulse.example.com"
        #expect(send(hub, "POST", "/api/security/tokens", headers: sameSite, body: #"{"name":"x"}"#).status == 200)
        let status = send(hub, "GET", "/api/security/status", headers: viewer).object
        #expect(status["hasProxyAuth"] as? Bool == true && status["proxyAuthUsername"] as? String == "bob")
        #expect(status["proxyAuthIsAdmin"] as? Bool == false)
        #expect(status["proxyAuthLogoutURL"] as? String == "https://sso.example.com/logout")
    }

    @Test func proxySecretOnlyFromTrustedProxiesWhenConfigured() throws {
        var environment = Self.environment
        environment["PULSE_TRUSTED_PROXY_CIDRS"] = "10.0.0.0/8"
        let hub = try TestHub(environment: environment)
        let headers = ["X-Proxy-Secret": Self.secret, "X-Remote-User": "alice"]
        #expect(send(hub, "GET", "/api/state", peer: "10.0.0.2", headers: headers).status == 200)
        #expect(send(hub, "GET", "/api/state", peer: "198.51.100.1", headers: headers).status == 401)
    }

    @Test func configurationIsValidated() {
        #expect(throws: HubConfiguration.Problem.self) {
            try HubConfiguration.load(environment: ["PULSE_DATA_DIR": "/tmp/none", "PROXY_AUTH_SECRET": "short"])
        }
        #expect(throws: HubConfiguration.Problem.self) {
            try HubConfiguration.load(environment: ["PULSE_DATA_DIR": "/tmp/none", "PULSE_TRUSTED_PROXY_CIDRS": "10.0.0.0/8,nonsense"])
        }
        #expect(throws: HubConfiguration.Problem.self) {
            try HubConfiguration.load(environment: ["PULSE_DATA_DIR": "/tmp/none", "PULSE_AUDIT_RETENTION_DAYS": "0"])
        }
    }
}
