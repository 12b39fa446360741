import PulseCommon

/// `host.uptimeSeconds` from `/proc/uptime`.
public struct UptimeCollector: HostCollector {
    public let name = "host.uptime"

    public init() {}

    public func collect(_ context: CollectContext, into report: inout HostReport) throws {
        let uptime = try Uptime.parse(context.fs.read(context.fs.procPath("uptime")))
        report.host = report.host ?? .init()
        report.host?.uptimeSeconds = uptime
    }
}
