import PulseCommon

/// Turns the mount table into the report's `disks` (agent-protocol 3.1), given a way to `statvfs` a mountpoint.
public enum DiskUsage {
    /// The result of one pass, with the mounts that could not be measured (for a debug log line).
    public struct Outcome: Sendable, Equatable {
        public var disks: [HostReport.Disk]
        public var statFailures: [String]
        /// Mountpoints whose `statvfs` just timed out (`StatfsTimeout.isNew`): warn once about each.
        public var timedOut: [String] = []
        /// Mountpoints skipped because an earlier `statvfs` of theirs is still blocked.
        public var stillHung: [String] = []
    }

    /// Applies, in order: one entry per mountpoint (the last mount is the visible one), the user's exclusions,
    /// the type and mountpoint skip rules (before `statvfs`, so a hung network mount is never touched),
    /// `statvfs` (failures, `StatfsWatchdog` timeouts and empty filesystems dropped), ZFS pool aggregation, and
    /// deduplication by `device:totalBytes` keeping the shortest mountpoint (bind mounts). The result is sorted
    /// by mountpoint.
    public static func disks(mounts: [MountInfo], exclusions: ExclusionPatterns,
                             stat: (MountInfo) throws -> FilesystemStats) -> Outcome {
        var order: [String] = []
        var byMountpoint: [String: MountInfo] = [:]
        for mount in mounts where !mount.mountpoint.isEmpty {
            if byMountpoint.updateValue(mount, forKey: mount.mountpoint) == nil { order.append(mount.mountpoint) }
        }

        var disks: [HostReport.Disk] = []
        var zfsDatasets: [(mount: MountInfo, stats: FilesystemStats)] = []
        var failures: [String] = []
        var timedOut: [String] = []
        var stillHung: [String] = []
        for mountpoint in order {
            guard let mount = byMountpoint[mountpoint] else { continue }
            if exclusions.excludes(mount.mountpoint, mount.source) { continue }
            let zfs = FilesystemFilter.isZFS(mount.fsType)
            if !zfs && FilesystemFilter.shouldSkip(fsType: mount.fsType, mountpoint: mount.mountpoint) { continue }
            let stats: FilesystemStats
            do {
                stats = try stat(mount)
            } catch let timeout as StatfsTimeout {
                if timeout.isNew { timedOut.append(mount.mountpoint) } else { stillHung.append(mount.mountpoint) }
                continue
            } catch {
                failures.append("\(mount.mountpoint): \(error)")
                continue
            }
            guard stats.totalBytes > 0 else { continue }
            if zfs {
                zfsDatasets.append((mount, stats))
            } else {
                disks.append(disk(device: mount.source, mountpoint: mount.mountpoint, fsType: mount.fsType,
                                  stats: stats))
            }
        }
        disks += zfsPools(zfsDatasets)
        return Outcome(disks: deduplicated(disks).sorted { ($0.mountpoint ?? "") < ($1.mountpoint ?? "") },
                       statFailures: failures, timedOut: timedOut, stillHung: stillHung)
    }

    /// One disk entry, with usage computed as `df` does: used = total − free, usage = used / (used + available).
    static func disk(device: String, mountpoint: String, fsType: String, stats: FilesystemStats) -> HostReport.Disk {
        let used = stats.totalBytes >= stats.freeBytes ? stats.totalBytes - stats.freeBytes : 0
        let denominator = Double(used) + Double(stats.availableBytes)
        return HostReport.Disk(device: device, mountpoint: mountpoint, filesystem: fsType, type: fsType,
                               totalBytes: Int64(clamping: stats.totalBytes), usedBytes: Int64(clamping: used),
                               freeBytes: Int64(clamping: stats.availableBytes),
                               usage: denominator > 0 ? Double(used) / denominator * 100 : 0)
    }

    /// One entry per ZFS pool (pool = dataset name up to the first `/`), from the largest dataset's `statvfs`
    /// (the reference's fallback when `zpool` is unavailable; `FilesystemCollector` refines them with `zpool list`),
    /// at the shallowest dataset mountpoint.
    static func zfsPools(_ datasets: [(mount: MountInfo, stats: FilesystemStats)]) -> [HostReport.Disk] {
        var pools: [String: [(mount: MountInfo, stats: FilesystemStats)]] = [:]
        for dataset in datasets {
            let pool = String(dataset.mount.source.prefix(while: { $0 != "/" }))
            pools[pool.isEmpty ? dataset.mount.source : pool, default: []].append(dataset)
        }
        return pools.keys.sorted().compactMap { pool in
            guard let members = pools[pool],
                  let largest = members.max(by: { $0.stats.totalBytes < $1.stats.totalBytes }),
                  let shallowest = members.map(\.mount.mountpoint).min(by: isShallower) else { return nil }
            return disk(device: pool, mountpoint: shallowest, fsType: "zfs", stats: largest.stats)
        }
    }

    private static func isShallower(_ lhs: String, _ rhs: String) -> Bool {
        let lhsDepth = lhs.split(separator: "/").count
        let rhsDepth = rhs.split(separator: "/").count
        if lhsDepth != rhsDepth { return lhsDepth < rhsDepth }
        return lhs.count != rhs.count ? lhs.count < rhs.count : lhs < rhs
    }

    /// Drops bind mounts and shares of one filesystem: entries with the same `device:totalBytes` collapse into
    /// the one with the shortest mountpoint.
    static func deduplicated(_ disks: [HostReport.Disk]) -> [HostReport.Disk] {
        var kept: [String: HostReport.Disk] = [:]
        var order: [String] = []
        for disk in disks {
            let key = "\(disk.device ?? ""):\(disk.totalBytes ?? 0)"
            if let existing = kept[key] {
                if isShallowerMountpoint(disk.mountpoint ?? "", than: existing.mountpoint ?? "") { kept[key] = disk }
            } else {
                kept[key] = disk
                order.append(key)
            }
        }
        return order.compactMap { kept[$0] }
    }

    private static func isShallowerMountpoint(_ lhs: String, than rhs: String) -> Bool {
        lhs.count != rhs.count ? lhs.count < rhs.count : lhs < rhs
    }
}
