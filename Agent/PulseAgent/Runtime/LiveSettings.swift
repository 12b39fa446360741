import PulseCommon
import Synchronization

/// The current `RuntimeSettings`, shared between the remote-config poller (which writes) and the host module
/// (which reads at each cycle). Applying a change sets the log level at once and rings `changed`, so a new
/// interval takes effect without waiting out the old one.
public final class LiveSettings: Sendable {
    private struct State: Sendable {
        var current: RuntimeSettings
        var remote = RemoteSettings()
        var commandsEnabled: Bool?
        /// The hub's config fingerprint as last seen in a report response, and as last fetched.
        var announcedVersion: String?
        var fetchedVersion: String?
    }

    /// The settings from flags and environment.
    public let local: RuntimeSettings
    /// Rung on every change.
    public let changed = Doorbell()
    /// Rung when a report response announces a config version other than the one last fetched.
    public let configAnnounced = Doorbell()
    private let state: Mutex<State>
    private let logger: Logger
    private let metrics: AgentMetrics?

    /// Starts from `local` and sets `logger`'s level to it (the level is shared by every derived logger).
    public init(local: RuntimeSettings, logger: Logger, metrics: AgentMetrics? = nil) {
        self.local = local
        state = Mutex(State(current: local))
        self.logger = logger
        self.metrics = metrics
        logger.level = local.logLevel
        metrics?.setInterval(local.interval)
    }

    public var current: RuntimeSettings { state.withLock { $0.current } }

    /// What the hub last said about remote commands (`nil`: nothing yet).
    public var commandsEnabled: Bool? { state.withLock { $0.commandsEnabled } }

    /// Overlays the hub's profile on the local settings, applies the result and logs what changed. Settings the
    /// profile no longer carries fall back to the local values. Returns the changed settings.
    @discardableResult
    public func apply(remote: RemoteSettings) -> [String: String] {
        let (old, previous, new) = state.withLock { state in
            let old = state.current
            let previous = state.remote
            state.remote = remote
            state.current = local.overlaid(with: remote)
            return (old, previous, state.current)
        }
        for key in remote.needsRestart.keys.sorted() where previous.needsRestart[key] != remote.needsRestart[key] {
            logger.warn("remote setting needs an agent restart to take effect",
                        ["setting": key, "value": remote.needsRestart[key] ?? ""])
        }
        for key in remote.ignored.keys.sorted() where previous.ignored[key] != remote.ignored[key] {
            logger.warn("remote setting ignored", ["setting": key, "reason": remote.ignored[key] ?? ""])
        }
        let changes = new.changes(from: old)
        guard !changes.isEmpty else { return [:] }
        logger.level = new.logLevel
        metrics?.setInterval(new.interval)
        logger.info("remote settings applied", changes)
        changed.ring()
        return changes
    }

    /// Notes the `configVersion` of a report response; a version other than the last fetched one wakes the
    /// remote-config poller, so a profile change applies within one report interval.
    public func noteAnnouncedConfigVersion(_ version: String?) {
        guard let version else { return }
        let stale = state.withLock { state -> Bool in
            state.announcedVersion = version
            return state.fetchedVersion != version
        }
        if stale { configAnnounced.ring() }
    }

    /// Records the version a config fetch returned.
    public func noteFetchedConfigVersion(_ version: String?) {
        state.withLock { $0.fetchedVersion = version }
    }

    /// Records `config.commandsEnabled` from a report response or the config endpoint. There is no command
    /// client yet: the value is logged when it changes and exposed in `/metrics`.
    public func setCommandsEnabled(_ enabled: Bool?, source: String) {
        guard let enabled else { return }
        let previous = state.withLock { state in
            let previous = state.commandsEnabled
            state.commandsEnabled = enabled
            return previous
        }
        metrics?.setCommandsEnabled(enabled)
        if previous != enabled {
            logger.info("hub set commandsEnabled", ["commandsEnabled": String(enabled), "source": source,
                                                    "note": "this agent has no command client yet"])
        }
    }
}
