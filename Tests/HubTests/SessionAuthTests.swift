import Foundation
import PulseCommon
import Testing
@testable import PulseHub

/// Logins, sessions, CSRF and lockout through the router, in process.
@Suite struct SessionAuthTests {
    static let password = "correct horse battery"

    func hubWithAdmin() throws -> TestHub {
        let hub = try TestHub()
        try hub.users.seed(username: "admin", password: Self.password)
        return hub
    }

    func login(_ hub: TestHub, password: String = SessionAuthTests.password, ip: String = "192.0.2.1",
               remember: Bool = false) -> HTTPResponse {
        let body = #"{"username":"admin","password":"\#(password)","rememberMe":\#(remember)}"#
        let request = HTTPRequest(method: "POST", path: "/api/login", headers: [:], body: Array(body.utf8), clientAddress: ip)
        return hub.router.respond(to: request)
    }

    static func cookies(_ response: HTTPResponse) -> [String: String] {
        var out: [String: String] = [:]
        for (name, value) in response.headers where name == "Set-Cookie" {
            let pair = value.split(separator: ";")[0].split(separator: "=", maxSplits: 1)
            out[String(pair[0])] = pair.count > 1 ? String(pair[1]) : ""
        }
        return out
    }

    @Test func passwordsAreBcrypt() throws {
        let hash = try PasswordHasher.hash("twelve chars!!")
        #expect(hash.hasPrefix("$2b$12$") && hash.count == 60)
        #expect(PasswordHasher.verify("twelve chars!!", against: hash))
        #expect(!PasswordHasher.verify("twelve chars!?", against: hash))
        #expect(throws: PasswordHasher.Problem.tooShort) { try PasswordHasher.hash("short") }
        // A hash made by another bcrypt implementation ($2a$, cost 4) verifies too.
        #expect(PasswordHasher.verify("password", against: "$2a$04$UuTkLRZZ6QofpDOlMz32MuuxEHA43WOemOYHPz6.SjsVsyO1tDU96"))
    }

    @Test func loginSetsCookiesAndTheSessionWorks() throws {
        let hub = try hubWithAdmin()
        let response = login(hub)
        #expect(response.status == 200)
        let cookies = Self.cookies(response)
        let session = try #require(cookies["pulse_session"])
        let csrf = try #require(cookies["pulse_csrf"])
        #expect(response.headers.contains { $0.0 == "Set-Cookie" && $0.1.contains("HttpOnly") && $0.1.hasPrefix("pulse_session=") })
        #expect(response.headers.contains { $0.0 == "Set-Cookie" && $0.1.contains("Max-Age=86400") })
        let cookieHeader = "pulse_session=\(session); pulse_csrf=\(csrf)"
        #expect(hub.send("GET", "/api/state", headers: ["Cookie": cookieHeader]).status == 200)
        // Mutating without the CSRF header: 403 with a fresh token.
        let refused = hub.send("POST", "/api/security/tokens", body: #"{"name":"x"}"#, headers: ["Cookie": cookieHeader])
        #expect(refused.status == 403)
        #expect(refused.object["code"] as? String == "csrf_failed")
        let fresh = try #require(refused.header("X-CSRF-Token"))
        let allowed = hub.send("POST", "/api/security/tokens", body: #"{"name":"x"}"#,
                               headers: ["Cookie": cookieHeader, "X-CSRF-Token": fresh])
        #expect(allowed.status == 200)
        // A bogus token header next to the cookie is judged as a token: 401, never a CSRF bypass.
        #expect(hub.send("POST", "/api/security/tokens", body: #"{"name":"x"}"#,
                         headers: ["Cookie": cookieHeader, "X-API-Token": "bogus"]).status == 401)
        // Logout ends it.
        #expect(hub.send("POST", "/api/logout", body: "{}", headers: ["Cookie": cookieHeader, "X-CSRF-Token": fresh]).status == 200)
        #expect(hub.send("GET", "/api/state", headers: ["Cookie": cookieHeader]).status == 401)
    }

    @Test func sessionsSurviveARestart() throws {
        let hub = try hubWithAdmin()
        let session = try #require(Self.cookies(login(hub, remember: true))["pulse_session"])
        let reopened = SessionService(store: try ControlStore(dataDirectory: hub.directory))
        let restored = try #require(reopened.validate(session))
        #expect(restored.username == "admin")
        #expect(restored.duration == SessionService.rememberedLifetime)
        // Only the SHA-256 of the token is stored.
        let stored = try hub.store.database.query("SELECT key FROM sessions").compactMap { $0.first?.string }
        #expect(!stored.contains(session) && stored.contains(SessionService.key(for: session)))
    }

    @Test func lockoutIsPerUsernameAndAddress() throws {
        let hub = try hubWithAdmin()
        for attempt in 1...5 {
            let failed = login(hub, password: "wrong password!!", ip: "203.0.113.9")
            #expect(failed.status == 401)
            if attempt < 5 {
                #expect(failed.object["remaining"] as? Int == 5 - attempt)
            } else {
                #expect(failed.object["locked"] as? Bool == true)
            }
        }
        let locked = login(hub, ip: "203.0.113.9")
        #expect(locked.status == 403)
        #expect(locked.object["error"] as? String == "account_locked")
        #expect((locked.object["remainingMinutes"] as? Int ?? 0) >= 1)
        // The administrator, from another address, is not locked out.
        #expect(login(hub, ip: "198.51.100.7").status == 200)
        // Lockouts persist: a new lockout service on the same database sees it.
        #expect(LoginLockout(store: hub.store).lockedUntil(username: "admin", ip: "203.0.113.9") != nil)
        let token = try hub.token()
        #expect(hub.send("POST", "/api/security/reset-lockout", token: token, body: #"{"identifier":"203.0.113.9"}"#).status == 200)
        #expect(login(hub, ip: "203.0.113.9").status == 200)
    }

    @Test func changePasswordNeedsASessionAndEndsOtherSessions() throws {
        let hub = try hubWithAdmin()
        let first = Self.cookies(login(hub))
        let second = Self.cookies(login(hub, ip: "192.0.2.2"))
        let cookie = "pulse_session=\(second["pulse_session"]!); pulse_csrf=\(second["pulse_csrf"]!)"
        let token = try hub.token()
        #expect(hub.send("POST", "/api/security/change-password", token: token,
                         body: #"{"currentPassword":"x","newPassword":"y"}"#).status == 403)
        let short = hub.send("POST", "/api/security/change-password", body: #"{"currentPassword":"\#(Self.password)","newPassword":"short"}"#,
                             headers: ["Cookie": cookie, "X-CSRF-Token": second["pulse_csrf"]!])
        #expect(short.status == 400)
        let changed = hub.send("POST", "/api/security/change-password",
                               body: #"{"currentPassword":"\#(Self.password)","newPassword":"a much longer password"}"#,
                               headers: ["Cookie": cookie, "X-CSRF-Token": second["pulse_csrf"]!])
        #expect(changed.status == 200)
        #expect(hub.send("GET", "/api/state", headers: ["Cookie": "pulse_session=\(first["pulse_session"]!)"]).status == 401)
        #expect(hub.send("GET", "/api/state", headers: ["Cookie": cookie]).status == 200)
        #expect(login(hub, password: "a much longer password", ip: "192.0.2.3").status == 200)
    }

    @Test func loginRateLimitAndBadInput() throws {
        let hub = try hubWithAdmin()
        #expect(hub.send("POST", "/api/login", body: "{").status == 400)
        #expect(hub.send("POST", "/api/login", body: #"{"username":"admin"}"#).status == 400)
        var limited: HTTPResponse?
        for index in 0..<12 {
            let response = login(hub, password: "wrong password \(index)", ip: "192.0.2.\(50)")
            if response.status == 429 || response.status == 403 { limited = response; break }
        }
        #expect(limited != nil)
    }
}
