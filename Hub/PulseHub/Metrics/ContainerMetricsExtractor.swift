import Foundation
import PulseCommon
import Synchronization

/// Turns docker reports into `dockerHost` and `dockerContainer` samples, and Kubernetes reports into
/// `kubernetesCluster` counts. Container byte counters become per-second rates against the previous report.
public final class ContainerMetricsExtractor: Sendable {
    private let baselines = Mutex([String: (timestamp: Double, counters: [String: UInt64])]())

    public init() {}

    /// `dockerHost` cpu, memory, disk (the first filesystem's usage); per container `dockerContainer` cpu, memory,
    /// disk (writable layer as a percentage of the root filesystem, at most 100), and the rates `netin`, `netout`,
    /// `diskread`, `diskwrite` (bytes/s).
    public func dockerSamples(hostID: String, report: DockerReport) -> [MetricSample] {
        guard let date = report.timestamp else { return [] }
        let timestamp = Int64(date.timeIntervalSince1970)
        var out: [MetricSample] = []
        func add(_ type: String, _ id: String, _ metric: String, _ value: Double?) {
            guard let value, value.isFinite else { return }
            out.append(MetricSample(series: SeriesKey(type, id, metric), timestamp: timestamp, value: value))
        }
        add("dockerHost", hostID, "cpu", report.host?.cpuUsagePercent)
        let memory = report.host?.memory
        add("dockerHost", hostID, "memory", memory?.usage ?? memory.flatMap { memory in
            guard let total = memory.totalBytes, total > 0, let used = memory.usedBytes else { return nil }
            return Double(used) / Double(total) * 100
        })
        add("dockerHost", hostID, "disk", report.host?.disks?.first?.usage)
        add("dockerHost", hostID, "containers", Double(report.containers?.count ?? 0))
        add("dockerHost", hostID, "containersRunning", Double((report.containers ?? []).filter { $0.state == "running" }.count))

        var counters: [String: UInt64] = [:]
        for container in report.containers ?? [] {
            guard let id = container.id, !id.isEmpty else { continue }
            add("dockerContainer", id, "cpu", container.cpuPercent)
            add("dockerContainer", id, "memory", container.memoryPercent)
            if let writable = container.writableLayerBytes, let root = container.rootFilesystemBytes, root > 0 {
                add("dockerContainer", id, "disk", min(100, Double(writable) / Double(root) * 100))
            }
            if let network = container.networkIo {
                counters[id + "\u{1F}netin"] = network.rxBytes
                counters[id + "\u{1F}netout"] = network.txBytes
            }
            if let block = container.blockIo {
                counters[id + "\u{1F}diskread"] = block.readBytes
                counters[id + "\u{1F}diskwrite"] = block.writeBytes
            }
        }
        let now = date.timeIntervalSince1970
        let counted = counters.compactMapValues { $0 }
        let previous = baselines.withLock { baselines in
            defer { baselines[hostID] = (now, counted) }
            return baselines[hostID]
        }
        if let previous, now > previous.timestamp {
            for (key, value) in counted.sorted(by: { $0.key < $1.key }) {
                guard let before = previous.counters[key], value >= before else { continue }
                let parts = key.split(separator: "\u{1F}")
                add("dockerContainer", String(parts[0]), String(parts[1]), Double(value - before) / (now - previous.timestamp))
            }
        }
        return out
    }

    /// `kubernetesCluster` `nodes`, `nodesReady`, `pods` (reported problem or all pods), `deployments`.
    public func clusterSamples(clusterID: String, report: KubernetesReport) -> [MetricSample] {
        guard let date = report.timestamp else { return [] }
        let timestamp = Int64(date.timeIntervalSince1970)
        let values: [(String, Int)] = [
            ("nodes", report.nodes?.count ?? 0), ("nodesReady", (report.nodes ?? []).filter { $0.ready == true }.count),
            ("pods", report.pods?.count ?? 0), ("deployments", report.deployments?.count ?? 0),
        ]
        return values.map { MetricSample(series: SeriesKey("kubernetesCluster", clusterID, $0.0), timestamp: timestamp,
                                         value: Double($0.1)) }
    }

    public func forget(hostID: String) {
        _ = baselines.withLock { $0.removeValue(forKey: hostID) }
    }
}
