import PulseCommon

/// `host.cpuModel` and `host.cpuCount` from `/proc/cpuinfo`; the count falls back to the `cpuN` lines of
/// `/proc/stat` on architectures whose cpuinfo has no `processor` entries.
public struct CPUInfoCollector: HostCollector {
    public let name = "host.cpuinfo"

    public init() {}

    public func collect(_ context: CollectContext, into report: inout HostReport) throws {
        let info = CPUInfo.parse(try context.fs.read(context.fs.procPath("cpuinfo")))
        var count = info.logicalCount
        if count == 0 { count = CPUTimes.countCPUs(try context.fs.read(context.fs.procPath("stat"))) }
        report.host = report.host ?? .init()
        report.host?.cpuModel = info.model
        report.host?.cpuCount = count > 0 ? count : nil
    }
}
