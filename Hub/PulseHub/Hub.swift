import Foundation
import PulseCommon
import Synchronization

/// The assembled hub: stores, services, routes and the HTTP server, with a bounded graceful shutdown.
public final class Hub: Sendable {
    public let configuration: HubConfiguration
    public let logger: Logger
    let store: ControlStore
    let tokens: TokenService
    let registry: HostRegistry
    let metrics: SQLiteMetricsStore
    public let users: UserService
    let sessions: SessionService
    let server: HTTPServer
    let metricsServer: HTTPServer?
    private let stopping = Atomic<Bool>(false)

    /// Builds every part and starts listening.
    public init(configuration: HubConfiguration, logger: Logger) throws {
        self.configuration = configuration
        self.logger = logger
        try FileSecurity.ensureDirectory(configuration.dataDirectory)
        store = try ControlStore(dataDirectory: configuration.dataDirectory)
        tokens = try TokenService(store: store, logger: logger.with(component: "auth"))
        try tokens.seed(fromEnvironment: configuration.environmentTokens)
        registry = try HostRegistry(store: store, logger: logger.with(component: "hosts"))
        users = try UserService(store: store, logger: logger.with(component: "auth"))
        try users.seed(username: configuration.authUser, password: configuration.authPassword)
        sessions = SessionService(store: store)
        var metricsConfiguration = SQLiteMetricsStore.Configuration(path: configuration.dataDirectory + "/metrics.db")
        metricsConfiguration.retention = configuration.metricsRetention
        metricsConfiguration.queueLimit = configuration.metricsQueueLimit
        metrics = try SQLiteMetricsStore(configuration: metricsConfiguration, logger: logger.with(component: "metrics"))

        let httpMetrics = HTTPMetrics()
        let exposition = PrometheusExposition(registry: registry, store: metrics, http: httpMetrics)
        let handlers = Handlers(
            system: SystemHandlers(startedAt: Date(), deploymentType: configuration.deploymentType),
            tokens: TokenHandlers(tokens: tokens),
            hosts: HostHandlers(registry: registry, tokens: tokens, metrics: metrics, extractor: HostMetricsExtractor()),
            state: StateHandlers(registry: registry, tokens: tokens),
            metrics: MetricsHandlers(store: metrics, retention: configuration.metricsRetention, exposition: exposition),
            auth: AuthHandlers(users: users, sessions: sessions, lockout: LoginLockout(store: store),
                               limiter: RateLimiter(limit: 10, window: 60), tlsEnabled: configuration.httpsEnabled),
            // AUDIT (issue 8): wire `onGenerated` to the audit log here; every generated report must be recorded.
            reports: ReportHandlers(builder: ReportBuilder(store: metrics, registry: registry), onGenerated: nil))
        let router = Router(routes: Routes.table(handlers), tokens: tokens, sessions: sessions,
                            configuration: RouterConfiguration(allowedOrigins: configuration.allowedOrigins,
                                                               tlsEnabled: configuration.httpsEnabled),
                            logger: logger.with(component: "http"), metrics: httpMetrics)
        var serverConfiguration = HTTPServerConfiguration(
            host: configuration.bindHost, port: configuration.port, threads: configuration.httpThreads,
            maxConnections: configuration.maxConnections, maxConnectionsPerIP: configuration.maxConnectionsPerIP,
            connectionTimeout: configuration.connectionTimeout)
        if configuration.httpsEnabled, let certFile = configuration.tlsCertificateFile, let keyFile = configuration.tlsKeyFile {
            do {
                serverConfiguration.tlsCertificatePEM = try String(contentsOfFile: certFile, encoding: .utf8)
                serverConfiguration.tlsKeyPEM = try String(contentsOfFile: keyFile, encoding: .utf8)
            } catch {
                throw HubConfiguration.Problem(description: "cannot read TLS_CERT_FILE or TLS_KEY_FILE: \(error.localizedDescription)")
            }
        }
        server = try HTTPServer(configuration: serverConfiguration, responder: router)
        if let address = configuration.metricsAddress {
            do {
                metricsServer = try HTTPServer(
                    configuration: HTTPServerConfiguration(host: address.host, port: address.port, threads: 1,
                                                           maxConnections: 64, maxConnectionsPerIP: 16),
                    responder: MetricsEndpointResponder(exposition: exposition))
            } catch {
                server.shutdown(gracePeriod: .zero)
                throw HubConfiguration.Problem(description: "PULSE_METRICS_ADDR \(address.host):\(address.port): \(error)")
            }
        } else {
            metricsServer = nil
        }
    }

    /// The bound port.
    public var port: UInt16 { server.port }

    /// Runs until SIGINT or SIGTERM, then shuts down within `gracePeriod`. The caller must have blocked those
    /// signals in every thread (`Hub.blockShutdownSignals()` before any thread starts).
    public func runUntilSignalled(gracePeriod: Duration = .seconds(8)) {
        let notifier = SystemdNotifier()
        let scheme = configuration.httpsEnabled ? "https" : "http"
        logger.info("pulse hub listening", ["address": "\(scheme)://\(configuration.bindHost):\(port)",
                                            "version": PulseVersion.current])
        if let metricsServer, let address = configuration.metricsAddress {
            logger.info("unauthenticated Prometheus metrics listening",
                        ["address": "http://\(address.host):\(metricsServer.port)/metrics"])
        }
        notifier.ready(status: "listening on port \(port)")
        let background = Thread { [self] in backgroundLoop(notifier: notifier) }
        background.name = "pulse-maintenance"
        background.start()

        var signals = sigset_t()
        sigemptyset(&signals)
        sigaddset(&signals, SIGINT)
        sigaddset(&signals, SIGTERM)
        var received: Int32 = 0
        while sigwait(&signals, &received) != 0 {}
        logger.info("shutting down", ["signal": received == SIGTERM ? "SIGTERM" : "SIGINT"])
        notifier.stopping()
        stopping.store(true, ordering: .releasing)
        server.shutdown(gracePeriod: gracePeriod)
        metricsServer?.shutdown(gracePeriod: .seconds(1))
        flushAll()
        logger.info("stopped")
    }

    /// Blocks SIGINT, SIGTERM and SIGHUP in the calling thread (inherited by threads it starts) and ignores SIGPIPE.
    public static func blockShutdownSignals() {
        var signals = sigset_t()
        sigemptyset(&signals)
        sigaddset(&signals, SIGINT)
        sigaddset(&signals, SIGTERM)
        sigaddset(&signals, SIGHUP)
        pthread_sigmask(SIG_BLOCK, &signals, nil)
        signal(SIGPIPE, SIG_IGN)
    }

    /// Periodic work: token changes from the CLI (1 s), host snapshots (2 s), token last-use (30 s), watchdog.
    private func backgroundLoop(notifier: SystemdNotifier) {
        let watchdog = notifier.watchdogInterval()
        var tick = 0
        while !stopping.load(ordering: .acquiring) {
            usleep(250_000)
            tick += 1
            if tick % 4 == 0 {
                do { try tokens.reloadIfChanged() } catch { logger.warn("token reload failed", ["error": "\(error)"]) }
            }
            if tick % 8 == 0 {
                do { try registry.flush() } catch { logger.warn("host flush failed; will retry", ["error": "\(error)"]) }
            }
            if tick % 120 == 0 {
                do { try tokens.flush() } catch { logger.warn("token flush failed; will retry", ["error": "\(error)"]) }
                do { try sessions.flush() } catch { logger.warn("session flush failed; will retry", ["error": "\(error)"]) }
            }
            if let watchdog, tick % max(1, Int(watchdog.components.seconds * 2)) == 0 { notifier.watchdog() }
        }
    }

    private func flushAll() {
        metrics.close()
        do { try registry.flush() } catch { logger.error("final host flush failed", ["error": "\(error)"]) }
        do { try tokens.flush() } catch { logger.error("final token flush failed", ["error": "\(error)"]) }
        do { try sessions.flush() } catch { logger.error("final session flush failed", ["error": "\(error)"]) }
    }
}
