import Foundation
import PulseCommon
import Testing
@testable import PulseAgent

/// The HTTP request the agent sends and how it reads the hub's answers.
struct HTTPTransportTests {
    @Test func requestCarriesBothTokenHeadersAndTheBody() throws {
        let transport = HTTPReportTransport(baseURL: "https://hub.example:7655/", token: "s3cret",
                                            insecureSkipVerify: true, logger: TestSupport.logger())
        let report = HostReport(agent: .init(id: "a"), host: .init(hostname: "h"), timestamp: Date(timeIntervalSince1970: 0))
        let request = try transport.request(for: report)
        #expect(request.method == "POST")
        #expect(request.url == "https://hub.example:7655/api/agents/host/report")
        let headers = Dictionary(uniqueKeysWithValues: request.headers)
        #expect(headers["Content-Type"] == "application/json")
        #expect(headers["X-API-Token"] == "s3cret")
        #expect(headers["Authorization"] == "Bearer s3cret")
        #expect(headers["User-Agent"] == "pulse-agent/\(pulseAgentVersion)")
        #expect(request.timeout == .seconds(15))
        #expect(request.insecureSkipVerify)
        let body = try #require(request.body)
        #expect(try WireJSON.decoder().decode(HostReport.self, from: Data(body)) == report)
    }

    func response(_ status: Int, _ body: String, headers: [(String, String)] = []) -> DeliveryFailure {
        HTTPReportTransport.failure(status: status, headers: headers, body: Array(body.utf8))
    }

    @Test func failureClassification() {
        let server = response(500, #"{"error":"database locked","code":"internal"}"#)
        #expect(server.retryable && server.status == 500 && server.message == "database locked (internal)")

        let auth = response(401, #"{"error":"Authentication required"}"#)
        #expect(!auth.retryable && auth.message == "Authentication required")

        let scope = response(403, #"{"error":"missing_scope","requiredScope":"host-agent:report"}"#)
        #expect(!scope.retryable && scope.message == "missing_scope (requires scope host-agent:report)")

        let plain = response(401, "Invalid API token\n")
        #expect(plain.message == "Invalid API token")

        let limited = response(429, "", headers: [("retry-after", "7")])
        #expect(limited.retryable && limited.retryAfter == .seconds(7) && limited.message == "empty response body")

        let redirect = response(301, "", headers: [("location", "https://hub/")])
        #expect(!redirect.retryable && redirect.message.contains("https://hub/"))
    }

    /// A real POST through libcurl to a one-shot local server.
    @Test func sendsOverHTTP() throws {
        let server = try OneShotHTTPServer(status: 200, body: #"{"success":true,"hostId":"host-1","lastSeen":"2024-01-01T00:00:00Z","platform":"ubuntu","osName":"Ubuntu","osVersion":"20.04"}"#)
        let transport = HTTPReportTransport(baseURL: "http://127.0.0.1:\(server.port)", token: "tok",
                                            insecureSkipVerify: false, logger: TestSupport.logger())
        let response = try transport.send(HostReport(agent: .init(id: "a"), host: .init(hostname: "h")))
        #expect(response?.hostId == "host-1")
        let request = server.waitForRequest()
        #expect(request.hasPrefix("POST /api/agents/host/report HTTP/1.1\r\n"))
        #expect(request.lowercased().contains("x-api-token: tok\r\n"))
        #expect(request.lowercased().contains("authorization: bearer tok\r\n"))
        #expect(request.contains(#""hostname":"h""#))
    }

    @Test func transportErrorsAreRetryable() throws {
        // Port 1 on loopback refuses connections.
        let transport = HTTPReportTransport(baseURL: "http://127.0.0.1:1", token: "tok", insecureSkipVerify: false,
                                            logger: TestSupport.logger(), timeout: .seconds(2))
        do {
            _ = try transport.send(HostReport())
            Issue.record("expected a failure")
        } catch {
            #expect(error.status == nil && error.retryable)
        }
    }
}
