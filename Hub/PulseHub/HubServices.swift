import Foundation
import PulseCommon

/// Every hub service wired together, without sockets or threads: the hub runs it behind its HTTP servers, and tests
/// drive its router in process.
public final class HubServices: Sendable {
    public let configuration: HubConfiguration
    let store: ControlStore
    let tokens: TokenService
    let registry: HostRegistry
    let dockerHosts: DockerHandlers.Registry
    let dockerCommands: DockerCommandQueue
    let clusters: KubernetesHandlers.Registry
    let metrics: SQLiteMetricsStore
    public let users: UserService
    let sessions: SessionService
    let lockout: LoginLockout
    public let setup: SetupState
    let recovery: RecoveryService
    public let audit: AuditLog
    let deliverer: AuditWebhookDeliverer
    let rateLimits: RateLimitPolicy
    let profiles: ProfileService
    let httpMetrics: HTTPMetrics
    let exposition: PrometheusExposition
    public let routes: [Route]
    /// The web dashboard's catch-all (not in `routes`: it matches only what nothing there does).
    public let appFallback: Route
    public let router: Router

    /// Opens the stores in the configuration's data directory and builds the route table. `startMetricsWriter`
    /// false leaves the metrics writer to the caller (tests flush by hand). `webhookResolver` replaces DNS for the
    /// webhook guard (tests).
    public init(configuration: HubConfiguration, logger: Logger, startMetricsWriter: Bool = true,
                webhookResolver: (@Sendable (String) -> [IPAddress])? = nil) throws {
        self.configuration = configuration
        try FileSecurity.ensureDirectory(configuration.dataDirectory)
        store = try ControlStore(dataDirectory: configuration.dataDirectory)
        tokens = try TokenService(store: store, logger: logger.with(component: "auth"))
        try tokens.seed(fromEnvironment: configuration.environmentTokens)
        registry = try HostRegistry(store: store, logger: logger.with(component: "hosts"))
        dockerHosts = try DockerHandlers.Registry(kind: "docker", noun: "docker host", store: store,
                                                  logger: logger.with(component: "docker"),
                                                  machineIDOf: { $0.host?.machineId },
                                                  intervalOf: { $0.agent?.intervalSeconds })
        dockerCommands = try DockerCommandQueue(store: store)
        clusters = try KubernetesHandlers.Registry(kind: "kubernetes", noun: "Kubernetes cluster", store: store,
                                                   logger: logger.with(component: "kubernetes"),
                                                   machineIDOf: { _ in nil }, intervalOf: { $0.agent?.intervalSeconds })
        users = try UserService(store: store, logger: logger.with(component: "auth"))
        try users.seed(username: configuration.authUser, password: configuration.authPassword)
        sessions = SessionService(store: store)
        lockout = LoginLockout(store: store)
        setup = SetupState(dataDirectory: configuration.dataDirectory)
        recovery = RecoveryService(store: store, dataDirectory: configuration.dataDirectory)
        let key = try AuditKey.load(environmentValue: configuration.auditSigningKey, dataDirectory: configuration.dataDirectory)
        audit = try AuditLog(store: store, key: key.key, retentionDays: configuration.auditRetentionDays,
                             logger: logger.with(component: "audit"))
        let guardrail = WebhookURLGuard(allowedPrivate: configuration.webhookAllowedPrivate,
                                        resolver: webhookResolver ?? WebhookURLGuard.systemResolve)
        deliverer = AuditWebhookDeliverer(store: store, audit: audit, guardrail: guardrail, key: key.key,
                                          logger: logger.with(component: "audit-webhooks"))
        rateLimits = RateLimitPolicy()
        profiles = try ProfileService(store: store)
        var metricsConfiguration = SQLiteMetricsStore.Configuration(path: configuration.dataDirectory + "/metrics.db")
        metricsConfiguration.retention = configuration.metricsRetention
        metricsConfiguration.queueLimit = configuration.metricsQueueLimit
        metrics = try SQLiteMetricsStore(configuration: metricsConfiguration, logger: logger.with(component: "metrics"),
                                         startWriter: startMetricsWriter)
        httpMetrics = HTTPMetrics()
        exposition = PrometheusExposition(registry: registry, store: metrics, http: httpMetrics)

        var posture = SecurityHandlers.Posture()
        posture.httpsEnabled = configuration.httpsEnabled
        posture.deploymentType = configuration.deploymentType
        posture.trustedNetworks = configuration.trustedNetworks
        posture.agentConnectURL = configuration.agentConnectURL
        posture.publicURL = configuration.publicURL
        posture.deprecatedDisableAuth = configuration.deprecatedDisableAuth
        posture.proxyAuth = configuration.proxyAuth
        let authLimiter = RateLimiter(limit: 10, window: 60)
        let containerExtractor = ContainerMetricsExtractor()
        let handlers = Handlers(
            system: SystemHandlers(startedAt: Date(), deploymentType: configuration.deploymentType),
            tokens: TokenHandlers(tokens: tokens, audit: audit),
            hosts: HostHandlers(registry: registry, tokens: tokens, metrics: metrics, extractor: HostMetricsExtractor(), audit: audit,
                                profiles: profiles),
            state: StateHandlers(registry: registry, tokens: tokens, dockerHosts: dockerHosts,
                                 dockerCommands: dockerCommands, clusters: clusters),
            metrics: MetricsHandlers(store: metrics, retention: configuration.metricsRetention, exposition: exposition),
            auth: AuthHandlers(users: users, sessions: sessions, lockout: lockout, audit: audit, limiter: authLimiter,
                               tlsEnabled: configuration.httpsEnabled),
            security: SecurityHandlers(users: users, tokens: tokens, sessions: sessions, setup: setup, recovery: recovery,
                                       lockout: lockout, audit: audit, limiter: authLimiter, posture: posture),
            audit: AuditHandlers(audit: audit, guardrail: guardrail, store: store),
            fleet: FleetHandlers(profiles: profiles, registry: registry, tokens: tokens, audit: audit,
                                 agentURL: configuration.agentConnectURL ?? configuration.publicURL,
                                 httpsEnabled: configuration.httpsEnabled),
            downloads: DownloadHandlers(installerDirectories: configuration.installerDirectories,
                                        binDirectories: configuration.binDirectories, checksums: ChecksumCache()),
            reports: ReportHandlers(builder: ReportBuilder(store: metrics, registry: registry),
                                    onGenerated: ReportHandlers.auditHook(audit)),
            web: WebAppHandlers(directories: configuration.webDirectories),

            docker: DockerHandlers(registry: dockerHosts, commands: dockerCommands, metrics: metrics,
                                   extractor: containerExtractor, audit: audit),
            kubernetes: KubernetesHandlers(registry: clusters, metrics: metrics, extractor: containerExtractor,
                                           audit: audit))
        routes = Routes.table(handlers)
        appFallback = Routes.appFallback(handlers)
        router = Router(routes: routes, fallback: appFallback, tokens: tokens, sessions: sessions,
                        configuration: RouterConfiguration(allowedOrigins: configuration.allowedOrigins,
                                                           tlsEnabled: configuration.httpsEnabled,
                                                           trustedProxies: configuration.trustedProxies,
                                                           proxyAuth: configuration.proxyAuth),
                        logger: logger.with(component: "http"), metrics: httpMetrics,
                        gate: GateServices(setup: setup, recovery: recovery, rateLimits: rateLimits, audit: audit))
    }

    /// Opens the first-run window when no administrator exists (closing it otherwise); returns the bootstrap token
    /// when it is open.
    public func prepareFirstRun() throws -> String? {
        if configuration.adminLoginConfigured || users.hasUsers {
            setup.close()
            return nil
        }
        return try setup.open().token
    }

    /// Writes docker hosts and clusters changed since the last flush; drops old finished commands.
    func flushManagedAgents() {
        do { try dockerHosts.flush() } catch {}
        do { try clusters.flush() } catch {}
    }

    /// Writes everything batched in memory.
    func flush() {
        do { try registry.flush() } catch {}
        flushManagedAgents()
        do { try tokens.flush() } catch {}
        do { try sessions.flush() } catch {}
    }
}
