import PulseCommon

/// `host.kernelVersion` (`<procfs>/sys/kernel/osrelease`, else `uname -r`) and `host.architecture` (`uname -m`).
public struct KernelCollector: HostCollector {
    public let name = "host.kernel"

    public init() {}

    public func collect(_ context: CollectContext, into report: inout HostReport) throws {
        let uname = context.system.uname()
        let release = (try? context.fs.readValue(context.fs.procPath("sys", "kernel", "osrelease")))
            .flatMap { $0.isEmpty ? nil : $0 } ?? uname.flatMap { $0.release.isEmpty ? nil : $0.release }
        guard let release else { throw ParseError("uname", "no kernel release") }
        report.host = report.host ?? .init()
        report.host?.kernelVersion = release
        report.host?.architecture = uname.flatMap { $0.machine.isEmpty ? nil : $0.machine }
    }
}
