import PulseCommon
import Synchronization

/// `sensors.powerWatts` from cumulative energy counters: RAPL (`cpu_package`, `cpu_core`, `dram`), else
/// `amd_energy`.
///
/// Watts are the energy used between the previous report and this one divided by the time between them, so
/// collection never sleeps (the reference slept 100 ms per report). The first report only takes the baseline.
/// Counter wrap uses each zone's `max_energy_range_uj`; several sockets add up instead of overwriting each other.
public final class PowerCollector: HostCollector {
    public let name = "sensors.power"
    private let previous = Mutex<EnergySample?>(nil)

    public init() {}

    public func collect(_ context: CollectContext, into report: inout HostReport) throws {
        let sample = EnergySample.read(context.fs, at: context.now)
        let last = previous.withLock { stored in
            defer { stored = sample.counters.isEmpty ? nil : sample }
            return stored
        }
        guard !sample.counters.isEmpty else {
            context.logger.debug("no RAPL or amd_energy counters; power omitted")
            return
        }
        guard let last else { return }  // baseline only
        let watts = EnergySample.watts(from: last, to: sample)
        guard !watts.isEmpty else { return }
        var sensors = report.sensors ?? HostReport.Sensors()
        sensors.powerWatts = watts
        report.sensors = sensors
    }
}
