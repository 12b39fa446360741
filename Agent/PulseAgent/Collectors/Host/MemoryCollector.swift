import PulseCommon

/// `metrics.memory` from `/proc/meminfo`.
public struct MemoryCollector: HostCollector {
    public let name = "host.memory"

    public init() {}

    public func collect(_ context: CollectContext, into report: inout HostReport) throws {
        let memory = try MemInfo.parse(context.fs.read(context.fs.procPath("meminfo"))).memory()
        report.metrics = report.metrics ?? .init()
        report.metrics?.memory = HostReport.Memory(
            totalBytes: Int64(clamping: memory.totalBytes), usedBytes: Int64(clamping: memory.usedBytes),
            freeBytes: Int64(clamping: memory.freeBytes), usage: memory.usagePercent,
            swapTotalBytes: memory.swapTotalBytes.map { Int64(clamping: $0) },
            swapUsedBytes: memory.swapUsedBytes.map { Int64(clamping: $0) })
    }
}
