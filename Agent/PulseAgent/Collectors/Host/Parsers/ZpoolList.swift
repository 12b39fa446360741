import PulseCommon

/// `zpool list -Hp -o name,size,allocated,free` output (tab-separated, exact bytes).
public struct ZpoolList: Equatable, Sendable {
    public struct Pool: Equatable, Sendable {
        public var size: Int64
        public var allocated: Int64
        public var free: Int64
    }

    /// Pools by name; malformed lines are skipped.
    public static func parse(_ text: String) -> [String: Pool] {
        var pools: [String: Pool] = [:]
        for line in text.split(whereSeparator: { $0 == "\n" }) {
            let fields = line.split(whereSeparator: { $0 == "\t" || $0 == " " })
            guard fields.count == 4, let size = Int64(fields[1]), let allocated = Int64(fields[2]),
                  let free = Int64(fields[3]), size > 0, allocated >= 0, free >= 0 else { continue }
            pools[String(fields[0])] = Pool(size: size, allocated: allocated, free: free)
        }
        return pools
    }

    /// A pool entry refined with `zpool` figures. When the largest dataset sees less space than the pool's raw
    /// size (RAIDZ or mirror overhead), its usable figures are kept, all of them, so used and total never mix
    /// raw and usable bytes (the reference does, and overstates usage on RAIDZ); otherwise the pool's own size,
    /// allocation and free space are used.
    public static func refine(_ disk: HostReport.Disk, with pool: Pool) -> HostReport.Disk {
        guard let datasetTotal = disk.totalBytes, datasetTotal >= pool.size else {
            return disk
        }
        var refined = disk
        refined.totalBytes = pool.size
        refined.usedBytes = pool.allocated
        refined.freeBytes = pool.free
        let denominator = Double(pool.allocated) + Double(pool.free)
        refined.usage = denominator > 0 ? Double(pool.allocated) / denominator * 100 : 0
        return refined
    }
}
