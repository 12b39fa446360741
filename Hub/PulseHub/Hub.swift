import Foundation
import PulseCommon
import Synchronization

/// The assembled hub: stores, services, routes and the HTTP server, with a bounded graceful shutdown.
public final class Hub: Sendable {
    public let configuration: HubConfiguration
    public let logger: Logger
    public let services: HubServices
    let server: HTTPServer
    let metricsServer: HTTPServer?
    private let stopping = Atomic<Bool>(false)

    var store: ControlStore { services.store }
    var tokens: TokenService { services.tokens }
    var registry: HostRegistry { services.registry }
    var metrics: SQLiteMetricsStore { services.metrics }
    public var users: UserService { services.users }
    var sessions: SessionService { services.sessions }

    /// Builds every part and starts listening.
    public init(configuration: HubConfiguration, logger: Logger) throws {
        self.configuration = configuration
        self.logger = logger
        services = try HubServices(configuration: configuration, logger: logger)
        let exposition = services.exposition
        let router = services.router
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
        services.deliverer.start()
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
        services.deliverer.stop()
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

    /// Periodic work: token changes from the CLI (1 s), host snapshots (2 s), token last-use (30 s), audit
    /// retention (hourly), watchdog.
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
                do {
                    try services.dockerHosts.flush()
                    try services.clusters.flush()
                } catch { logger.warn("docker/kubernetes flush failed; will retry", ["error": "\(error)"]) }
            }
            if tick % 120 == 0 {
                do { try tokens.flush() } catch { logger.warn("token flush failed; will retry", ["error": "\(error)"]) }
                do { try sessions.flush() } catch { logger.warn("session flush failed; will retry", ["error": "\(error)"]) }
            }
            if tick % 14_400 == 1 {
                // Hourly: audit retention, recovery-token and webhook-history cleanup.
                do { try services.audit.applyRetention() } catch { logger.warn("audit retention failed", ["error": "\(error)"]) }
                do {
                    try store.pruneRecoveryTokens(now: Date())
                    try store.pruneDeliveries(finishedBefore: Date().addingTimeInterval(-30 * 86_400))
                    try store.pruneRemovals(before: Date().addingTimeInterval(-2 * 86_400))
                    try store.pruneDockerCommands(finishedBefore: Date().addingTimeInterval(-7 * 86_400))
                } catch { logger.warn("cleanup failed", ["error": "\(error)"]) }
            }
            if let watchdog, tick % max(1, Int(watchdog.components.seconds * 2)) == 0 { notifier.watchdog() }
        }
    }

    private func flushAll() {
        metrics.close()
        do { try registry.flush() } catch { logger.error("final host flush failed", ["error": "\(error)"]) }
        services.flushManagedAgents()
        do { try tokens.flush() } catch { logger.error("final token flush failed", ["error": "\(error)"]) }
        do { try sessions.flush() } catch { logger.error("final session flush failed", ["error": "\(error)"]) }
        do { try store.checkpoint() } catch { logger.warn("final checkpoint failed", ["error": "\(error)"]) }
    }
}
