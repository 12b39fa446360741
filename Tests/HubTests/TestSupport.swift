import Foundation
import PulseCommon
@testable import PulseHub

/// A hub's services on a fresh SQLite file in a temporary directory, without a socket.
final class TestHub {
    let directory: String
    let services: HubServices
    let logger = Logger(level: .error, format: .text, write: { _ in })

    var store: ControlStore { services.store }
    var tokens: TokenService { services.tokens }
    var registry: HostRegistry { services.registry }
    var metrics: SQLiteMetricsStore { services.metrics }
    var users: UserService { services.users }
    var sessions: SessionService { services.sessions }
    var audit: AuditLog { services.audit }
    var router: Router { services.router }
    var routes: [Route] { services.routes }

    /// Whether `deinit` removes the data directory (not when a test reopens it).
    var removesDirectory = true

    init(allowedOrigins: [String] = [], metricsQueueLimit: Int = 1_000_000, environment: [String: String] = [:],
         webhookResolver: (@Sendable (String) -> [IPAddress])? = nil, directory reuse: String? = nil) throws {
        directory = reuse ?? NSTemporaryDirectory() + "pulse-hubtests-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var configuration = try HubConfiguration.load(environment: environment.merging(["PULSE_DATA_DIR": directory]) { $1 })
        configuration.allowedOrigins = allowedOrigins
        configuration.metricsQueueLimit = metricsQueueLimit
        services = try HubServices(configuration: configuration, logger: logger, startMetricsWriter: false,
                                   webhookResolver: webhookResolver)
    }

    deinit { if removesDirectory { try? FileManager.default.removeItem(atPath: directory) } }

    func token(_ scopes: [Scope] = [.all], name: String = "test") throws -> String {
        try tokens.create(name: name, scopes: scopes).raw
    }

    func send(_ method: String, _ path: String, token: String? = nil, body: String? = nil,
              headers: [String: String] = [:], query: [(String, String)] = []) -> HTTPResponse {
        var allHeaders = headers
        if let token { allHeaders["x-api-token"] = token }
        let request = HTTPRequest(method: method, path: path, query: query,
                                  headers: Dictionary(uniqueKeysWithValues: allHeaders.map { ($0.key.lowercased(), $0.value) }),
                                  body: Array((body ?? "").utf8))
        let limit = router.bodyLimit(method: method, path: path)
        if request.body.count > limit { return router.payloadTooLarge(request, limit: limit) }
        return router.respond(to: request)
    }
}

extension HTTPResponse {
    var object: [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any] ?? [:]
    }
}

func reportJSON(hostname: String, id: String? = "machine-1", timestamp: String = "2026-12-04T15:00:00Z",
                cpu: Double = 10, sequence: String? = nil, agentID: String = "agent-1") -> String {
    var host = #""hostname":"\#(hostname)""#
    if let id { host += #","id":"\#(id)""# }
    let sequenceField = sequence.map { #","sequenceId":"\#($0)""# } ?? ""
    return #"{"agent":{"id":"\#(agentID)","version":"0.1.0","type":"unified","intervalSeconds":30},"host":{\#(host),"platform":"debian","osName":"Debian","osVersion":"12"},"metrics":{"cpuUsagePercent":\#(cpu),"memory":{"totalBytes":1000,"usedBytes":250}},"timestamp":"\#(timestamp)"\#(sequenceField)}"#
}
