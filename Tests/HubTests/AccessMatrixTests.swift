import Foundation
import PulseCommon
import Testing
@testable import PulseHub

/// Every route in the table × every kind of credential: who gets 401, 403 or through.
@Suite struct AccessMatrixTests {
    enum Credential: CaseIterable, CustomStringConvertible {
        case none, badToken, sessionWithoutCSRF, sessionWithCSRF

        var description: String {
            switch self {
            case .none: return "no credentials"
            case .badToken: return "bad token"
            case .sessionWithoutCSRF: return "session without CSRF"
            case .sessionWithCSRF: return "session with CSRF"
            }
        }
    }

    /// A path with parameters filled in.
    static func concrete(_ path: String) -> String {
        path.replacingOccurrences(of: "{id}", with: "matrix-id")
    }

    /// Passed the gate: anything but 401, 403 from the gate, or 429.
    static func passedGate(_ response: HTTPResponse) -> Bool {
        let code = response.object["code"] as? String
        let gateCodes: Set<String> = ["unauthorized", "invalid_token", "csrf_failed", "admin_required", "session_required",
                                      "setup_token_required", "recovery_requires_local_access", "invalid_recovery_token"]
        if response.status == 403, response.object["error"] as? String == "missing_scope" { return false }
        return !(response.status == 401 || (response.status == 403 && gateCodes.contains(code ?? "")))
    }

    @Test func everyRouteAgainstEveryCredential() throws {
        let hub = try TestHub()
        try hub.users.seed(username: "admin", password: "correct horse battery")
        let login = hub.router.respond(to: HTTPRequest(method: "POST", path: "/api/login",
                                                       body: Array(#"{"username":"admin","password":"correct horse battery"}"#.utf8),
                                                       clientAddress: "198.51.100.2"))
        var cookies: [String: String] = [:]
        for (name, value) in login.headers where name == "Set-Cookie" {
            let pair = value.split(separator: ";")[0].split(separator: "=", maxSplits: 1)
            cookies[String(pair[0])] = String(pair[1])
        }
        let session = try #require(cookies["pulse_session"])
        var csrf = try #require(cookies["pulse_csrf"])
        // Each request from its own address, so the per-address rate limits stay out of the way.
        var counter = 0
        func nextAddress() -> String {
            counter += 1
            return "10.\(counter / 65_536 % 256).\(counter / 256 % 256).\(counter % 256)"
        }

        // Logout ends the session the matrix uses: run it last.
        for route in hub.routes.sorted(by: { $1.path == "/api/logout" && $0.path != "/api/logout" }) {
            let path = Self.concrete(route.path)
            let body = route.isMutating ? "{}" : ""
            func send(_ headers: [String: String]) -> HTTPResponse {
                hub.router.respond(to: HTTPRequest(method: route.method, path: path, headers: headers, body: Array(body.utf8),
                                                   clientAddress: nextAddress()))
            }
            for credential in Credential.allCases {
                var headers: [String: String] = [:]
                switch credential {
                case .none: break
                case .badToken: headers["x-api-token"] = String(repeating: "f", count: 64)
                case .sessionWithoutCSRF: headers["cookie"] = "pulse_session=\(session); pulse_csrf=\(csrf)"
                case .sessionWithCSRF:
                    headers["cookie"] = "pulse_session=\(session); pulse_csrf=\(csrf)"
                    headers["x-csrf-token"] = csrf
                }
                let response = send(headers)
                let label = "\(route.method) \(route.path) with \(credential): \(response.status)"
                switch (route.access, credential) {
                case (.public, _):
                    #expect(Self.passedGate(response), "\(label)")
                case (.recovery, _):
                    // Not loopback and no recovery token: refused whatever else is sent.
                    #expect(response.status == 401, "\(label)")
                case (_, .none), (_, .badToken):
                    #expect(response.status == 401, "\(label)")
                case (_, .sessionWithoutCSRF):
                    if route.isMutating {
                        #expect(response.status == 403 && response.object["code"] as? String == "csrf_failed", "\(label)")
                        // The refusal rotates the CSRF token; a page retries with the fresh one.
                        if let fresh = response.header("X-CSRF-Token") { csrf = fresh }
                    } else {
                        #expect(Self.passedGate(response), "\(label)")
                    }
                case (_, .sessionWithCSRF):
                    if route.path.hasSuffix("/report") {
                        // The gate lets the session through; agent reports then insist on an agent token.
                        #expect(response.status == 403 && response.object["code"] as? String == "token_required", "\(label)")
                    } else {
                        #expect(Self.passedGate(response), "\(label)")
                    }
                }
            }
            // A bogus token header next to a valid session is judged as the token alone.
            if route.access != .public, route.access != .recovery {
                var headers = ["cookie": "pulse_session=\(session); pulse_csrf=\(csrf)", "x-api-token": "bogus"]
                if route.isMutating { headers["x-csrf-token"] = csrf }
                #expect(send(headers).status == 401, "\(route.method) \(route.path) with a bogus token next to a session")
            }
            // Tokens: each scope alone; only the route's scope (or *) passes.
            guard route.access != .public, route.access != .recovery else { continue }
            for scope in Scope.allCases {
                let token = try hub.token([scope], name: "matrix \(scope.rawValue)")
                let response = send(["x-api-token": token])
                let label = "\(route.method) \(route.path) with a \(scope.rawValue) token: \(response.status)"
                if route.access == .session {
                    #expect(response.status == 403, "\(label)")
                } else if let required = route.scope, [scope].grants(required) {
                    #expect(Self.passedGate(response), "\(label)")
                } else {
                    #expect(response.status == 403 && response.object["error"] as? String == "missing_scope", "\(label)")
                }
                _ = try hub.tokens.revoke(id: hub.tokens.list().first { $0.name == "matrix \(scope.rawValue)" }!.id)
            }
        }
    }
}
