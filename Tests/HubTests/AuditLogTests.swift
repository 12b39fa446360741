import Foundation
import PulseCommon
import Testing
@testable import PulseHub

/// The signed, chained audit log: signatures, tamper detection, retention, queries and webhook URL checks.
@Suite struct AuditLogTests {
    func hubWithEvents(_ count: Int, environment: [String: String] = [:]) throws -> TestHub {
        let hub = try TestHub(environment: environment)
        let start = Date(timeIntervalSince1970: 1_800_000_000)
        for index in 0..<count {
            hub.audit.record(index % 3 == 0 ? "login" : "token_created", user: index % 2 == 0 ? "admin" : "ops",
                             ip: "198.51.100.\(index % 250)", path: "/api/x", success: index % 5 != 0,
                             details: "n=\(index) \"quoted\"\n", now: start.addingTimeInterval(Double(index) * 60))
        }
        return hub
    }

    @Test func canonicalJSONIsSortedAndMinimallyEscaped() {
        let bytes = CanonicalJSON.object([("z", .string("a\"b\\c\u{1}é")), ("a", .bool(true)), ("m", .integer(-3))])
        #expect(String(decoding: bytes, as: UTF8.self) == #"{"a":true,"m":-3,"z":"a\"b\\c\u0001é"}"#)
    }

    @Test func eventsAreSignedAndChained() throws {
        let hub = try hubWithEvents(25)
        let verification = try hub.audit.verifyAll()
        #expect(verification.verified && verification.checked == 25)
        let events = try hub.store.auditEvents(after: 0, limit: 100)
        #expect(events.map(\.sequence) == Array(1...25))
        let chain = hub.audit.chain
        #expect(events[0].prevHash == chain.genesis)
        for (previous, next) in zip(events, events.dropFirst()) { #expect(next.prevHash == chain.link(after: previous)) }
        for event in events {
            #expect(event.signature == Crypto.hmacSHA256(key: chain.key, message: event.canonicalJSON(includingChain: false)).hexString)
            #expect(try hub.audit.verify(id: event.id)?.verified == true)
        }
        #expect(try hub.audit.verify(id: "missing") == nil)
    }

    @Test func anEditedEventIsDetected() throws {
        let hub = try hubWithEvents(10)
        let target = try #require(try hub.store.auditEvent(sequence: 4))
        try hub.store.database.run("UPDATE audit_events SET success = 1 - success WHERE seq = 4")
        #expect(try hub.audit.verify(id: target.id)?.verified == false)
        let result = try hub.audit.verifyAll()
        #expect(result.firstBroken?.sequence == 4 && result.firstBroken?.id == target.id)
        #expect(result.checked == 3)
    }

    @Test func deletedEventsAreDetectedAnywhere() throws {
        // Middle.
        var hub = try hubWithEvents(10)
        try hub.store.database.run("DELETE FROM audit_events WHERE seq = 5")
        #expect(try hub.audit.verifyAll().firstBroken?.sequence == 6)
        let sixth = try #require(try hub.store.auditEvent(sequence: 6))
        #expect(try hub.audit.verify(id: sixth.id)?.verified == false)
        // Middle, with the survivors renumbered to hide the gap.
        hub = try hubWithEvents(10)
        try hub.store.database.run("DELETE FROM audit_events WHERE seq = 5")
        try hub.store.database.run("UPDATE audit_events SET seq = seq - 1 WHERE seq > 5")
        #expect(try hub.audit.verifyAll().firstBroken?.sequence == 5)
        // The first event.
        hub = try hubWithEvents(10)
        try hub.store.database.run("DELETE FROM audit_events WHERE seq = 1")
        #expect(try hub.audit.verifyAll().verified == false)
        // The last events.
        hub = try hubWithEvents(10)
        try hub.store.database.run("DELETE FROM audit_events WHERE seq >= 9")
        let tail = try hub.audit.verifyAll()
        #expect(!tail.verified && tail.checked == 8)
        // The head marker too: the next event carries the break forward.
        hub = try hubWithEvents(10)
        try hub.store.database.run("DELETE FROM audit_events WHERE seq = 10")
        try hub.store.database.run("DELETE FROM meta WHERE key = 'audit_head'")
        hub.audit.record("login", user: "admin", ip: "198.51.100.1")
        #expect(try hub.audit.verifyAll().firstBroken?.sequence == 10)
    }

    @Test func retentionMovesTheAnchorAndStillVerifies() throws {
        let hub = try hubWithEvents(30, environment: ["PULSE_AUDIT_RETENTION_DAYS": "1"])
        // Events are a minute apart from 1_800_000_000; keep the last 10 with a one-day retention.
        let now = Date(timeIntervalSince1970: 1_800_000_000 + 86_400 + 20 * 60 - 1)
        #expect(try hub.audit.applyRetention(now: now) == 20)
        let result = try hub.audit.verifyAll()
        #expect(result.verified && result.checked == 10)
        let first = try #require(try hub.store.auditEvents(after: 0, limit: 1).first)
        #expect(first.sequence == 21)
        #expect(try hub.audit.verify(id: first.id)?.verified == true)
        // Dropping one more event by hand is not retention: detected.
        try hub.store.database.run("DELETE FROM audit_events WHERE seq = 21")
        #expect(try hub.audit.verifyAll().verified == false)
        // A forged anchor is detected.
        try hub.store.setMeta("audit_anchor", "22 \(try hub.store.auditEvent(sequence: 22)!.prevHash) \(String(repeating: "0", count: 64))")
        #expect(try hub.audit.verifyAll().firstBroken?.reason.contains("anchor") == true)
    }

    @Test func aDifferentKeyFailsVerification() throws {
        let hub = try hubWithEvents(3)
        let other = try AuditLog(store: hub.store, key: Array("another key, sixteen+".utf8), retentionDays: 90, logger: hub.logger)
        #expect(try other.verifyAll().verified == false)
    }

    @Test func queryFilters() throws {
        let hub = try hubWithEvents(40)
        func list(_ query: [(String, String)]) -> [String: Any] {
            hub.send("GET", "/api/audit", token: try! hub.token([.settingsRead]), query: query).object
        }
        let all = list([])
        #expect(all["total"] as? Int == 40 && all["persistentLogging"] as? Bool == true)
        #expect((all["events"] as? [[String: Any]])?.count == 40)
        let logins = list([("event", "login")])
        #expect(logins["total"] as? Int == 14)
        #expect(list([("user", "ops"), ("success", "true")])["total"] as? Int == 16)
        #expect(list([("success", "yes")])["total"] as? Int == 8, "anything but true means false")
        let page = list([("limit", "5"), ("offset", "10")])
        let events = try #require(page["events"] as? [[String: Any]])
        #expect(page["total"] as? Int == 40 && events.count == 5)
        #expect(events.first?["sequence"] as? Int == 30, "newest first")
        #expect(list([("startTime", "2027-01-15T08:10:00Z"), ("endTime", "2027-01-15T08:19:59Z")])["total"] as? Int == 10)
        #expect(list([("startTime", "garbage")])["total"] as? Int == 40, "unparseable times are ignored")
        let token = try hub.token([.settingsRead])
        for bad in [[("limit", "0")], [("limit", "x")], [("offset", "-1")], [("event", String(repeating: "e", count: 300))]] {
            #expect(hub.send("GET", "/api/audit", token: token, query: bad).status == 400, "\(bad)")
        }
        let verify = hub.send("GET", "/api/audit/\((events.first?["id"] as? String) ?? "")/verify", token: token).object
        #expect(verify["available"] as? Bool == true && verify["verified"] as? Bool == true)
        #expect(hub.send("GET", "/api/audit/unknown/verify", token: token).status == 404)
        #expect(hub.send("GET", "/api/audit", token: try hub.token([.monitoringRead])).status == 403)
    }

    @Test func securityActionsAreAudited() throws {
        let hub = try TestHub()
        try hub.users.seed(username: "admin", password: "correct horse battery")
        let admin = try hub.token([.all])
        func login(_ password: String) -> HTTPResponse {
            hub.router.respond(to: HTTPRequest(method: "POST", path: "/api/login",
                                               body: Array(#"{"username":"admin","password":"\#(password)"}"#.utf8),
                                               clientAddress: "198.51.100.77"))
        }
        #expect(login("wrong password x").status == 401)
        #expect(login("correct horse battery").status == 200)
        let created = hub.send("POST", "/api/security/tokens", token: admin, body: #"{"name":"ci"}"#)
        let id = try #require((created.object["record"] as? [String: Any])?["id"] as? String)
        #expect(hub.send("DELETE", "/api/security/tokens/\(id)", token: admin).status == 204)
        #expect(hub.send("POST", "/api/security/reset-lockout", token: admin, body: #"{"identifier":"admin"}"#).status == 200)
        let events = try hub.audit.query(AuditQuery()).events
        let names = events.map(\.event)
        for expected in ["login", "token_created", "token_revoked", "lockout_reset"] { #expect(names.contains(expected), "\(expected)") }
        let failed = try #require(events.first { $0.event == "login" && !$0.success })
        #expect(failed.user == "admin" && failed.ip == "198.51.100.77")
        #expect(try hub.audit.verifyAll().verified)
    }

    @Test func webhookURLGuard() throws {
        let publicOnly = WebhookURLGuard(allowedPrivate: [], resolver: { host in
            switch host {
            case "hooks.example.com": return [IPAddress("93.184.216.34")!]
            case "rebind.example.com": return [IPAddress("93.184.216.34")!, IPAddress("10.0.0.5")!]
            case "internal.example.com": return [IPAddress("192.168.1.20")!]
            default: return []
            }
        })
        #expect(try publicOnly.check(publicOnly.parse("https://hooks.example.com/audit")) == IPAddress("93.184.216.34"))
        let refused = ["ftp://hooks.example.com/", "file:///etc/passwd", "https://user:pw@hooks.example.com/", "http://",
                       "https://hooks.example.com:99999/", "https://hooks.example.com/a b", "gopher://x",
                       "http://127.0.0.1:7655/api", "http://[::1]/", "http://169.254.169.254/latest/meta-data",
                       "http://0.0.0.0/", "http://internal.example.com/", "http://rebind.example.com/",
                       "http://nowhere.invalid/", "https://" + String(repeating: "a", count: 2100) + ".com/"]
        for url in refused {
            #expect(throws: WebhookURLGuard.Refusal.self, "\(url)") { try publicOnly.check(publicOnly.parse(url)) }
        }
        let allowing = WebhookURLGuard(allowedPrivate: [CIDR("192.168.1.0/24")!, CIDR("127.0.0.1")!], resolver: publicOnly.resolver)
        #expect(try allowing.check(allowing.parse("http://internal.example.com/")) == IPAddress("192.168.1.20"))
        #expect(try allowing.check(allowing.parse("http://127.0.0.1:9000/hook")) == IPAddress("127.0.0.1"))
        #expect(throws: WebhookURLGuard.Refusal.self) { try allowing.check(allowing.parse("http://127.0.0.2/")) }
        let target = try allowing.parse("http://[2001:db8::1]:8080/x")
        #expect(WebhookURLGuard.pin(target, to: IPAddress("2001:db8::1")!) == "2001:db8::1:8080:[2001:db8::1]")
    }

    @Test func webhookConfigurationThroughTheAPI() throws {
        let hub = try TestHub(environment: ["PULSE_WEBHOOK_ALLOWED_PRIVATE_CIDRS": "127.0.0.1"],
                              webhookResolver: { $0 == "hooks.example.com" ? [IPAddress("93.184.216.34")!] : [] })
        let writer = try hub.token([.settingsWrite])
        let reader = try hub.token([.settingsRead])
        #expect(hub.send("GET", "/api/admin/webhooks/audit", token: reader).object["urls"] as? [String] == [])
        let bad = hub.send("POST", "/api/admin/webhooks/audit", token: writer, body: #"{"urls":["http://10.0.0.1/hook"]}"#)
        #expect(bad.status == 400 && bad.object["code"] as? String == "invalid_webhook_url")
        #expect((bad.object["error"] as? String)?.contains("PULSE_WEBHOOK_ALLOWED_PRIVATE_CIDRS") == true)
        #expect(hub.send("POST", "/api/admin/webhooks/audit", token: writer, body: #"{"urls":"x"}"#).status == 400)
        #expect(hub.send("POST", "/api/admin/webhooks/audit", token: writer,
                         body: #"{"urls":[\#((0..<11).map { "\"https://hooks.example.com/\($0)\"" }.joined(separator: ","))]}"#).status == 400)
        #expect(hub.send("POST", "/api/admin/webhooks/audit", token: reader, body: #"{"urls":[]}"#).status == 403)
        let ok = hub.send("PUT", "/api/admin/webhooks/audit", token: writer,
                          body: #"{"urls":["https://hooks.example.com/a","http://127.0.0.1:9/b"]}"#)
        #expect(ok.status == 204)
        #expect(hub.send("GET", "/api/admin/webhooks/audit", token: reader).object["urls"] as? [String]
                == ["https://hooks.example.com/a", "http://127.0.0.1:9/b"])
        // The change itself was audited, and queued for both URLs.
        #expect(try hub.store.pendingDeliveryCount() == 2)
        let history = hub.send("GET", "/api/admin/webhooks/audit/deliveries", token: reader).object
        #expect((history["deliveries"] as? [[String: Any]])?.first?["event"] as? String == "audit_webhooks_updated")
    }
}
