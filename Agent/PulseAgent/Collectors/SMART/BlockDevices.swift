/// Which block devices are worth asking `smartctl` about, from `<sysfs>/block`.
///
/// `<sysfs>/block` lists whole devices only (partitions live inside them). Left out: virtual and stacked devices
/// (`loop`, `ram`, `zram`, `dm-`, `md`, `nbd`, `rbd`, `drbd`, `zd`), optical and floppy drives (`sr`, `fd`),
/// paravirtual disks that have no SMART (`vd`, `xvd`), eMMC boot and RPMB areas, and devices of size 0 (an
/// empty card reader, an unattached `nbd`).
enum BlockDevices {
    static let skippedPrefixes = ["loop", "ram", "zram", "dm-", "md", "nbd", "rbd", "drbd", "zd", "sr", "fd", "vd",
                                  "xvd"]

    /// Whether a `<sysfs>/block` entry name is a physical disk smartctl can query.
    static func isSMARTCandidate(_ name: String) -> Bool {
        guard !name.isEmpty, !name.contains("/") else { return false }
        if skippedPrefixes.contains(where: name.hasPrefix) { return false }
        if name.hasPrefix("mmcblk") && (name.contains("boot") || name.hasSuffix("rpmb")) { return false }
        return DiskStats.isWholeDisk(name)
    }

    /// Candidate disks in natural order, or `nil` when `<sysfs>/block` cannot be listed.
    static func read(_ fs: HostFS, exclusions: ExclusionPatterns) -> [String]? {
        guard let entries = try? fs.list(fs.sysPath("block")) else { return nil }
        return entries.filter { name in
            guard isSMARTCandidate(name), !exclusions.excludes(name, "/dev/" + name) else { return false }
            if let size = try? fs.readValue(fs.sysPath("block", name, "size")), let sectors = UInt64(size) {
                return sectors > 0
            }
            return true
        }.sorted(by: NaturalOrder.less)
    }
}
