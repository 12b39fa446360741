import Foundation
#if canImport(Glibc)
import Glibc
#endif
import PulseCommon
import Testing

/// The audit log, its webhooks, lockout and rate limits against a real `pulse-hub` process.
@Suite("Security end to end", .serialized, .timeLimit(.minutes(4)))
struct SecurityIntegrationTests {
    static let password = "integration password 1"

    /// The audit key the hub generated in its data directory.
    static func auditKey(_ hub: HubProcess) throws -> [UInt8] {
        let hex = try String(contentsOfFile: hub.dataDirectory + "/.audit_signing_key", encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(hex.count == 64)
        var attributes = stat()
        #expect(stat(hub.dataDirectory + "/.audit_signing_key", &attributes) == 0 && attributes.st_mode & 0o777 == 0o600)
        return stride(from: 0, to: hex.count, by: 2).map { offset in
            let start = hex.index(hex.startIndex, offsetBy: offset)
            return UInt8(hex[start..<hex.index(start, offsetBy: 2)], radix: 16)!
        }
    }

    /// The documented canonical form, rebuilt independently of the hub's code: the signed fields with sorted keys,
    /// no whitespace, escaping only `"`, `\` and control characters.
    static func canonical(_ event: [String: Any]) -> [UInt8] {
        var out = "{"
        let keys = event.keys.filter { !["signature", "prevHash", "sequence"].contains($0) }.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
        for (index, key) in keys.enumerated() {
            if index > 0 { out += "," }
            out += quote(key) + ":"
            if key == "success" {
                out += (event[key] as? Bool) == true ? "true" : "false"
            } else {
                out += quote("\(event[key]!)")
            }
        }
        return Array((out + "}").utf8)
    }

    static func quote(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case _ where scalar.value < 0x20: out += String(format: "\\u%04x", scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    static func run(_ path: String, _ arguments: [String], in hub: HubProcess) throws -> Int32 {
        let child = try HubProcess.spawn(path, arguments: arguments, environment: ["PATH": "/usr/bin:/bin"],
                                         stdoutPath: hub.root + "/tool.out", stderrPath: hub.root + "/tool.err", append: true)
        guard let status = HubProcess.waitForExit(child, timeout: .seconds(30)) else {
            kill(child, SIGKILL)
            _ = HubProcess.waitForExit(child, timeout: .seconds(5))
            throw HarnessError("\(path) did not finish")
        }
        return HubProcess.exitCode(status) ?? -1
    }

    @Test("audit events reach a webhook, signed; the undelivered queue survives a restart")
    func webhookDeliveryAcrossRestart() throws {
        let hub = try HubProcess()
        defer { hub.shutdown() }
        let receiverPort = try HubProcess.freeLoopbackPort()
        hub.extraEnvironment = ["PULSE_WEBHOOK_ALLOWED_PRIVATE_CIDRS": "127.0.0.1/32",
                                "PULSE_AUTH_USER": "admin", "PULSE_AUTH_PASS": Self.password]
        let admin = try hub.createToken(name: "admin")
        try hub.start()
        let url = "http://127.0.0.1:\(receiverPort)/hook"
        let refused = try hub.post("/api/admin/webhooks/audit", json: #"{"urls":["http://10.1.2.3/hook"]}"#, token: admin)
        #expect(refused.status == 400, "\(refused.text)")
        let saved = try hub.post("/api/admin/webhooks/audit", json: #"{"urls":["\#(url)"]}"#, token: admin)
        #expect(saved.status == 204, "\(saved.text)")
        #expect(try hub.post("/api/login", json: #"{"username":"admin","password":"wrong password!!"}"#).status == 401)
        #expect(try hub.post("/api/security/tokens", json: #"{"name":"ci"}"#, token: admin).status == 200)

        // Nobody listens yet: deliveries fail and stay queued.
        var pending = 0
        for _ in 0..<100 {
            let history = try jsonObject(try hub.get("/api/admin/webhooks/audit/deliveries", token: admin))
            pending = history["pending"] as? Int ?? 0
            let attempted = (history["deliveries"] as? [[String: Any]] ?? []).contains { ($0["attempts"] as? Int ?? 0) >= 1 }
            if attempted && pending >= 3 { break }
            usleep(100_000)
        }
        #expect(pending >= 3)
        try hub.stop()

        let receiver = try WebhookReceiver(port: receiverPort)
        defer { receiver.stop() }
        try hub.start()
        let key = try Self.auditKey(hub)
        let arrived = receiver.wait(timeout: .seconds(60)) { requests in
            let events = Set(requests.compactMap { $0.headers["x-pulse-event"] })
            return events.isSuperset(of: ["audit_webhooks_updated", "login", "token_created"])
        }
        #expect(arrived, "received: \(receiver.requests.map { $0.headers["x-pulse-event"] ?? "?" })")
        for request in receiver.requests {
            #expect(request.method == "POST" && request.path == "/hook")
            #expect(request.headers["content-type"] == "application/json")
            #expect(request.headers["x-pulse-signature"] == "sha256=" + Crypto.hmacSHA256(key: key, message: request.body).hexString,
                    "body signature")
            let event = try #require(try JSONSerialization.jsonObject(with: Data(request.body)) as? [String: Any])
            #expect(event["event"] as? String == request.headers["x-pulse-event"])
            let signature = try #require(event["signature"] as? String)
            #expect(signature == Crypto.hmacSHA256(key: key, message: Self.canonical(event)).hexString,
                    "event signature over the documented canonical form: \(String(decoding: request.body, as: UTF8.self))")
            // The API's verify agrees.
            let id = try #require(event["id"] as? String)
            let verify = try jsonObject(try hub.get("/api/audit/\(id)/verify", token: admin))
            #expect(verify["verified"] as? Bool == true)
        }
        let failedLogin = receiver.requests.compactMap { try? JSONSerialization.jsonObject(with: Data($0.body)) as? [String: Any] }
            .first { $0["event"] as? String == "login" }
        #expect(failedLogin?["success"] as? Bool == false && failedLogin?["user"] as? String == "admin")
    }

    @Test("editing or deleting a stored event with sqlite3 is caught by audit verify")
    func tamperingIsDetected() throws {
        let hub = try HubProcess()
        defer { hub.shutdown() }
        hub.extraEnvironment = ["PULSE_AUTH_USER": "admin", "PULSE_AUTH_PASS": Self.password]
        let admin = try hub.createToken(name: "admin")
        try hub.start()
        for index in 0..<4 {
            _ = try hub.post("/api/login", json: #"{"username":"admin","password":"wrong password \#(index)"}"#)
        }
        #expect(try hub.post("/api/security/tokens", json: #"{"name":"x"}"#, token: admin).status == 200)
        let listed = try jsonObject(try hub.get("/api/audit", token: admin))
        #expect(listed["total"] as? Int == 6, "token create (CLI), 4 failed logins, token create (API)")
        try hub.stop()

        let database = hub.dataDirectory + "/pulse.db"
        let pristine = hub.root + "/pristine.db"
        // A stopped hub leaves a checkpointed pulse.db: the file alone is the whole database.
        #expect(!FileManager.default.fileExists(atPath: database + "-wal")
                || ((try? FileManager.default.attributesOfItem(atPath: database + "-wal")[.size] as? NSNumber)?.intValue ?? 0) == 0)
        try FileManager.default.copyItem(atPath: database, toPath: pristine)
        func restore() throws {
            for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: database + suffix) }
            try FileManager.default.copyItem(atPath: pristine, toPath: database)
        }
        let clean = try hub.cli(["audit", "verify"])
        #expect(clean.status == 0 && clean.stdout.contains("OK: 6 events verified"), "\(clean.stdout)\(clean.stderr)")

        // Edit: who failed to log in.
        #expect(try Self.run("/usr/bin/sqlite3", [database, "UPDATE audit_events SET user = 'mallory' WHERE seq = 3"], in: hub) == 0)
        let edited = try hub.cli(["audit", "verify"])
        #expect(edited.status == 1 && edited.stdout.contains("sequence 3") && edited.stdout.contains("signature mismatch"),
                "\(edited.stdout)")

        // Delete: one event from the middle.
        try restore()
        #expect(try Self.run("/usr/bin/sqlite3", [database, "DELETE FROM audit_events WHERE seq = 4"], in: hub) == 0)
        let deleted = try hub.cli(["audit", "verify"])
        #expect(deleted.status == 1 && deleted.stdout.contains("sequence 5") && deleted.stdout.contains("missing"), "\(deleted.stdout)")

        // Delete: the newest event.
        try restore()
        #expect(try Self.run("/usr/bin/sqlite3", [database, "DELETE FROM audit_events WHERE seq = 6"], in: hub) == 0)
        let truncated = try hub.cli(["audit", "verify"])
        #expect(truncated.status == 1 && truncated.stdout.contains("end of the log"), "\(truncated.stdout)")

        // The running hub's per-event check sees the edit too.
        try restore()
        #expect(try Self.run("/usr/bin/sqlite3", [database, "UPDATE audit_events SET ip = '10.9.9.9' WHERE seq = 2"], in: hub) == 0)
        try hub.start()
        let events = try #require(try jsonObject(try hub.get("/api/audit?limit=10", token: admin))["events"] as? [[String: Any]])
        let second = try #require(events.first { $0["sequence"] as? Int == 2 }?["id"] as? String)
        let verify = try jsonObject(try hub.get("/api/audit/\(second)/verify", token: admin))
        #expect(verify["verified"] as? Bool == false)
    }

    @Test("brute force from one address does not lock out another; lockouts and sessions survive a restart")
    func lockoutIsPerAddressBehindAProxy() throws {
        let hub = try HubProcess()
        defer { hub.shutdown() }
        hub.extraEnvironment = ["PULSE_AUTH_USER": "admin", "PULSE_AUTH_PASS": Self.password,
                                "PULSE_TRUSTED_PROXY_CIDRS": "127.0.0.1/32"]
        try hub.start()
        func login(_ password: String, from address: String) throws -> HTTPClientResponse {
            try hub.request("POST", "/api/login", headers: [("X-Forwarded-For", address)],
                            body: Array(#"{"username":"admin","password":"\#(password)"}"#.utf8))
        }
        var statuses: [Int] = []
        for index in 0..<6 { statuses.append(try login("attacker guess \(index)", from: "203.0.113.5").status) }
        #expect(statuses.prefix(5).allSatisfy { $0 == 401 } && statuses.last == 403, "\(statuses)")
        #expect(try jsonObject(try login(Self.password, from: "203.0.113.5"))["error"] as? String == "account_locked")

        let admin = try login(Self.password, from: "198.51.100.7")
        #expect(admin.status == 200, "\(admin.text)")
        let cookie = admin.headers.filter { $0.0.lowercased() == "set-cookie" }.map { String($0.1.split(separator: ";")[0]) }
            .joined(separator: "; ")

        // A per-address rate limit with the spec's headers (auth routes: 10 a minute).
        var limited: HTTPClientResponse?
        for index in 0..<12 {
            let response = try login("spray \(index)", from: "203.0.113.99")
            if response.status == 429 { limited = response; break }
        }
        let refusal = try #require(limited)
        #expect(refusal.header("Retry-After") != nil && refusal.header("X-RateLimit-Limit") == "10")
        #expect(refusal.header("X-RateLimit-Remaining") == "0" && refusal.header("X-RateLimit-Reset") != nil)

        try hub.stop()
        try hub.start()
        #expect(try jsonObject(try login(Self.password, from: "203.0.113.5"))["error"] as? String == "account_locked",
                "the lockout survived the restart")
        let state = try hub.request("GET", "/api/state", headers: [("Cookie", cookie)])
        #expect(state.status == 200, "the session survived the restart: \(state.text)")
    }
}
