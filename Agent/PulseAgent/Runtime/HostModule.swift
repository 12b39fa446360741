#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import PulseCommon

/// The host module's loop: a report immediately, then one every interval, on a drift-free schedule.
///
/// Each cycle builds the live report, replays the spool oldest first (bounded, so a long backlog drains over a
/// few cycles without delaying the live report past its interval), then sends the live report. A failed send is
/// retried with jittered backoff until the next report is due, then spooled; the schedule never slips. If a
/// cycle overruns the interval, the missed ticks are skipped rather than sent in a burst.
///
/// With `LiveSettings`, the interval, log level, disk excludes, disabled collectors and report IP change while it
/// runs: a new interval applies at once (the wait is woken), collector changes from the next report.
///
/// Runs on one thread (the transport's HTTP client is not thread-safe).
public final class HostModule {
    /// At most this many spooled reports are replayed per cycle (and only in the first half of the interval).
    public static let defaultReplayLimit = 500

    let transport: any ReportTransport
    let undelivered: any UndeliveredReportStore
    let stop: StopSignal
    let logger: Logger
    let clock: @Sendable () -> Date
    let jitter: @Sendable () -> Double
    let metrics: AgentMetrics
    let inFlight: InFlightReport
    let settings: LiveSettings?
    let replayLimit: Int
    private let fixedRetry: RetryPolicy?
    private let fixedSettings: RuntimeSettings
    private let makeBuilder: (RuntimeSettings) -> HostReportBuilder
    private var builder: HostReportBuilder?
    private var builtFor: RuntimeSettings.Collection?
    private let idleDoorbell = Doorbell()
    /// Replays left in the current cycle.
    var replayBudget: Int

    /// A module with a fixed builder and interval.
    public convenience init(builder: HostReportBuilder, transport: any ReportTransport,
                            undelivered: any UndeliveredReportStore, interval: Duration, stop: StopSignal,
                            logger: Logger, retry: RetryPolicy? = nil, metrics: AgentMetrics = AgentMetrics(),
                            clock: @escaping @Sendable () -> Date = { Date() },
                            jitter: @escaping @Sendable () -> Double = { Double.random(in: 0.5...1) }) {
        self.init(makeBuilder: { _ in builder }, settings: nil,
                  fixed: RuntimeSettings(interval: interval, logLevel: logger.level), transport: transport,
                  undelivered: undelivered, stop: stop, logger: logger, retry: retry, metrics: metrics,
                  inFlight: InFlightReport(), clock: clock, jitter: jitter)
    }

    /// A module whose settings follow `settings`; `makeBuilder` builds the collectors for them (called again
    /// when the disk excludes or the disabled collectors change).
    public convenience init(makeBuilder: @escaping (RuntimeSettings) -> HostReportBuilder, settings: LiveSettings,
                            transport: any ReportTransport, spool: any UndeliveredReportStore, stop: StopSignal,
                            logger: Logger, metrics: AgentMetrics, inFlight: InFlightReport,
                            replayLimit: Int = defaultReplayLimit) {
        self.init(makeBuilder: makeBuilder, settings: settings, fixed: settings.local, transport: transport,
                  undelivered: spool, stop: stop, logger: logger, retry: nil, metrics: metrics, inFlight: inFlight,
                  replayLimit: replayLimit, clock: { Date() }, jitter: { Double.random(in: 0.5...1) })
    }

    init(makeBuilder: @escaping (RuntimeSettings) -> HostReportBuilder, settings: LiveSettings?,
         fixed: RuntimeSettings, transport: any ReportTransport, undelivered: any UndeliveredReportStore,
         stop: StopSignal, logger: Logger, retry: RetryPolicy?, metrics: AgentMetrics, inFlight: InFlightReport,
         replayLimit: Int = defaultReplayLimit, clock: @escaping @Sendable () -> Date,
         jitter: @escaping @Sendable () -> Double) {
        self.makeBuilder = makeBuilder
        self.settings = settings
        fixedSettings = fixed
        self.transport = transport
        self.undelivered = undelivered
        self.stop = stop
        self.logger = logger
        fixedRetry = retry
        self.metrics = metrics
        self.inFlight = inFlight
        self.replayLimit = max(1, replayLimit)
        replayBudget = max(1, replayLimit)
        self.clock = clock
        self.jitter = jitter
    }

    /// The settings for this cycle.
    var currentSettings: RuntimeSettings { settings?.current ?? fixedSettings }

    /// The retry policy for an interval: retries stay well inside it, at most a quarter of it per wait.
    func retryPolicy(for interval: Duration) -> RetryPolicy {
        fixedRetry ?? RetryPolicy(base: .seconds(1), cap: max(.seconds(1), min(.seconds(60), interval / 4)))
    }

    /// Reports until `stop` is requested. A report that is late by less than half an interval goes out at once.
    public func run() {
        var scheduled = ContinuousClock.now
        while !stop.isRequested {
            let current = currentSettings
            runCycle(current, due: scheduled.advanced(by: current.interval))
            guard let next = waitForNextCycle(after: scheduled) else { break }
            scheduled = next
        }
        logger.debug("host module stopped")
    }

    /// Builds, replays and delivers one report.
    func runCycle(_ current: RuntimeSettings, due: ContinuousClock.Instant) {
        if builder == nil || builtFor != current.collection {
            builder = makeBuilder(current)
            builtFor = current.collection
        }
        guard let builder else { return }
        var report = builder.build(now: clock())
        metrics.reportCollected()
        if settings != nil {
            report.agent?.intervalSeconds = current.intervalSeconds
            report.host?.reportIp = current.reportIP
        }
        replayBudget = replayLimit
        deliver(report, before: due)
    }

    /// Sleeps until the next tick after the one `scheduled` for; `nil` when stopped. Drift-free: ticks are
    /// `scheduled + interval`, the interval read again if the settings change during the wait.
    func waitForNextCycle(after scheduled: ContinuousClock.Instant) -> ContinuousClock.Instant? {
        let doorbell = settings?.changed ?? idleDoorbell
        while true {
            let interval = currentSettings.interval
            var next = scheduled.advanced(by: interval)
            let now = ContinuousClock.now
            if next.advanced(by: interval / 2) <= now {
                // More than half an interval late: skip to the next tick in the future instead of bursting.
                let missed = Int(scheduled.duration(to: now) / interval)
                logger.warn("collection and delivery overran the interval; skipping ticks",
                            ["skipped": String(missed)])
                next = scheduled.advanced(by: interval * (missed + 1))
            }
            switch stop.wait(until: next, or: doorbell) {
            case .stopped: return nil
            case .deadline: return next
            case .rang: continue  // the interval may have changed: compute the tick again
            }
        }
    }

    /// What to do about a permanent rejection.
    static func hint(forStatus status: Int?) -> String {
        switch status {
        case 401: "check the API token"
        case 403: "the token needs the host-agent:report scope"
        case 404: "check --url: the hub has no host report endpoint there"
        case 413, 400: "the hub rejected the report body"
        case .some(300..<400): "use the hub's final URL (https:// if it redirects)"
        default: "the report will not be retried"
        }
    }
}
