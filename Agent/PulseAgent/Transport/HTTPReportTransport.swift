#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import PulseCommon

/// `POST <url>/api/agents/host/report` over libcurl, keeping one connection alive between reports.
///
/// Not thread-safe (it owns one `HTTPClient`): create it on the thread that sends.
public final class HTTPReportTransport: ReportTransport {
    /// The hub's host report body limit (agent-protocol 2); larger bodies are rejected as `400 invalid_json`.
    static let hubBodyLimit = 256 * 1024

    let connection: HubConnection
    let endpoint: String
    let timeout: Duration
    let userAgent: String
    let logger: Logger
    private let client = HTTPClient()
    private let encoder = WireJSON.encoder()
    private let decoder = WireJSON.decoder()

    public init(connection: HubConnection, logger: Logger, version: String = pulseAgentVersion,
                timeout: Duration = .seconds(15)) {
        self.connection = connection
        endpoint = connection.baseURL + "/api/agents/host/report"
        self.timeout = timeout
        userAgent = "pulse-agent/\(version)"
        self.logger = logger
    }

    public convenience init(baseURL: String, token: String, insecureSkipVerify: Bool, logger: Logger,
                            version: String = pulseAgentVersion, timeout: Duration = .seconds(15)) {
        self.init(connection: HubConnection(baseURL: baseURL, token: token,
                                            tls: TLSOptions(insecureSkipVerify: insecureSkipVerify)),
                  logger: logger, version: version, timeout: timeout)
    }

    /// The request for one report (separate for tests).
    func request(for report: HostReport) throws(DeliveryFailure) -> HTTPClientRequest {
        let body: [UInt8]
        do {
            body = Array(try encoder.encode(report))
        } catch {
            throw DeliveryFailure(status: nil, message: "cannot encode report: \(error)", retryable: false)
        }
        if body.count > Self.hubBodyLimit {
            logger.warn("report is larger than the hub accepts",
                        ["bytes": String(body.count), "limit": String(Self.hubBodyLimit)])
        }
        return connection.request("POST", "/api/agents/host/report", body: body, userAgent: userAgent,
                                  timeout: timeout)
    }

    public func send(_ report: HostReport) throws(DeliveryFailure) -> HostReportResponse? {
        let body = try Self.deliver(try request(for: report), client: client, connection: connection)
        return try? decoder.decode(HostReportResponse.self, from: Data(body))
    }

    /// Performs one agent→hub request: a transport error is retryable, a non-2xx answer is classified by
    /// `failure`; returns the body of a 2xx answer. Shared with the docker and Kubernetes senders.
    static func deliver(_ request: HTTPClientRequest, client: HTTPClient,
                        connection: HubConnection) throws(DeliveryFailure) -> [UInt8] {
        let response: HTTPClientResponse
        do {
            response = try client.perform(request)
        } catch {
            throw DeliveryFailure(status: nil, message: connection.explain(error), retryable: true)
        }
        guard (200..<300).contains(response.status) else {
            throw failure(status: response.status, headers: response.headers, body: response.body)
        }
        return response.body
    }

    /// Classifies a non-2xx answer and extracts the hub's message. `headers` have lowercased names.
    static func failure(status: Int, headers: [(String, String)], body: [UInt8]) -> DeliveryFailure {
        func header(_ name: String) -> String? { headers.first { $0.0 == name }?.1 }
        let retryable = status == 408 || status == 429 || status >= 500
        var retryAfter: Duration?
        if let value = header("retry-after"), let seconds = Int(value.trimmingWhitespace()), seconds >= 0 {
            retryAfter = .seconds(seconds)
        }
        var message = hubErrorMessage(body)
        if (300..<400).contains(status) {
            let location = header("location").map { " to \($0)" } ?? ""
            message = "hub redirected\(location); redirects are not followed (use the final URL, e.g. https://)"
        }
        return DeliveryFailure(status: status, message: message, retryable: retryable, retryAfter: retryAfter)
    }

    /// The `error` (and `code`) of a hub error body, else the start of the body text.
    static func hubErrorMessage(_ body: [UInt8]) -> String {
        struct HubError: Decodable {
            var error: String?
            var code: String?
            var requiredScope: String?
        }
        if let decoded = try? JSONDecoder().decode(HubError.self, from: Data(body)), let error = decoded.error {
            var message = error
            if let code = decoded.code, code != error { message += " (\(code))" }
            if let scope = decoded.requiredScope { message += " (requires scope \(scope))" }
            return message
        }
        let text = String(decoding: body.prefix(200), as: UTF8.self).trimmingWhitespace()
        return text.isEmpty ? "empty response body" : text
    }
}
