import PulseCommon
import Synchronization

/// `metrics.cpuUsagePercent` from `/proc/stat`, over the time since the previous report.
///
/// The reference blocks every report for a 1 s sample. Here each report compares with the sample kept from the
/// previous one, so collection never waits. The first report (and the first after a counter reset) has no
/// previous sample: it takes a short `firstSample` (250 ms) instead of omitting the value.
public final class CPUUsageCollector: HostCollector {
    public let name = "host.cpu"
    let firstSample: Duration
    private let previous = Mutex<CPUTimes?>(nil)

    public init(firstSample: Duration = .milliseconds(250)) {
        self.firstSample = firstSample
    }

    public func collect(_ context: CollectContext, into report: inout HostReport) throws {
        let path = context.fs.procPath("stat")
        var current = try CPUTimes.parse(context.fs.read(path))
        var usage = previous.withLock { $0 }.flatMap { CPUTimes.usagePercent(from: $0, to: current) }
        if usage == nil {
            let baseline = current
            context.system.sleep(firstSample)
            current = try CPUTimes.parse(context.fs.read(path))
            usage = CPUTimes.usagePercent(from: baseline, to: current)
        }
        previous.withLock { $0 = current }
        guard let usage else { throw ParseError("/proc/stat", "CPU counters did not advance") }
        report.metrics = (report.metrics ?? .init())
        report.metrics?.cpuUsagePercent = usage
    }
}
