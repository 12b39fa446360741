/// One line of `/proc/diskstats` (Documentation/admin-guide/iostats.rst), counters since boot.
public struct DiskStats: Sendable, Equatable {
    public var major: Int
    public var minor: Int
    public var device: String
    public var readsCompleted: UInt64
    public var sectorsRead: UInt64
    public var readTimeMs: UInt64
    public var writesCompleted: UInt64
    public var sectorsWritten: UInt64
    public var writeTimeMs: UInt64
    public var ioTimeMs: UInt64

    /// Bytes read; the kernel counts 512-byte sectors whatever the device's sector size.
    public var readBytes: UInt64 { sectorsRead &* 512 }
    /// Bytes written.
    public var writeBytes: UInt64 { sectorsWritten &* 512 }

    /// Parses every line. A line needs the 14 columns of kernels since 2.6.25 (later kernels append discard and
    /// flush columns, which are ignored); anything shorter or non-numeric is a parse error.
    public static func parse(_ text: String) throws(ParseError) -> [DiskStats] {
        var result: [DiskStats] = []
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: " ")
            if fields.isEmpty { continue }
            guard fields.count >= 14 else { throw ParseError("/proc/diskstats", "too few columns", line: line) }
            guard let major = Int(fields[0]), let minor = Int(fields[1]) else {
                throw ParseError("/proc/diskstats", "invalid device number", line: line)
            }
            var counters: [UInt64] = []
            for field in fields[3..<14] {
                guard let value = UInt64(field) else {
                    throw ParseError("/proc/diskstats", "non-numeric counter", line: line)
                }
                counters.append(value)
            }
            result.append(DiskStats(major: major, minor: minor, device: String(fields[2]),
                                    readsCompleted: counters[0], sectorsRead: counters[2], readTimeMs: counters[3],
                                    writesCompleted: counters[4], sectorsWritten: counters[6],
                                    writeTimeMs: counters[7], ioTimeMs: counters[9]))
        }
        return result
    }

    /// Whether the device is a whole disk worth reporting (agent-protocol 3.1).
    ///
    /// Skipped: partitions (`nvme0n1p1`, `mmcblk0p1`, `sda1`/`vda1`/`hda1`/`xvda1`, `zd0p1`), `loop*`, `ram*`,
    /// `zram*` and device-mapper `dm-*` (their I/O is already counted on the disks beneath). `md*` arrays are kept.
    /// `mmcblkNpM` and `zram*` are additions to the reference's list: both are partitions or memory, not disks.
    public static func isWholeDisk(_ name: String) -> Bool {
        if name.isEmpty { return false }
        for prefix in ["loop", "ram", "zram", "dm-"] where name.hasPrefix(prefix) { return false }
        if isNumberedPartition(name, disk: "nvme") || isNumberedPartition(name, disk: "mmcblk")
            || isNumberedPartition(name, disk: "zd") {
            return false
        }
        for prefix in ["sd", "vd", "hd", "xvd"] where name.hasPrefix(prefix) {
            if name.last?.isNumber == true { return false }
        }
        return true
    }

    /// `<disk>…p<digits>` where the part before `p` ends in a digit: `nvme0n1p2`, `mmcblk0p1`, `zd16p1`.
    private static func isNumberedPartition(_ name: String, disk: String) -> Bool {
        guard name.hasPrefix(disk), let p = name.lastIndex(of: "p"), p > name.startIndex else { return false }
        let partition = name[name.index(after: p)...]
        let before = name[name.index(before: p)]
        return !partition.isEmpty && partition.allSatisfy(\.isNumber) && before.isNumber
    }
}
