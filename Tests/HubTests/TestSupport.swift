import Foundation
import PulseCommon
@testable import PulseHub

/// A hub's services on a fresh SQLite file in a temporary directory, without a socket.
final class TestHub {
    let directory: String
    let store: ControlStore
    let tokens: TokenService
    let registry: HostRegistry
    let metrics: SQLiteMetricsStore
    let users: UserService
    let sessions: SessionService
    let router: Router
    let logger = Logger(level: .error, format: .text, write: { _ in })

    init(allowedOrigins: [String] = [], metricsQueueLimit: Int = 1_000_000) throws {
        directory = NSTemporaryDirectory() + "pulse-hubtests-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        store = try ControlStore(dataDirectory: directory)
        tokens = try TokenService(store: store, logger: logger)
        registry = try HostRegistry(store: store, logger: logger)
        var metricsConfiguration = SQLiteMetricsStore.Configuration(path: directory + "/metrics.db")
        metricsConfiguration.queueLimit = metricsQueueLimit
        metrics = try SQLiteMetricsStore(configuration: metricsConfiguration, logger: logger, startWriter: false)
        let http = HTTPMetrics()
        users = try UserService(store: store, logger: logger)
        sessions = SessionService(store: store)
        router = Router(routes: Routes.table(Self.handlers(tokens: tokens, registry: registry, metrics: metrics, http: http,
                                                           store: store, users: users, sessions: sessions)),
                        tokens: tokens, sessions: sessions,
                        configuration: RouterConfiguration(allowedOrigins: allowedOrigins), logger: logger, metrics: http)
    }

    static func handlers(tokens: TokenService, registry: HostRegistry, metrics: any MetricsStore,
                         http: HTTPMetrics = HTTPMetrics(), store: ControlStore, users: UserService,
                         sessions: SessionService, onReport: ReportHandlers.GeneratedHook? = nil) -> Handlers {
        Handlers(system: SystemHandlers(startedAt: Date(), deploymentType: "binary"),
                 tokens: TokenHandlers(tokens: tokens),
                 hosts: HostHandlers(registry: registry, tokens: tokens, metrics: metrics, extractor: HostMetricsExtractor()),
                 state: StateHandlers(registry: registry, tokens: tokens),
                 metrics: MetricsHandlers(store: metrics, retention: MetricsRetention(),
                                          exposition: PrometheusExposition(registry: registry, store: metrics, http: http)),
                 auth: AuthHandlers(users: users, sessions: sessions, lockout: LoginLockout(store: store),
                                    limiter: RateLimiter(limit: 10, window: 60), tlsEnabled: false),
                 reports: ReportHandlers(builder: ReportBuilder(store: metrics, registry: registry), onGenerated: onReport))
    }

    deinit { try? FileManager.default.removeItem(atPath: directory) }

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
