import Foundation
import PulseCommon
import Testing
@testable import PulseHub

/// First-run setup, recovery, token rotation and the security status, through the router.
@Suite struct SetupAndRecoveryTests {
    static let password = "a long enough password"

    func send(_ hub: TestHub, _ method: String, _ path: String, peer: String = "198.51.100.5",
              headers: [String: String] = [:], body: String = "") -> HTTPResponse {
        hub.router.respond(to: HTTPRequest(method: method, path: path,
                                           headers: Dictionary(uniqueKeysWithValues: headers.map { ($0.key.lowercased(), $0.value) }),
                                           body: Array(body.utf8), clientAddress: peer))
    }

    @Test func quickSetupWithTheBootstrapToken() throws {
        let hub = try TestHub()
        let bootstrap = try #require(try hub.services.prepareFirstRun())
        let path = hub.directory + "/.bootstrap_token"
        #expect(FileManager.default.fileExists(atPath: path))
        // Tokens and hosts created before setup (CLI, an agent) must survive it.
        let cliToken = try hub.token([.hostAgentReport], name: "cli agent")
        #expect(hub.send("POST", "/api/agents/host/report", token: cliToken, body: reportJSON(hostname: "early")).status == 200)

        let body = #"{"username":"admin","password":"\#(Self.password)"}"#
        let missing = send(hub, "POST", "/api/security/quick-setup", body: body)
        #expect(missing.status == 401)
        #expect(missing.object["code"] as? String == "setup_token_required")
        #expect(send(hub, "POST", "/api/security/quick-setup", headers: ["X-Setup-Token": String(repeating: "0", count: 48)],
                     body: body).status == 401)
        #expect(send(hub, "POST", "/api/security/validate-bootstrap-token", headers: ["X-Setup-Token": "nope"]).status == 401)
        #expect(send(hub, "POST", "/api/security/validate-bootstrap-token", body: #"{"token":"\#(bootstrap)"}"#).status == 204)

        let weak = send(hub, "POST", "/api/security/quick-setup", headers: ["X-Setup-Token": bootstrap],
                        body: #"{"username":"admin","password":"short"}"#)
        #expect(weak.status == 400)
        #expect(weak.object["code"] as? String == "invalid_password")

        // The body's setupToken works too; the hub generates the API token.
        let done = send(hub, "POST", "/api/security/quick-setup",
                        body: #"{"username":"admin","password":"\#(Self.password)","setupToken":"\#(bootstrap)"}"#)
        #expect(done.status == 200)
        let object = done.object
        #expect(object["success"] as? Bool == true && object["requiresManualRestart"] as? Bool == false)
        let apiToken = try #require(object["apiToken"] as? String)
        #expect(apiToken.isHex(length: 48))
        #expect(hub.send("GET", "/api/security/tokens", token: apiToken).status == 200)
        #expect(!FileManager.default.fileExists(atPath: path), "the bootstrap file is deleted")
        #expect(!hub.services.setup.isOpen)
        #expect(send(hub, "POST", "/api/security/validate-bootstrap-token", headers: ["X-Setup-Token": bootstrap]).status == 409)
        // The CLI token and the host are untouched.
        #expect(hub.send("POST", "/api/agents/host/report", token: cliToken,
                         body: reportJSON(hostname: "early", timestamp: "2026-12-04T15:01:00Z")).status == 200)
        #expect(hub.registry.all().count == 1)
        // Login works with the new password; the event is audited.
        let login = send(hub, "POST", "/api/login", body: #"{"username":"admin","password":"\#(Self.password)"}"#)
        #expect(login.status == 200)
        #expect(try hub.audit.query(AuditQuery()).events.contains { $0.event == "setup" && $0.user == "admin" })
        // A second setup is skipped, and the old bootstrap token no longer authorises anything.
        let again = send(hub, "POST", "/api/security/quick-setup", headers: ["X-Setup-Token": bootstrap], body: body)
        #expect(again.status == 401)
        let skipped = send(hub, "POST", "/api/security/quick-setup", headers: ["X-API-Token": apiToken], body: body)
        #expect(skipped.status == 200 && skipped.object["skipped"] as? Bool == true)
    }

    @Test func suppliedAPITokensMustBeStrong() throws {
        let hub = try TestHub()
        let bootstrap = try #require(try hub.services.prepareFirstRun())
        let weak = send(hub, "POST", "/api/security/quick-setup", headers: ["X-Setup-Token": bootstrap],
                        body: #"{"username":"admin","password":"\#(Self.password)","apiToken":"abc"}"#)
        #expect(weak.status == 400 && weak.object["code"] as? String == "invalid_api_token")
        let chosen = String(repeating: "k", count: 40)
        let ok = send(hub, "POST", "/api/security/quick-setup", headers: ["X-Setup-Token": bootstrap],
                      body: #"{"username":"admin","password":"\#(Self.password)","apiToken":"\#(chosen)"}"#)
        #expect(ok.status == 200 && ok.object["apiToken"] as? String == chosen)
        #expect(hub.send("GET", "/api/state", token: chosen).status == 200)
    }

    @Test func hostileSetupBodies() throws {
        let hub = try TestHub()
        let bootstrap = try #require(try hub.services.prepareFirstRun())
        for body in ["", "{", "[]", #"{"username":"","password":"\#(Self.password)"}"#,
                     #"{"username":"a\u0000b","password":"\#(Self.password)"}"#,
                     #"{"username":"\#(String(repeating: "u", count: 65))","password":"\#(Self.password)"}"#,
                     #"{"username":"admin","password":123}"#] {
            let response = send(hub, "POST", "/api/security/quick-setup", headers: ["X-Setup-Token": bootstrap], body: body)
            #expect(response.status == 400, "\(body)")
        }
        #expect(hub.services.setup.isOpen, "nothing was set up")
    }

    @Test func recoveryFromLoopbackAndWithASingleUseBoundToken() throws {
        let hub = try TestHub()
        try hub.users.seed(username: "admin", password: Self.password)
        // Remote without a token: refused with directions.
        let remote = send(hub, "GET", "/api/security/recovery")
        #expect(remote.status == 401 && remote.object["code"] as? String == "recovery_requires_local_access")
        // A proxied request from loopback is not direct loopback.
        #expect(send(hub, "GET", "/api/security/recovery", peer: "127.0.0.1", headers: ["X-Forwarded-For": "203.0.113.1"]).status == 401)
        #expect(send(hub, "GET", "/api/security/recovery", peer: "127.0.0.1").status == 200)

        let generated = send(hub, "POST", "/api/security/recovery", peer: "127.0.0.1", body: #"{"action":"generate_token","duration":5}"#)
        #expect(generated.status == 200)
        let token = try #require(generated.object["token"] as? String)
        #expect(generated.object["expires_in_minutes"] as? Double == 5)
        #expect(send(hub, "POST", "/api/security/recovery", peer: "127.0.0.1", body: #"{"action":"generate_token","duration":61}"#).status == 400)
        // Stored hashed: the raw token is nowhere in pulse.db.
        let rows = try hub.store.database.query("SELECT hash FROM recovery_tokens")
        #expect(rows.count == 1 && rows[0][0].string != token)

        // First presentation binds the token to that address; another address cannot use it.
        #expect(send(hub, "GET", "/api/security/recovery", peer: "198.51.100.9", headers: ["X-Recovery-Token": token]).status == 200)
        #expect(send(hub, "GET", "/api/security/recovery", peer: "198.51.100.10", headers: ["X-Recovery-Token": token]).status == 401)
        // A token cannot mint more tokens.
        #expect(send(hub, "POST", "/api/security/recovery", peer: "198.51.100.9", headers: ["X-Recovery-Token": token],
                     body: #"{"action":"generate_token"}"#).status == 403)
        // That request used it up: it cannot reset the credentials now.
        let reset = send(hub, "POST", "/api/security/quick-setup", peer: "198.51.100.9", headers: ["X-Recovery-Token": token],
                         body: #"{"username":"admin","password":"new password 12345","force":true}"#)
        #expect(reset.status == 401)

        // A fresh token resets the credentials once.
        let second = try #require(send(hub, "POST", "/api/security/recovery", peer: "127.0.0.1",
                                       body: #"{"action":"generate_token"}"#).object["token"] as? String)
        let forced = send(hub, "POST", "/api/security/quick-setup", peer: "198.51.100.9", headers: ["X-Recovery-Token": second],
                          body: #"{"username":"admin","password":"new password 12345","force":true}"#)
        #expect(forced.status == 200)
        #expect(hub.users.authenticate(username: "admin", password: "new password 12345") == "admin")
        #expect(send(hub, "POST", "/api/security/quick-setup", peer: "198.51.100.9", headers: ["X-Recovery-Token": second],
                     body: #"{"username":"admin","password":"other password 123","force":true}"#).status == 401)
        let events = try hub.audit.query(AuditQuery()).events.map(\.event)
        #expect(events.contains("recovery_token_created") && events.contains("credentials_reset"))
    }

    @Test func recoveryModeLetsOnlyDirectLoopbackIn() throws {
        let hub = try TestHub()
        #expect(send(hub, "GET", "/api/security/tokens", peer: "127.0.0.1").status == 401)
        #expect(send(hub, "POST", "/api/security/recovery", peer: "127.0.0.1", body: #"{"action":"disable_auth"}"#).status == 200)
        let local = send(hub, "GET", "/api/security/tokens", peer: "127.0.0.1")
        #expect(local.status == 200 && local.header("X-Auth-Recovery") == "true")
        #expect(send(hub, "GET", "/api/security/tokens", peer: "198.51.100.1").status == 401)
        #expect(send(hub, "GET", "/api/security/tokens", peer: "127.0.0.1", headers: ["X-Real-IP": "198.51.100.1"]).status == 401)
        #expect(send(hub, "GET", "/api/security/recovery", peer: "127.0.0.1").object["recovery_mode"] as? Bool == true)
        #expect(send(hub, "POST", "/api/security/recovery", peer: "127.0.0.1", body: #"{"action":"enable_auth"}"#).status == 200)
        #expect(send(hub, "GET", "/api/security/tokens", peer: "127.0.0.1").status == 401)
        #expect(send(hub, "POST", "/api/security/recovery", peer: "127.0.0.1", body: #"{"action":"explode"}"#).status == 400)
    }

    @Test func regenerateRotatesOnlyTheCallersToken() throws {
        let hub = try TestHub()
        let admin = try hub.token([.settingsWrite, .settingsRead], name: "admin")
        let agent = try hub.token([.hostAgentReport], name: "agent")
        #expect(hub.send("POST", "/api/agents/host/report", token: agent, body: reportJSON(hostname: "h1")).status == 200)
        let rotated = hub.send("POST", "/api/security/regenerate-token", token: admin)
        #expect(rotated.status == 200)
        let fresh = try #require(rotated.object["token"] as? String)
        #expect(fresh != admin)
        #expect(hub.send("GET", "/api/security/tokens", token: admin).status == 401, "the old secret stops working")
        #expect(hub.send("GET", "/api/security/tokens", token: fresh).status == 200)
        #expect(hub.send("POST", "/api/agents/host/report", token: agent,
                         body: reportJSON(hostname: "h1", timestamp: "2026-12-04T15:02:00Z")).status == 200, "agent tokens are untouched")
        #expect(hub.tokens.list().count == 2)
        // Rotating the agent's token by id keeps its host binding.
        let agentID = try #require(hub.tokens.list().first { $0.name == "agent" }?.id)
        let byID = hub.send("POST", "/api/security/regenerate-token", token: fresh, body: #"{"tokenId":"\#(agentID)"}"#)
        let newAgent = try #require(byID.object["token"] as? String)
        #expect(hub.send("POST", "/api/agents/host/report", token: newAgent,
                         body: reportJSON(hostname: "h1", timestamp: "2026-12-04T15:03:00Z")).status == 200)
        #expect(hub.registry.all().count == 1)
        #expect(hub.send("POST", "/api/security/regenerate-token", token: fresh, body: #"{"tokenId":"nope"}"#).status == 404)
        #expect(hub.send("POST", "/api/security/regenerate-token", token: try hub.token([.settingsRead])).status == 403)
    }

    @Test func validateTokenIsRateLimitedAndApplyRestartIsANoOp() throws {
        let hub = try TestHub()
        let admin = try hub.token([.settingsWrite])
        var statuses: [Int] = []
        for _ in 0..<11 {
            statuses.append(send(hub, "POST", "/api/security/validate-token", headers: ["X-API-Token": admin],
                                 body: #"{"token":"guess"}"#).status)
        }
        #expect(statuses.prefix(10).allSatisfy { $0 == 200 } && statuses.last == 429, "\(statuses)")
        let restart = send(hub, "POST", "/api/security/apply-restart", headers: ["X-API-Token": admin], body: "{}")
        #expect(restart.status == 200 && restart.object["requiresRestart"] as? Bool == false)
    }

    @Test func securityStatusFields() throws {
        let hub = try TestHub(environment: ["PULSE_TRUSTED_NETWORKS": "198.51.100.0/24"])
        _ = try hub.services.prepareFirstRun()
        let anonymous = send(hub, "GET", "/api/security/status").object
        for key in ["apiTokenConfigured", "requiresAuth", "exportProtected", "unprotectedExportAllowed", "hasAuthentication",
                    "configuredButPendingRestart", "hasAuditLogging", "credentialsEncrypted", "hasHTTPS", "clientIP",
                    "isPrivateNetwork", "isTrustedNetwork", "publicAccess", "hasProxyAuth", "proxyAuthLogoutURL",
                    "proxyAuthUsername", "proxyAuthIsAdmin", "oidcUsername", "hideLocalLogin", "agentUrl", "bootstrapTokenPath"] {
            #expect(anonymous[key] != nil, "missing \(key)")
        }
        #expect(anonymous["clientIP"] as? String == "198.51.100.5")
        #expect(anonymous["isTrustedNetwork"] as? Bool == true)
        #expect(anonymous["publicAccess"] as? Bool == true)
        #expect(anonymous["apiTokenHint"] == nil && anonymous["authUsername"] == nil, "hints only for authenticated callers")
        try hub.users.seed(username: "admin", password: Self.password)
        let token = try hub.token([.monitoringRead])
        let authenticated = send(hub, "GET", "/api/security/status", headers: ["X-API-Token": token]).object
        #expect(authenticated["authUsername"] as? String == "admin")
        #expect((authenticated["apiTokenHint"] as? String)?.hasPrefix(String(token.prefix(6))) == true)
        #expect(authenticated["tokenScopes"] as? [String] == ["monitoring:read"])
        // A bad token on the public route is simply ignored.
        #expect(send(hub, "GET", "/api/security/status", headers: ["X-API-Token": "bogus"]).status == 200)
    }
}
