#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import PulseCommon

/// Everything a collector may touch: the host's files, the system calls, the collection time, a logger and the
/// command runner.
///
/// Collectors never build absolute paths, never read the clock and never call the kernel except through this.
public struct CollectContext: Sendable {
    public var fs: HostFS
    public var system: SystemProbes
    /// The report's collection time.
    public var now: Date
    public var logger: Logger
    /// Outside programs (`smartctl`, `mdadm`, `ceph`); the only way a collector may start a process.
    public var commands: any CommandRunner

    public init(fs: HostFS, system: SystemProbes, now: Date, logger: Logger,
                commands: any CommandRunner = SystemCommandRunner()) {
        self.fs = fs
        self.system = system
        self.now = now
        self.logger = logger
        self.commands = commands
    }
}

/// One source of host report data (`host.cpu`, `host.memory`, later `sensors.hwmon`, `smart`, …).
///
/// A collector writes its fields into the report. When it throws, the report builder discards everything it
/// wrote, logs the error and carries on, so one failing source never sinks a report.
public protocol HostCollector: Sendable {
    /// A short dotted name for logs, e.g. `host.memory`.
    var name: String { get }
    func collect(_ context: CollectContext, into report: inout HostReport) throws
}
