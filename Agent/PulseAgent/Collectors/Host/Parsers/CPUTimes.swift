/// The aggregate `cpu` line of `/proc/stat`, in clock ticks since boot.
public struct CPUTimes: Sendable, Equatable {
    public var user: UInt64
    public var nice: UInt64
    public var system: UInt64
    public var idle: UInt64
    public var iowait: UInt64
    public var irq: UInt64
    public var softirq: UInt64
    public var steal: UInt64

    public init(user: UInt64, nice: UInt64, system: UInt64, idle: UInt64, iowait: UInt64 = 0, irq: UInt64 = 0,
                softirq: UInt64 = 0, steal: UInt64 = 0) {
        self.user = user
        self.nice = nice
        self.system = system
        self.idle = idle
        self.iowait = iowait
        self.irq = irq
        self.softirq = softirq
        self.steal = steal
    }

    /// All ticks. `guest` and `guest_nice` are already counted in `user` and `nice` by the kernel, so they are
    /// left out, as gopsutil does on Linux.
    public var total: UInt64 { user &+ nice &+ system &+ idle &+ iowait &+ irq &+ softirq &+ steal }
    /// Ticks spent neither idle nor waiting for I/O.
    public var busy: UInt64 { total &- idle &- iowait }

    /// Parses the aggregate `cpu ` line of `/proc/stat`. Kernels before 2.6.11 write fewer columns; at least
    /// user, nice, system and idle are required.
    public static func parse(_ text: String) throws(ParseError) -> CPUTimes {
        guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix("cpu ") }) else {
            throw ParseError("/proc/stat", "no aggregate cpu line")
        }
        let fields = line.split(separator: " ").dropFirst()
        var values: [UInt64] = []
        for field in fields.prefix(8) {
            guard let value = UInt64(field) else { throw ParseError("/proc/stat", "non-numeric cpu field", line: line) }
            values.append(value)
        }
        guard values.count >= 4 else { throw ParseError("/proc/stat", "too few cpu fields", line: line) }
        func at(_ index: Int) -> UInt64 { index < values.count ? values[index] : 0 }
        return CPUTimes(user: at(0), nice: at(1), system: at(2), idle: at(3), iowait: at(4), irq: at(5),
                        softirq: at(6), steal: at(7))
    }

    /// Counts the per-CPU `cpuN` lines of `/proc/stat` (online CPUs).
    public static func countCPUs(_ text: String) -> Int {
        text.split(separator: "\n").count { line in
            line.hasPrefix("cpu") && line.dropFirst(3).first.map { $0.isNumber } == true
        }
    }

    /// Whole-host busy percentage between two samples, clamped to 0–100; `nil` when no time passed or the
    /// counters went backwards (a reset: the caller re-baselines).
    public static func usagePercent(from old: CPUTimes, to new: CPUTimes) -> Double? {
        guard new.total > old.total, new.busy >= old.busy, new.idle >= old.idle else { return nil }
        let totalDelta = Double(new.total - old.total)
        let busyDelta = Double(new.busy - old.busy)
        return min(100, max(0, busyDelta / totalDelta * 100))
    }
}
