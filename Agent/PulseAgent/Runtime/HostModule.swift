#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import PulseCommon

/// The host module's loop: a report immediately, then one every interval, on a drift-free schedule.
///
/// Runs on one thread (the transport's HTTP client is not thread-safe). A failed send is retried with jittered
/// backoff until the next report is due, then handed to the undelivered-report store; the schedule never slips.
/// If a cycle overruns the interval, the missed ticks are skipped rather than sent in a burst.
public final class HostModule {
    let builder: HostReportBuilder
    let transport: any ReportTransport
    let undelivered: any UndeliveredReportStore
    let interval: Duration
    let retry: RetryPolicy
    let stop: StopSignal
    let logger: Logger
    let clock: @Sendable () -> Date
    let jitter: @Sendable () -> Double

    public init(builder: HostReportBuilder, transport: any ReportTransport, undelivered: any UndeliveredReportStore,
                interval: Duration, stop: StopSignal, logger: Logger, retry: RetryPolicy? = nil,
                clock: @escaping @Sendable () -> Date = { Date() },
                jitter: @escaping @Sendable () -> Double = { Double.random(in: 0.5...1) }) {
        self.builder = builder
        self.transport = transport
        self.undelivered = undelivered
        self.interval = interval
        // Retries stay well inside one interval: at most a quarter of it per wait.
        self.retry = retry ?? RetryPolicy(base: .seconds(1), cap: max(.seconds(1), min(.seconds(60), interval / 4)))
        self.stop = stop
        self.logger = logger
        self.clock = clock
        self.jitter = jitter
    }

    /// Reports until `stop` is requested. A report that is late by less than half an interval goes out at once.
    public func run() {
        let start = ContinuousClock.now
        var tick = 0
        while !stop.isRequested {
            let nextDue = start.advanced(by: interval * (tick + 1))
            let report = builder.build(now: clock())
            // A later durable spool replays its oldest reports here, before the live one.
            deliver(report, before: nextDue)

            tick += 1
            var next = start.advanced(by: interval * tick)
            let now = ContinuousClock.now
            if next.advanced(by: interval / 2) <= now {
                // More than half an interval late: skip to the next tick in the future instead of bursting.
                let upcoming = Int(start.duration(to: now) / interval) + 1
                logger.warn("collection and delivery overran the interval; skipping ticks",
                            ["skipped": String(upcoming - tick)])
                tick = upcoming
                next = start.advanced(by: interval * tick)
            }
            if stop.wait(until: next) { break }
        }
        logger.debug("host module stopped")
    }

    /// Sends a report, retrying transient failures until `deadline`.
    func deliver(_ report: HostReport, before deadline: ContinuousClock.Instant) {
        var attempt = 0
        while true {
            attempt += 1
            do throws(DeliveryFailure) {
                let response = try transport.send(report)
                var fields = ["sequenceId": report.sequenceId ?? "", "attempts": String(attempt)]
                if let hostID = response?.hostId { fields["hostId"] = hostID }
                if attempt > 1 {
                    logger.info("report delivered after retrying", fields)
                } else {
                    logger.debug("report sent", fields)
                }
                return
            } catch {
                var fields = ["error": error.message, "attempts": String(attempt)]
                if let status = error.status { fields["status"] = String(status) }
                guard error.retryable else {
                    fields["hint"] = Self.hint(forStatus: error.status)
                    logger.warn("report rejected by the hub", fields)
                    return
                }
                let backoff = retry.delay(attempt: attempt, jitter: jitter())
                let wait = max(backoff, error.retryAfter ?? .zero)
                if ContinuousClock.now.advanced(by: wait) >= deadline || stop.isRequested {
                    logger.warn("report not delivered", fields)
                    undelivered.keep(report, failure: error)
                    return
                }
                fields["retryIn"] = "\(wait.milliseconds)ms"
                logger.debug("report send failed; retrying", fields)
                if stop.wait(for: wait) {
                    undelivered.keep(report, failure: error)
                    return
                }
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
