/// `/proc/meminfo`, as the key → bytes table the kernel writes (`MemTotal:  3742148 kB`).
public struct MemInfo: Sendable, Equatable {
    /// Values in bytes (`kB` multiplied by 1024; unit-less counts such as `HugePages_Total` kept as is).
    public var values: [String: UInt64]

    public init(values: [String: UInt64]) { self.values = values }

    public subscript(key: String) -> UInt64? { values[key] }

    public static func parse(_ text: String) throws(ParseError) -> MemInfo {
        var values: [String: UInt64] = [:]
        for line in text.split(separator: "\n") where !line.allSatisfy({ $0 == " " }) {
            guard let colon = line.firstIndex(of: ":") else {
                throw ParseError("/proc/meminfo", "missing colon", line: line)
            }
            let key = String(line[..<colon])
            let parts = line[line.index(after: colon)...].split(separator: " ")
            guard let first = parts.first, let number = UInt64(first), parts.count <= 2 else {
                throw ParseError("/proc/meminfo", "invalid value", line: line)
            }
            if parts.count == 2 {
                guard parts[1] == "kB" else { throw ParseError("/proc/meminfo", "unknown unit", line: line) }
                let (bytes, overflow) = number.multipliedReportingOverflow(by: 1024)
                guard !overflow else { throw ParseError("/proc/meminfo", "value out of range", line: line) }
                values[key] = bytes
            } else {
                values[key] = number
            }
        }
        guard !values.isEmpty else { throw ParseError("/proc/meminfo", "empty") }
        return MemInfo(values: values)
    }

    /// Memory as the report carries it (agent-protocol 3.1):
    /// used = MemTotal − MemFree − Buffers − (Cached + SReclaimable), usage = used / total · 100,
    /// swap used = SwapTotal − SwapFree.
    ///
    /// `MemTotal` and `MemFree` are required. `Buffers`, `Cached` and `SReclaimable` count as 0 when the kernel
    /// does not report them (old kernels lack `SReclaimable`). If the subtraction goes negative, which happens
    /// under LXCFS-style emulated files, used falls back to total − free, as gopsutil does. Swap is omitted when
    /// the kernel reports no swap fields or no swap is configured.
    public func memory() throws(ParseError) -> Memory {
        guard let total = self["MemTotal"] else { throw ParseError("/proc/meminfo", "no MemTotal") }
        guard let free = self["MemFree"] else { throw ParseError("/proc/meminfo", "no MemFree") }
        guard total > 0 else { throw ParseError("/proc/meminfo", "MemTotal is 0") }
        let cache = Int128(self["Cached"] ?? 0) + Int128(self["SReclaimable"] ?? 0)
        var used = Int128(total) - Int128(free) - Int128(self["Buffers"] ?? 0) - cache
        if used < 0 { used = max(0, Int128(total) - Int128(free)) }
        var memory = Memory(totalBytes: total, usedBytes: UInt64(used), freeBytes: free,
                            usagePercent: Double(used) / Double(total) * 100)
        if let swapTotal = self["SwapTotal"], let swapFree = self["SwapFree"], swapTotal > 0 {
            memory.swapTotalBytes = swapTotal
            memory.swapUsedBytes = swapTotal > swapFree ? swapTotal - swapFree : 0
        }
        return memory
    }

    /// Derived memory figures, in bytes.
    public struct Memory: Sendable, Equatable {
        public var totalBytes: UInt64
        public var usedBytes: UInt64
        public var freeBytes: UInt64
        public var usagePercent: Double
        public var swapTotalBytes: UInt64?
        public var swapUsedBytes: UInt64?
    }
}
