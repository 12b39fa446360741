import PulseCommon

/// `host.loadAverage` (1, 5, 15 minutes) from `/proc/loadavg`.
public struct LoadAverageCollector: HostCollector {
    public let name = "host.load"

    public init() {}

    public func collect(_ context: CollectContext, into report: inout HostReport) throws {
        let load = try LoadAverage.parse(context.fs.read(context.fs.procPath("loadavg")))
        report.host = report.host ?? .init()
        report.host?.loadAverage = load
    }
}
