import PulseCommon

/// `diskIO` from `/proc/diskstats`: whole disks only, cumulative counters, sorted by device.
public struct DiskIOCollector: HostCollector {
    public let name = "host.diskio"
    let exclusions: ExclusionPatterns

    /// `exclusions` (the user's `--disk-exclude`) also drop block devices by name, as they do for SMART.
    public init(exclusions: ExclusionPatterns = ExclusionPatterns([])) {
        self.exclusions = exclusions
    }

    public func collect(_ context: CollectContext, into report: inout HostReport) throws {
        let stats = try DiskStats.parse(context.fs.read(context.fs.procPath("diskstats")))
        report.diskIO = stats
            .filter { DiskStats.isWholeDisk($0.device) && !exclusions.excludes($0.device, "/dev/" + $0.device) }
            .sorted { $0.device < $1.device }
            .map { disk in
                HostReport.DiskIO(device: disk.device, readBytes: disk.readBytes, writeBytes: disk.writeBytes,
                                  readOps: disk.readsCompleted, writeOps: disk.writesCompleted,
                                  readTimeMs: disk.readTimeMs, writeTimeMs: disk.writeTimeMs, ioTimeMs: disk.ioTimeMs)
            }
    }
}
