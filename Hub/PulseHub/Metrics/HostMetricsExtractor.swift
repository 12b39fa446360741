import Foundation
import PulseCommon
import Synchronization

/// Turns host reports into metric samples (resource type `host`): gauges as reported, and byte counters into
/// per-second rates against the host's previous report.
public final class HostMetricsExtractor: Sendable {
    struct Baseline {
        var timestamp: Double
        var counters: [String: UInt64]
    }

    private let baselines = Mutex([String: Baseline]())

    public init() {}

    /// The samples one applied report yields.
    public func samples(hostID: String, report: HostReport) -> [MetricSample] {
        guard let date = report.timestamp else { return [] }
        let timestamp = Int64(date.timeIntervalSince1970)
        var out: [MetricSample] = []
        func add(_ metric: String, _ value: Double?) {
            guard let value, value.isFinite else { return }
            out.append(MetricSample(series: SeriesKey("host", hostID, metric), timestamp: timestamp, value: value))
        }
        add("cpu", report.metrics?.cpuUsagePercent)
        if let memory = report.metrics?.memory {
            add("memory", memory.usage)
            if let total = memory.swapTotalBytes, total > 0 {
                add("swap", Double(memory.swapUsedBytes ?? 0) / Double(total) * 100)
            }
        }
        if let load = report.host?.loadAverage, let first = load.first { add("load1", first) }
        let disks = (report.disks ?? []).filter { $0.mountpoint?.isEmpty == false }
        for disk in disks { add("disk:" + disk.mountpoint!, disk.usage) }
        add("disk", (disks.first { $0.mountpoint == "/" } ?? disks.max { ($0.usage ?? 0) < ($1.usage ?? 0) })?.usage)
        for (key, value) in report.sensors?.temperatureCelsius ?? [:] { add("temp:" + key, value) }

        var counters: [String: UInt64] = [:]
        for device in report.diskIO ?? [] {
            guard let name = device.device, !name.isEmpty else { continue }
            if let read = device.readBytes { counters["diskread:" + name] = read }
            if let write = device.writeBytes { counters["diskwrite:" + name] = write }
        }
        for interface in report.network ?? [] {
            guard let name = interface.name, !name.isEmpty else { continue }
            if let received = interface.rxBytes { counters["netin:" + name] = received }
            if let sent = interface.txBytes { counters["netout:" + name] = sent }
        }
        let now = date.timeIntervalSince1970
        let previous = baselines.withLock { baselines -> Baseline? in
            defer { baselines[hostID] = Baseline(timestamp: now, counters: counters) }
            return baselines[hostID]
        }
        guard let previous, now > previous.timestamp else { return out }
        let elapsed = now - previous.timestamp
        var totals: [String: Double] = [:]
        for (key, value) in counters.sorted(by: { $0.key < $1.key }) {
            guard let before = previous.counters[key], let delta = Self.counterDelta(from: before, to: value) else { continue }
            let rate = Double(delta) / elapsed
            add(key, rate)
            let family = String(key.prefix(while: { $0 != ":" }))
            totals[family, default: 0] += rate
        }
        for (family, total) in totals.sorted(by: { $0.key < $1.key }) { add(family, total) }
        return out
    }

    /// Forgets a removed host.
    public func forget(hostID: String) {
        _ = baselines.withLock { $0.removeValue(forKey: hostID) }
    }

    /// The increase of a counter, or nil when it went backwards (a reset: the next report starts over).
    /// A 32-bit counter that wrapped is recognised and counted through the wrap.
    static func counterDelta(from before: UInt64, to after: UInt64) -> UInt64? {
        if after >= before { return after - before }
        let wrap32: UInt64 = 1 << 32
        if before < wrap32, before > wrap32 / 4 * 3, after < wrap32 / 4 {
            return wrap32 - before + after
        }
        return nil
    }
}
