import Foundation
import PulseCommon
import Testing

/// `/api/security/tokens` and `/api/security/validate-token`.
@Suite("Tokens API", .timeLimit(.minutes(2)))
struct TokenAPITests {
    @Test("create, list, use and revoke a token")
    func tokenLifecycle() throws {
        let hub = try HubProcess()
        defer { hub.shutdown() }
        let admin = try hub.createToken(name: "admin")  // no --scopes: "*"
        try hub.start()

        let created = try hub.post("/api/security/tokens", json: #"{"name":"ci","scopes":["monitoring:read","host-agent:report"]}"#,
                                   token: admin)
        #expect(created.status == 200, "\(created.text)")
        let body = try jsonObject(created)
        let raw = try #require(body["token"] as? String)
        #expect(isHex(raw, length: 64), "token \(raw)")
        let record = try #require(body["record"] as? [String: Any], "\(created.text)")
        let id = try #require(record["id"] as? String)
        #expect(!id.isEmpty)
        #expect(record["name"] as? String == "ci")
        #expect(record["prefix"] as? String == String(raw.prefix(6)))
        #expect(record["suffix"] as? String == String(raw.suffix(4)))
        #expect((record["createdAt"] as? String).flatMap(RFC3339.parse) != nil, "createdAt: \(record["createdAt"] ?? "nil")")
        #expect(record["scopes"] as? [String] == ["host-agent:report", "monitoring:read"])
        #expect(!jsonContainsKey(body, "hash"))

        let list = try hub.get("/api/security/tokens", token: admin)
        #expect(list.status == 200, "\(list.text)")
        let listed = try jsonObject(list)
        let tokens = try #require(listed["tokens"] as? [[String: Any]], "\(list.text)")
        #expect(tokens.count == 2)
        #expect(tokens.first?["id"] as? String == id, "newest first")
        #expect(tokens.first?["name"] as? String == "ci")
        #expect(tokens.last?["name"] as? String == "admin")
        #expect(tokens.last?["scopes"] as? [String] == ["*"])
        let createdTimes = tokens.compactMap { ($0["createdAt"] as? String).flatMap(RFC3339.parse) }
        #expect(createdTimes.count == tokens.count && createdTimes == createdTimes.sorted(by: >), "createdAt descending")
        #expect(!jsonContainsKey(listed, "hash"), "a token hash is exposed: \(list.text)")
        #expect(!list.text.contains(raw) && !list.text.contains(admin), "raw token values are listed")

        // The new token works with its scopes, and only those.
        #expect(try hub.get("/api/state", token: raw).status == 200)
        try HostReportTests.expectAccepted(try hub.report(Fixture.report(), token: raw))
        try expectMissingScope(try hub.get("/api/security/tokens", token: raw), "settings:read")

        let deleted = try hub.request("DELETE", "/api/security/tokens/\(id)", token: admin)
        #expect(deleted.status == 204, "\(deleted.text)")
        #expect(deleted.body.isEmpty)
        let afterDelete = try hub.get("/api/state", token: raw)
        #expect(afterDelete.status == 401, "a revoked token still works: \(afterDelete.status)")

        let unknown = try hub.request("DELETE", "/api/security/tokens/\(id)", token: admin)
        #expect(unknown.status == 404, "\(unknown.text)")
        let bogus = try hub.request("DELETE", "/api/security/tokens/00000000-0000-0000-0000-000000000000", token: admin)
        #expect(bogus.status == 404, "\(bogus.text)")

        let remaining = try jsonObject(try hub.get("/api/security/tokens", token: admin))["tokens"] as? [[String: Any]]
        #expect(remaining?.count == 1)
    }

    @Test("scope validation and defaults")
    func scopeValidation() throws {
        let hub = try HubProcess()
        defer { hub.shutdown() }
        let admin = try hub.createToken(name: "admin")
        try hub.start()

        let cases: [(String, String)] = [
            (#"{"scopes":[]}"#, "select at least one scope or omit the field for full access"),
            (#"{"scopes":["nope"]}"#, #"unknown scope "nope""#),
            (#"{"scopes":["*","monitoring:read"]}"#, ""),
        ]
        for (request, message) in cases {
            let response = try hub.post("/api/security/tokens", json: request, token: admin)
            #expect(response.status == 400, "\(request): \(response.status) \(response.text)")
            let body = try jsonObject(response)
            if !message.isEmpty {
                #expect((body["error"] as? String)?.contains(message) == true, "\(request): \(response.text)")
            }
            #expect(body["token"] == nil)
        }
        let listed = try jsonObject(try hub.get("/api/security/tokens", token: admin))["tokens"] as? [[String: Any]]
        #expect(listed?.count == 1, "a refused request created a token")

        let defaults = try hub.post("/api/security/tokens", json: "{}", token: admin)
        #expect(defaults.status == 200, "\(defaults.text)")
        let record = try #require(try jsonObject(defaults)["record"] as? [String: Any])
        #expect(record["scopes"] as? [String] == ["*"])
        #expect(record["name"] as? String == "API token")

        let named = try hub.post("/api/security/tokens", json: #"{"name":"only name"}"#, token: admin)
        #expect((try jsonObject(named)["record"] as? [String: Any])?["scopes"] as? [String] == ["*"])
    }

    @Test("token management needs the settings scopes; validate-token reports validity")
    func permissionsAndValidation() throws {
        let hub = try HubProcess()
        defer { hub.shutdown() }
        let admin = try hub.createToken(name: "admin")
        let reader = try hub.createToken(name: "reader", scopes: "monitoring:read")
        try hub.start()

        try expectMissingScope(try hub.get("/api/security/tokens", token: reader), "settings:read")
        try expectMissingScope(try hub.post("/api/security/tokens", json: "{}", token: reader), "settings:write")
        #expect(try hub.get("/api/security/tokens").status == 401)

        let valid = try hub.post("/api/security/validate-token", json: #"{"token":"\#(reader)"}"#, token: admin)
        #expect(valid.status == 200, "\(valid.text)")
        #expect(try jsonObject(valid)["valid"] as? Bool == true, "\(valid.text)")

        let garbage = try hub.post("/api/security/validate-token", json: #"{"token":"garbage-\#(UUID())"}"#, token: admin)
        #expect(garbage.status == 200, "\(garbage.text)")
        #expect(try jsonObject(garbage)["valid"] as? Bool == false, "\(garbage.text)")
    }
}
