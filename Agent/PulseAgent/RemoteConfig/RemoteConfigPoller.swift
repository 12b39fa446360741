#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import PulseCommon

/// Fetches the hub's config for this host at start and every `period` (jittered ±20 % so a fleet does not poll
/// in step), and applies it to the `LiveSettings`. Failures keep the current settings; a hub without the config
/// endpoint (404) is logged at debug only.
public final class RemoteConfigPoller {
    /// The default period.
    public static let defaultPeriod = Duration.seconds(300)
    /// The retry delay while the hub does not know the host yet (before its first report is stored).
    static let unknownHostRetry = Duration.seconds(30)

    let client: RemoteConfigClient
    let settings: LiveSettings
    let metrics: AgentMetrics?
    let period: Duration
    let logger: Logger
    let jitter: @Sendable () -> Double
    private var lastFailure: String?

    init(client: RemoteConfigClient, settings: LiveSettings, metrics: AgentMetrics?, period: Duration = defaultPeriod,
         logger: Logger, jitter: @escaping @Sendable () -> Double = { Double.random(in: 0.8...1.2) }) {
        self.client = client
        self.settings = settings
        self.metrics = metrics
        self.period = period
        self.logger = logger
        self.jitter = jitter
    }

    public convenience init(connection: HubConnection, identity: AgentIdentity, settings: LiveSettings,
                            metrics: AgentMetrics?, period: Duration = defaultPeriod, logger: Logger) {
        self.init(client: RemoteConfigClient(connection: connection, hostname: identity.hostname,
                                             agentID: identity.agentID),
                  settings: settings, metrics: metrics, period: period, logger: logger)
    }

    /// Polls until `stop`: every `period`, and at once when a report response announces a new config version
    /// (at most every few seconds, so a flapping hub cannot make it spin).
    public func run(stop: StopSignal) {
        while !stop.isRequested {
            let next = pollOnce()
            let deadline = ContinuousClock.now.advanced(by: next)
            var earliest = ContinuousClock.now.advanced(by: Self.minimumGap)
            waiting: while true {
                switch stop.wait(until: deadline, or: settings.configAnnounced) {
                case .stopped: return
                case .deadline: break waiting
                case .rang:
                    if stop.wait(until: earliest) { return }
                    earliest = ContinuousClock.now.advanced(by: Self.minimumGap)
                    break waiting
                }
            }
        }
    }

    /// The shortest time between two fetches triggered by announcements.
    static let minimumGap = Duration.seconds(2)

    /// One lookup and fetch; applies what it got and returns the delay before the next one.
    @discardableResult
    func pollOnce() -> Duration {
        let scaled = period.milliseconds
        let jittered = Duration.milliseconds(Int64(Double(scaled) * min(max(jitter(), 0.5), 1.5)))
        do {
            switch try client.fetch() {
            case .config(let hostID, let response):
                lastFailure = nil
                metrics?.remoteConfigFetched(at: Date())
                settings.setCommandsEnabled(response.config?.commandsEnabled, source: "config")
                settings.noteFetchedConfigVersion(response.configVersion)
                let remote = RemoteSettings.parse(response.config?.settings ?? [:])
                let changes = settings.apply(remote: remote)
                logger.debug("remote config fetched", ["hostId": hostID, "changes": String(changes.count)])
                return jittered
            case .notFound(let hostID, let lookupFound):
                logger.debug("hub has no config for this host; keeping the local configuration",
                             ["hostId": hostID, "hostKnown": String(lookupFound)])
                return lookupFound ? jittered : min(jittered, Self.unknownHostRetry)
            }
        } catch {
            if lastFailure != error.description {
                logger.warn("remote config fetch failed; keeping the current settings", ["error": error.description])
                lastFailure = error.description
            } else {
                logger.debug("remote config fetch failed again", ["error": error.description])
            }
            return jittered
        }
    }
}
