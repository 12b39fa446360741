import Foundation
import PulseCommon
import PulseHub
import Synchronization

/// `pulse-store-bench`: measures the metrics store on its own (no HTTP): ingest rate, bytes per stored sample
/// against the reference's one-row-per-sample schema fed the same samples, and history query latency for one
/// series over 24 h and 7 d. Simulated time: days of data in a minute.
@main
struct Entry {
    static let usage = """
    Usage: pulse-store-bench [--hosts N] [--days D] [--interval SECONDS] [--queries Q] [--dir DIR] [--keep]

      --hosts N        simulated hosts, 38 series each like a real host report (default 20)
      --days D         simulated history, at least 2 (default 7)
      --interval S     seconds between a host's reports (default 30)
      --queries Q      history queries per range (default 200)
      --dir DIR        where to put the databases (default: a new temporary directory, deleted afterwards)
      --keep           keep the databases
    """

    static func main() {
        var hosts = 20, days = 7, interval: Int64 = 30, queries = 200
        var directory: String?
        var keep = false
        var arguments = Array(CommandLine.arguments.dropFirst())
        func value(_ flag: String) -> String {
            guard !arguments.isEmpty else { fail("\(flag) needs a value") }
            return arguments.removeFirst()
        }
        func number(_ flag: String, atLeast minimum: Int) -> Int {
            guard let parsed = Int(value(flag)), parsed >= minimum else { fail("\(flag) must be a whole number ≥ \(minimum)") }
            return parsed
        }
        while !arguments.isEmpty {
            let flag = arguments.removeFirst()
            switch flag {
            case "--hosts": hosts = number(flag, atLeast: 1)
            case "--days": days = number(flag, atLeast: 2)
            case "--interval": interval = Int64(number(flag, atLeast: 1))
            case "--queries": queries = number(flag, atLeast: 1)
            case "--dir": directory = value(flag)
            case "--keep": keep = true
            case "-h", "--help":
                print(usage)
                return
            default: fail("unknown option \(flag); see --help")
            }
        }
        let root = directory ?? (NSTemporaryDirectory() + "pulse-store-bench-" + UUID().uuidString)
        do {
            try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
            defer { if !keep && directory == nil { try? FileManager.default.removeItem(atPath: root) } }
            try run(root: root, hosts: hosts, days: days, interval: interval, queries: queries)
            if keep { print("databases kept in \(root)") }
        } catch {
            fail("\(error)")
        }
    }

    static func fail(_ message: String) -> Never {
        FileHandle.standardError.write(Data("pulse-store-bench: \(message)\n".utf8))
        exit(2)
    }

    /// The 38 series of a realistic host: gauges, 8 mounts, 4 disks and 4 NICs as rates, totals, 10 temperatures.
    static func metricNames() -> [String] {
        var names = ["cpu", "memory", "swap", "load1", "disk"]
        names += ["/", "/boot", "/home", "/var", "/srv", "/data", "/opt", "/tmp"].map { "disk:" + $0 }
        for device in ["sda", "sdb", "nvme0n1", "nvme1n1"] { names += ["diskread:" + device, "diskwrite:" + device] }
        for interface in ["eth0", "eth1", "bond0", "br0"] { names += ["netin:" + interface, "netout:" + interface] }
        names += ["diskread", "diskwrite", "netin", "netout"]
        names += ["cpu_package", "cpu_core_0", "cpu_core_1", "cpu_core_2", "cpu_core_3", "nvme0", "nvme1",
                  "acpitz", "gpu_edge", "dram"].map { "temp:" + $0 }
        return Array(names.prefix(38))
    }

    /// A plausible value: slow waves plus noise, so compression is not flattered by constants.
    static func value(host: Int, metric: Int, time: Int64) -> Double {
        let phase = Double(time) / 3600.0 + Double(host * 7 + metric)
        let wave = sin(phase) * 20.0
        let noise = Double((time &* 2_654_435_761 &+ Int64(host * 31 + metric)) % 1000) / 100.0
        if metric >= 14 && metric <= 33 { return max(0, 1_000_000 + wave * 50_000 + noise * 10_000) }  // byte rates
        return max(0, 40 + wave + noise)
    }

    static func run(root: String, hosts: Int, days: Int, interval: Int64, queries: Int) throws {
        let names = metricNames()
        let seriesCount = hosts * names.count
        let start: Int64 = 1_796_342_400  // 2026-12-04T00:00:00Z, day-aligned
        let clock = Mutex(Date(timeIntervalSince1970: Double(start)))
        var configuration = SQLiteMetricsStore.Configuration(path: root + "/metrics.db")
        configuration.queueLimit = max(1_000_000, seriesCount * 4)
        let store = try SQLiteMetricsStore(configuration: configuration, logger: Logger(level: .warn, format: .text),
                                           startWriter: false, clock: { clock.withLock { $0 } })
        let naive = try NaiveStore(path: root + "/naive.db")
        print("pulse-store-bench: \(hosts) hosts × \(names.count) series = \(seriesCount) series, one sample per \(interval) s, \(days) days simulated")

        // Phase 1: the first 24 h into both stores; sizes compared at the end of the day.
        var written = 0
        var storeSeconds = 0.0, naiveSeconds = 0.0
        var time = start
        func step(naiveToo: Bool) throws {
            var batch: [MetricSample] = []
            batch.reserveCapacity(seriesCount)
            for host in 0..<hosts {
                for (index, name) in names.enumerated() {
                    batch.append(MetricSample(series: SeriesKey("host", "host-\(host)", name), timestamp: time,
                                              value: value(host: host, metric: index, time: time)))
                }
            }
            let began = ContinuousClock.now
            try store.write(batch)
            try store.flush()
            if time % 60 == 0 { try store.maintain() }
            storeSeconds += seconds(since: began)
            if naiveToo {
                let naiveBegan = ContinuousClock.now
                try naive.insert(batch)
                naiveSeconds += seconds(since: naiveBegan)
            }
            written += batch.count
            time += interval
            clock.withLock { $0 = Date(timeIntervalSince1970: Double(time)) }
        }
        while time < start + 86_400 { try step(naiveToo: true) }
        // Let the last block seal, as it would a few minutes later.
        clock.withLock { $0 = Date(timeIntervalSince1970: Double(time + 700)) }
        try store.maintain()
        let dayStats = store.stats()
        let naiveBytes = try naive.sizeInBytes()
        let samplesDay = written
        print(String(format: "  24 h: %d samples; store ingest %.0f samples/s (flush + seal + rollups), naive %.0f samples/s",
                     samplesDay, Double(samplesDay) / storeSeconds, Double(samplesDay) / naiveSeconds))
        print(String(format: "  bytes per stored sample after rollups: %.1f (store, %d bytes for %d raw samples + %d minute + %d hourly)",
                     dayStats.bytesPerSample, dayStats.databaseBytes, dayStats.rawCount, dayStats.minuteCount,
                     dayStats.hourlyCount))
        print(String(format: "  bytes per stored sample, reference schema (text keys, two indexes): %.1f (%d bytes)",
                     Double(naiveBytes) / Double(samplesDay), naiveBytes))
        clock.withLock { $0 = Date(timeIntervalSince1970: Double(time)) }

        // Phase 2: the rest of the week (store only; retention drops raw past 24 h).
        while time < start + Int64(days) * 86_400 { try step(naiveToo: false) }
        clock.withLock { $0 = Date(timeIntervalSince1970: Double(time + 700)) }
        try store.maintain()
        let weekStats = store.stats()
        print(String(format: "  after %d days: %.1f MB, %d raw, %d minute, %d hourly, %d daily values",
                     days, Double(weekStats.databaseBytes) / 1_048_576, weekStats.rawCount, weekStats.minuteCount,
                     weekStats.hourlyCount, weekStats.dailyCount))

        // Phase 3: history queries for random series.
        var generator = SystemRandomNumberGenerator()
        for (label, span) in [("24 h", Int64(86_400)), ("7 d", Int64(7 * 86_400))] {
            var latencies: [Double] = []
            var points = 0
            for _ in 0..<queries {
                let host = Int.random(in: 0..<hosts, using: &generator)
                let metric = names[Int.random(in: 0..<names.count, using: &generator)]
                let began = ContinuousClock.now
                let result = try store.history(resourceType: "host", resourceID: "host-\(host)", metric: metric,
                                               start: time - span, end: time, maxPoints: 500)
                latencies.append(seconds(since: began) * 1000)
                points += result[metric]?.count ?? 0
            }
            latencies.sort()
            print(String(format: "  history %@ for one series: median %.2f ms, p90 %.2f ms, max %.2f ms (%d points on average)",
                         label, latencies[latencies.count / 2], latencies[latencies.count * 9 / 10], latencies.last!,
                         points / queries))
        }
        store.close()
    }

    static func seconds(since instant: ContinuousClock.Instant) -> Double {
        let elapsed = ContinuousClock.now - instant
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    }
}
