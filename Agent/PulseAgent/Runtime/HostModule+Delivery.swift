#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import PulseCommon

extension HostModule {
    /// How a spool replay ended.
    enum ReplayOutcome: Equatable {
        /// Nothing (more) to replay.
        case drained
        /// The per-cycle count or time budget ran out; the rest waits for the next cycle.
        case budgetSpent
        /// The hub is unreachable or busy (transport error, 408, 429, 5xx): the live report would fail too.
        case unavailable(DeliveryFailure)
        /// The hub refuses the agent (401, 403, a wrong URL): replay stops for this cycle, the reports stay.
        case refused(DeliveryFailure)
    }

    /// Sends a report, replaying the spool first, retrying transient failures until `deadline`, and spooling it
    /// if it is still not delivered then (or when the module stops meanwhile).
    func deliver(_ report: HostReport, before deadline: ContinuousClock.Instant) {
        let replayDeadline = ContinuousClock.now.advanced(by: ContinuousClock.now.duration(to: deadline) / 2)
        let retry = retryPolicy(for: currentSettings.interval)
        var attempt = 0
        while true {
            if stop.isRequested {
                undelivered.keep(report, failure: .stopping)
                return
            }
            attempt += 1
            let failure: DeliveryFailure
            if case .unavailable(let replayFailure) = replay(until: replayDeadline) {
                failure = replayFailure  // the hub is down: do not spend a second attempt on the live report
            } else {
                inFlight.begin(report)
                do throws(DeliveryFailure) {
                    let response = try transport.send(report)
                    if !inFlight.end() { undelivered.remove(report) }  // a stop spooled it meanwhile: delivered now
                    delivered(report, response: response, attempts: attempt)
                    return
                } catch {
                    guard inFlight.end() else { return }  // a stop took it and spooled it
                    failure = error
                }
                metrics.sendFailed()
            }
            var fields = ["error": failure.message, "attempts": String(attempt)]
            if let status = failure.status { fields["status"] = String(status) }
            guard failure.retryable else {
                fields["hint"] = Self.hint(forStatus: failure.status)
                logger.warn("report rejected by the hub", fields)
                metrics.reportRejected()
                return
            }
            let backoff = retry.delay(attempt: attempt, jitter: jitter())
            let wait = max(backoff, failure.retryAfter ?? .zero)
            if ContinuousClock.now.advanced(by: wait) >= deadline || stop.isRequested {
                logger.warn("report not delivered; spooled", fields)
                undelivered.keep(report, failure: failure)
                return
            }
            fields["retryIn"] = "\(wait.milliseconds)ms"
            logger.debug("report send failed; retrying", fields)
            if stop.wait(for: wait) {
                undelivered.keep(report, failure: failure)
                return
            }
        }
    }

    private func delivered(_ report: HostReport, response: HostReportResponse?, attempts: Int) {
        metrics.reportDelivered(replayed: false, at: clock())
        settings?.setCommandsEnabled(response?.config?.commandsEnabled, source: "report response")
        settings?.noteAnnouncedConfigVersion(response?.configVersion)
        var fields = ["sequenceId": report.sequenceId ?? "", "attempts": String(attempts)]
        if let hostID = response?.hostId { fields["hostId"] = hostID }
        if attempts > 1 {
            logger.info("report delivered after retrying", fields)
        } else {
            logger.debug("report sent", fields)
        }
    }

    /// Replays spooled reports, oldest first, until the spool is empty, `deadline` passes, the cycle's budget is
    /// spent, or the hub fails. A report leaves the spool only after a 2xx, or when the hub refuses that report
    /// itself (400, 413, 422: deleted with a warning).
    func replay(until deadline: ContinuousClock.Instant) -> ReplayOutcome {
        var replayed = 0
        var rejected = 0
        defer {
            if replayed > 0 || rejected > 0 {
                var fields = ["delivered": String(replayed), "rejected": String(rejected)]
                if let spool = undelivered as? ReportSpool { fields["left"] = String(spool.statistics.reports) }
                logger.info("replayed spooled reports", fields)
            }
        }
        while true {
            let batch = undelivered.oldest(limit: min(32, replayBudget))
            if batch.isEmpty { return replayBudget > 0 ? .drained : .budgetSpent }
            for report in batch {
                guard replayBudget > 0, ContinuousClock.now < deadline, !stop.isRequested else { return .budgetSpent }
                do throws(DeliveryFailure) {
                    let response = try transport.send(report)
                    undelivered.remove(report)
                    replayBudget -= 1
                    replayed += 1
                    metrics.reportDelivered(replayed: true, at: clock())
                    settings?.setCommandsEnabled(response?.config?.commandsEnabled, source: "report response")
                    logger.debug("spooled report delivered", ["sequenceId": report.sequenceId ?? ""])
                } catch {
                    metrics.sendFailed()
                    var fields = ["sequenceId": report.sequenceId ?? "", "error": error.message]
                    if let status = error.status { fields["status"] = String(status) }
                    if error.rejectsReport {
                        undelivered.remove(report)
                        replayBudget -= 1
                        rejected += 1
                        metrics.reportRejected()
                        logger.warn("spooled report rejected by the hub; deleted", fields)
                        continue
                    }
                    if error.retryable {
                        logger.debug("spool replay paused: hub unavailable", fields)
                        return .unavailable(error)
                    }
                    fields["hint"] = Self.hint(forStatus: error.status)
                    logger.warn("spool replay stopped for this cycle", fields)
                    return .refused(error)
                }
            }
        }
    }
}
