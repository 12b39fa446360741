import PulseCommon

/// `disks` from `<procfs>/1/mountinfo` (else `<procfs>/self/mountinfo`), measured with `statvfs` on
/// `<rootfs>/<mountpoint>`. The filtering is `DiskUsage`'s. The agent guards `statvfs` with a `StatfsWatchdog`
/// (2 s per mount): a mount that times out is skipped, with one warning naming it, until it answers again.
public struct FilesystemCollector: HostCollector {
    public let name = "host.disks"
    let exclusions: ExclusionPatterns

    public init(exclusions: ExclusionPatterns = ExclusionPatterns([])) {
        self.exclusions = exclusions
    }

    public func collect(_ context: CollectContext, into report: inout HostReport) throws {
        let text: String
        do {
            text = try context.fs.read(context.fs.procPath("1", "mountinfo"))
        } catch {
            // PID 1's table is the host's view; without permission (hidepid) or PID 1, use our own.
            text = try context.fs.read(context.fs.procPath("self", "mountinfo"))
        }
        let mounts = try MountInfo.parse(text)
        let fs = context.fs
        let statvfs = context.system.filesystemStats
        let outcome = DiskUsage.disks(mounts: mounts, exclusions: exclusions) { mount in
            try statvfs(fs.rootPath(mount.mountpoint))
        }
        for mountpoint in outcome.timedOut {
            context.logger.warn("filesystem did not answer statvfs in time; skipping it until it responds",
                                ["collector": name, "mountpoint": mountpoint])
        }
        if !outcome.stillHung.isEmpty {
            context.logger.debug("still skipping filesystems whose statvfs is blocked",
                                 ["collector": name, "mountpoints": outcome.stillHung.joined(separator: ",")])
        }
        if !outcome.statFailures.isEmpty {
            context.logger.debug("some filesystems could not be measured",
                                 ["collector": name, "failures": outcome.statFailures.joined(separator: "; ")])
        }
        report.disks = Self.withPoolFigures(outcome.disks, context: context, collector: name)
    }

    /// ZFS pool entries refined with `zpool list` when the tool exists (10 s timeout); unchanged otherwise.
    static func withPoolFigures(_ disks: [HostReport.Disk], context: CollectContext, collector: String) -> [HostReport.Disk] {
        let pools = disks.filter { $0.type == "zfs" }.compactMap(\.device)
        guard !pools.isEmpty, let zpool = context.commands.locate("zpool") else { return disks }
        let command = Command(zpool, ["list", "-Hp", "-o", "name,size,allocated,free"] + pools, timeout: .seconds(10))
        guard let result = try? context.commands.run(command), result.exitStatus == 0 else {
            context.logger.debug("zpool list failed; using dataset figures for ZFS pools", ["collector": collector])
            return disks
        }
        let figures = ZpoolList.parse(result.standardOutput)
        return disks.map { disk in
            guard disk.type == "zfs", let device = disk.device, let pool = figures[device] else { return disk }
            return ZpoolList.refine(disk, with: pool)
        }
    }
}
