#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import PulseCommon

/// The figures one stats document yields, before CPU is compared with the previous sample.
struct ContainerStats: Sendable, Equatable {
    /// Container CPU time, nanoseconds.
    var cpuTotal: UInt64?
    /// Host CPU time, nanoseconds (all CPUs).
    var systemTotal: UInt64?
    var onlineCPUs: Int?
    /// When the engine read the stats.
    var readAt: Date?
    var memoryUsage: Int64
    var memoryLimit: Int64
    var blockRead: UInt64
    var blockWrite: UInt64
    var networkRx: UInt64?
    var networkTx: UInt64?

    var memoryPercent: Double {
        memoryLimit > 0 ? Double(memoryUsage) / Double(memoryLimit) * 100 : 0
    }

    /// Pure reading of a stats document (agent-protocol 3.6). Memory is usage minus the page cache (`cache` on
    /// cgroup v1, else `inactive_file`), subtracted only when smaller than usage; block I/O sums the `read` and
    /// `write` entries; network sums every interface.
    init(_ stats: EngineStats) {
        cpuTotal = stats.cpu_stats?.cpu_usage?.total_usage
        systemTotal = stats.cpu_stats?.system_cpu_usage
        let online = stats.cpu_stats?.online_cpus ?? 0
        let perCPU = stats.cpu_stats?.cpu_usage?.percpu_usage?.count ?? 0
        onlineCPUs = online > 0 ? online : (perCPU > 0 ? perCPU : nil)
        readAt = stats.read.flatMap(DockerTime.parse)
        let usage = stats.memory_stats?.usage ?? 0
        let detail = stats.memory_stats?.stats ?? [:]
        let cache = detail["cache"] ?? detail["inactive_file"] ?? 0
        let used = cache < usage ? usage - cache : usage
        memoryUsage = Int64(clamping: used)
        memoryLimit = Int64(clamping: stats.memory_stats?.limit ?? 0)
        var read: UInt64 = 0
        var write: UInt64 = 0
        for entry in stats.blkio_stats?.io_service_bytes_recursive ?? [] {
            switch entry.op?.lowercased() {
            case "read": read &+= entry.value ?? 0
            case "write": write &+= entry.value ?? 0
            default: break
            }
        }
        blockRead = read
        blockWrite = write
        if let networks = stats.networks, !networks.isEmpty {
            networkRx = networks.values.reduce(0) { $0 &+ ($1.rx_bytes ?? 0) }
            networkTx = networks.values.reduce(0) { $0 &+ ($1.tx_bytes ?? 0) }
        }
    }

    init(cpuTotal: UInt64?, systemTotal: UInt64?, onlineCPUs: Int?, readAt: Date?, memoryUsage: Int64 = 0,
         memoryLimit: Int64 = 0, blockRead: UInt64 = 0, blockWrite: UInt64 = 0, networkRx: UInt64? = nil,
         networkTx: UInt64? = nil) {
        self.cpuTotal = cpuTotal
        self.systemTotal = systemTotal
        self.onlineCPUs = onlineCPUs
        self.readAt = readAt
        self.memoryUsage = memoryUsage
        self.memoryLimit = memoryLimit
        self.blockRead = blockRead
        self.blockWrite = blockWrite
        self.networkRx = networkRx
        self.networkTx = networkTx
    }
}

/// CPU % from the agent's own consecutive samples of each container (the reference uses the one-shot document's
/// empty `precpu_stats`, which yields a lifetime average: agent-protocol 9.2).
///
/// `Δcontainer / Δhost × CPUs × 100` (100 % is one busy core); when the engine gives no host CPU time, the
/// container's CPU time over the wall time between the engine's reads. The first sample of a container, a counter
/// that went backwards (a restart) or no elapsed time gives 0. Samples of vanished containers are dropped.
struct CPUTracker: Sendable {
    struct Sample: Sendable, Equatable {
        var cpuTotal: UInt64
        var systemTotal: UInt64?
        var readAt: Date
    }

    private(set) var samples: [String: Sample] = [:]

    init() {}

    /// Records `stats` for container `id` (read at `now` when the engine gave no time) and returns its CPU %.
    mutating func percent(id: String, stats: ContainerStats, now: Date, hostCPUs: Int?) -> Double {
        guard let total = stats.cpuTotal else { return 0 }
        let current = Sample(cpuTotal: total, systemTotal: stats.systemTotal, readAt: stats.readAt ?? now)
        defer { samples[id] = current }
        guard let previous = samples[id], total >= previous.cpuTotal else { return 0 }
        let cpus = Double(stats.onlineCPUs ?? hostCPUs ?? 1)
        let containerDelta = Double(total - previous.cpuTotal)
        if let system = current.systemTotal, let before = previous.systemTotal, system > before {
            return max(0, containerDelta / Double(system - before) * cpus * 100)
        }
        let wall = current.readAt.timeIntervalSince(previous.readAt)
        guard wall > 0 else { return 0 }
        return max(0, containerDelta / (wall * 1e9) * 100)
    }

    /// Forgets containers not in `ids`.
    mutating func prune(keeping ids: Set<String>) {
        samples = samples.filter { ids.contains($0.key) }
    }
}

/// Engine timestamps: RFC 3339; Go's zero time (`0001-01-01T00:00:00Z`) means "never".
enum DockerTime {
    static func parse(_ text: String) -> Date? {
        guard !text.isEmpty, !text.hasPrefix("0001-"), let date = RFC3339.parse(text) else { return nil }
        return date
    }
}
