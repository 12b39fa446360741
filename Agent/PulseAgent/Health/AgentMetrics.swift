#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import PulseCommon
import Synchronization

/// The agent's counters and gauges for `/metrics` and `/readyz`, updated by the host module, the collectors and
/// the remote-config poller, read by the health server. Thread-safe.
public final class AgentMetrics: Sendable {
    struct CollectorSample: Sendable, Equatable {
        var durationSeconds: Double
        var success: Bool
    }

    struct State: Sendable {
        var up = true
        var ready = false
        var collected = 0
        var sent = 0
        var replayed = 0
        var failedAttempts = 0
        var rejected = 0
        var lastSuccess: Date?
        var collectors: [String: CollectorSample] = [:]
        var intervalSeconds = 0.0
        var commandsEnabled = false
        var remoteConfigSuccess: Date?
    }

    let version: String
    private let spool: ReportSpool?
    private let state = Mutex(State())

    public init(version: String = pulseAgentVersion, spool: ReportSpool? = nil) {
        self.version = version
        self.spool = spool
    }

    // MARK: Updates

    /// A report was built.
    func reportCollected() { state.withLock { $0.collected += 1 } }

    /// The hub accepted a report (live, or `replayed` from the spool).
    func reportDelivered(replayed: Bool, at time: Date) {
        state.withLock { state in
            state.sent += 1
            if replayed { state.replayed += 1 }
            state.lastSuccess = time
            state.ready = true
        }
    }

    /// The docker or Kubernetes module delivered a report: the agent is ready even with the host module off.
    func moduleDelivered() { state.withLock { $0.ready = true } }

    /// One send attempt failed (it may be retried or spooled).
    func sendFailed() { state.withLock { $0.failedAttempts += 1 } }

    /// The hub refused a report for good; it was dropped.
    func reportRejected() { state.withLock { $0.rejected += 1 } }

    func collectorFinished(_ name: String, duration: Duration, success: Bool) {
        let seconds = Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
        state.withLock { $0.collectors[name] = CollectorSample(durationSeconds: seconds, success: success) }
    }

    func setInterval(_ interval: Duration) {
        let seconds = Double(interval.components.seconds) + Double(interval.components.attoseconds) / 1e18
        state.withLock { $0.intervalSeconds = seconds }
    }

    func setCommandsEnabled(_ enabled: Bool) { state.withLock { $0.commandsEnabled = enabled } }

    func remoteConfigFetched(at time: Date) { state.withLock { $0.remoteConfigSuccess = time } }

    /// `pulse_agent_up` 0: the agent is stopping.
    func markDown() { state.withLock { $0.up = false } }

    // MARK: Reads

    /// Whether a report has been delivered since start (`/readyz`).
    public var isReady: Bool { state.withLock { $0.ready } }

    var snapshot: State { state.withLock { $0 } }

    /// The Prometheus text exposition (format 0.0.4).
    public func render() -> String {
        let state = snapshot
        let spool = spool?.statistics ?? SpoolStatistics()
        var out = PrometheusText()
        out.gauge("pulse_agent_info", "The agent's version (always 1).", [(["version": version], 1)])
        out.gauge("pulse_agent_up", "1 while the agent runs, 0 while it stops.", state.up ? 1 : 0)
        out.gauge("pulse_agent_ready", "1 once a report has been delivered to the hub.", state.ready ? 1 : 0)
        out.counter("pulse_agent_reports_collected_total", "Host reports built.", Double(state.collected))
        out.counter("pulse_agent_reports_sent_total", "Reports the hub accepted (2xx), live or replayed.",
                    Double(state.sent))
        out.counter("pulse_agent_reports_replayed_total", "Reports the hub accepted from the spool.",
                    Double(state.replayed))
        out.counter("pulse_agent_reports_failed_total", "Send attempts that failed (transport error or non-2xx).",
                    Double(state.failedAttempts))
        out.counter("pulse_agent_reports_rejected_total", "Reports the hub refused for good (dropped, not spooled).",
                    Double(state.rejected))
        out.counter("pulse_agent_reports_spooled_total", "Undelivered reports written to the spool.",
                    Double(spool.kept))
        out.counter("pulse_agent_spool_dropped_total",
                    "Spooled reports dropped: the oldest beyond the bounds, unreadable or unwritable ones.",
                    Double(spool.dropped))
        out.gauge("pulse_agent_spool_reports", "Reports waiting in the spool.", Double(spool.reports))
        out.gauge("pulse_agent_spool_bytes", "Encoded size of the reports waiting in the spool.", Double(spool.bytes))
        out.gauge("pulse_agent_spool_durable", "1 if the spool is on disk, 0 for the in-memory fallback.",
                  spool.durable ? 1 : 0)
        let names = state.collectors.keys.sorted()
        out.gauge("pulse_agent_collector_duration_seconds", "Duration of each collector's last run.",
                  names.map { (["collector": $0], state.collectors[$0]?.durationSeconds ?? 0) })
        out.gauge("pulse_agent_collector_success", "1 if each collector's last run succeeded.",
                  names.map { (["collector": $0], state.collectors[$0]?.success == true ? 1 : 0) })
        out.gauge("pulse_agent_last_report_success_timestamp_seconds",
                  "Unix time of the last report the hub accepted (0: none yet).",
                  state.lastSuccess?.timeIntervalSince1970 ?? 0)
        out.gauge("pulse_agent_report_interval_seconds", "The effective report interval.", state.intervalSeconds)
        out.gauge("pulse_agent_commands_enabled",
                  "1 if the hub enabled remote commands for this host (there is no command client yet).",
                  state.commandsEnabled ? 1 : 0)
        out.gauge("pulse_agent_remote_config_last_success_timestamp_seconds",
                  "Unix time of the last successful remote-config fetch (0: none).",
                  state.remoteConfigSuccess?.timeIntervalSince1970 ?? 0)
        return out.text
    }
}
