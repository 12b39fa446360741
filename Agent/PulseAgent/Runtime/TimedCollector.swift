#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import PulseCommon

/// A collector that records its run time and outcome in `AgentMetrics`
/// (`pulse_agent_collector_duration_seconds`, `pulse_agent_collector_success`), then behaves as the one it wraps.
struct TimedCollector: HostCollector {
    let wrapped: any HostCollector
    let metrics: AgentMetrics

    var name: String { wrapped.name }

    func collect(_ context: CollectContext, into report: inout HostReport) throws {
        let started = ContinuousClock.now
        do {
            try wrapped.collect(context, into: &report)
            metrics.collectorFinished(name, duration: started.duration(to: .now), success: true)
        } catch {
            metrics.collectorFinished(name, duration: started.duration(to: .now), success: false)
            throw error
        }
    }
}
