import Foundation
import PulseCommon

/// Prometheus text exposition (format 0.0.4) of the fleet and of the hub itself.
public struct PrometheusExposition: Sendable {
    let registry: HostRegistry
    let store: any MetricsStore
    let http: HTTPMetrics

    public static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    /// The whole page.
    public func render(now: Date = Date()) -> String {
        var page = PrometheusText()
        renderHub(&page)
        renderHosts(&page, now: now)
        return page.text
    }

    private func renderHub(_ page: inout PrometheusText) {
        page.header("pulse_hub_info", "Build information of this hub.", type: "gauge")
        page.sample("pulse_hub_info", ["version": PulseVersion.current], 1)

        let stats = store.stats()
        page.header("pulse_metrics_store_queue_samples", "Samples waiting for the metrics writer.", type: "gauge")
        page.sample("pulse_metrics_store_queue_samples", [:], Double(stats.bufferSize))
        page.header("pulse_metrics_store_writes_total", "Samples accepted by the metrics store.", type: "counter")
        page.sample("pulse_metrics_store_writes_total", [:], Double(stats.totalWrites))
        page.header("pulse_metrics_store_rejected_total", "Samples refused because the write queue was full.", type: "counter")
        page.sample("pulse_metrics_store_rejected_total", [:], Double(stats.rejectedBusy))
        page.header("pulse_metrics_store_expired_total", "Samples dropped as older than raw retention.", type: "counter")
        page.sample("pulse_metrics_store_expired_total", [:], Double(stats.droppedExpired))
        page.header("pulse_metrics_store_values", "Values stored per tier.", type: "gauge")
        for (tier, count) in [("raw", stats.rawCount), ("minute", stats.minuteCount), ("hourly", stats.hourlyCount),
                              ("daily", stats.dailyCount)] {
            page.sample("pulse_metrics_store_values", ["tier": tier], Double(count))
        }
        page.header("pulse_metrics_store_series", "Distinct series in the metrics store.", type: "gauge")
        page.sample("pulse_metrics_store_series", [:], Double(stats.seriesCount))
        page.header("pulse_metrics_store_database_bytes", "Size of the metrics database.", type: "gauge")
        page.sample("pulse_metrics_store_database_bytes", [:], Double(stats.databaseBytes))

        let requests = http.snapshot()
        page.header("pulse_http_requests_total", "HTTP requests answered, by route, method and status.", type: "counter")
        for (key, series) in requests {
            page.sample("pulse_http_requests_total", ["route": key.route, "method": key.method, "code": String(key.code)],
                        Double(series.count))
        }
        page.header("pulse_http_request_duration_seconds", "Time to answer HTTP requests, by route.", type: "histogram")
        var merged: [String: (count: UInt64, sum: Double, buckets: [UInt64])] = [:]
        for (key, series) in requests {
            let name = key.route + "\u{1F}" + key.method
            var entry = merged[name] ?? (0, 0, [UInt64](repeating: 0, count: HTTPMetrics.bounds.count))
            entry.count += series.count
            entry.sum += series.sum
            for index in entry.buckets.indices { entry.buckets[index] += series.buckets[index] }
            merged[name] = entry
        }
        for name in merged.keys.sorted() {
            let entry = merged[name]!
            let parts = name.split(separator: "\u{1F}", maxSplits: 1).map(String.init)
            let labels = ["route": parts[0], "method": parts.count > 1 ? parts[1] : ""]
            for (index, bound) in HTTPMetrics.bounds.enumerated() {
                page.sample("pulse_http_request_duration_seconds_bucket", labels.merging(["le": PrometheusText.format(bound)]) { a, _ in a },
                            Double(entry.buckets[index]))
            }
            page.sample("pulse_http_request_duration_seconds_bucket", labels.merging(["le": "+Inf"]) { a, _ in a }, Double(entry.count))
            page.sample("pulse_http_request_duration_seconds_sum", labels, entry.sum)
            page.sample("pulse_http_request_duration_seconds_count", labels, Double(entry.count))
        }
    }

    private func renderHosts(_ page: inout PrometheusText, now: Date) {
        let hosts = registry.all()
        page.header("pulse_hosts", "Host agents known to the hub, by status.", type: "gauge")
        let online = hosts.filter { $0.status(now: now) == "online" }.count
        page.sample("pulse_hosts", ["status": "online"], Double(online))
        page.sample("pulse_hosts", ["status": "offline"], Double(hosts.count - online))

        typealias Row = (labels: [String: String], value: Double)
        var families: [(name: String, type: String, help: String, rows: [Row])] = [
            ("pulse_host_up", "gauge", "1 while the host reports within its offline window.", []),
            ("pulse_host_last_seen_timestamp_seconds", "gauge", "Time of the host's last applied report.", []),
            ("pulse_host_cpu_usage_percent", "gauge", "Whole-host CPU usage.", []),
            ("pulse_host_load1", "gauge", "One-minute load average.", []),
            ("pulse_host_memory_total_bytes", "gauge", "Physical memory.", []),
            ("pulse_host_memory_used_bytes", "gauge", "Memory in use.", []),
            ("pulse_host_memory_usage_percent", "gauge", "Memory in use, percent.", []),
            ("pulse_host_swap_total_bytes", "gauge", "Swap space.", []),
            ("pulse_host_swap_used_bytes", "gauge", "Swap in use.", []),
            ("pulse_host_filesystem_size_bytes", "gauge", "Filesystem size.", []),
            ("pulse_host_filesystem_used_bytes", "gauge", "Filesystem space in use.", []),
            ("pulse_host_filesystem_usage_percent", "gauge", "Filesystem space in use, percent.", []),
            ("pulse_host_disk_read_bytes_total", "counter", "Bytes read from a block device since boot.", []),
            ("pulse_host_disk_written_bytes_total", "counter", "Bytes written to a block device since boot.", []),
            ("pulse_host_network_receive_bytes_total", "counter", "Bytes received on an interface since boot.", []),
            ("pulse_host_network_transmit_bytes_total", "counter", "Bytes sent on an interface since boot.", []),
            ("pulse_host_temperature_celsius", "gauge", "Temperature sensor reading.", []),
        ]
        func add(_ index: Int, _ labels: [String: String], _ value: Double?) {
            if let value, value.isFinite { families[index].rows.append((labels, value)) }
        }
        for host in hosts {
            let base = ["host_id": host.id, "hostname": host.hostname]
            let report = host.report
            add(0, base, host.status(now: now) == "online" ? 1 : 0)
            add(1, base, host.lastSeen.timeIntervalSince1970)
            add(2, base, report.metrics?.cpuUsagePercent)
            add(3, base, report.host?.loadAverage?.first)
            let memory = report.metrics?.memory
            add(4, base, memory?.totalBytes.map(Double.init))
            add(5, base, memory?.usedBytes.map(Double.init))
            add(6, base, memory?.usage)
            add(7, base, memory?.swapTotalBytes.map(Double.init))
            add(8, base, memory?.swapUsedBytes.map(Double.init))
            for disk in report.disks ?? [] {
                guard let mountpoint = disk.mountpoint else { continue }
                let labels = base.merging(["mountpoint": mountpoint, "fstype": disk.type ?? ""]) { a, _ in a }
                add(9, labels, disk.totalBytes.map(Double.init))
                add(10, labels, disk.usedBytes.map(Double.init))
                add(11, labels, disk.usage)
            }
            for device in report.diskIO ?? [] {
                guard let name = device.device else { continue }
                let labels = base.merging(["device": name]) { a, _ in a }
                add(12, labels, device.readBytes.map(Double.init))
                add(13, labels, device.writeBytes.map(Double.init))
            }
            for interface in report.network ?? [] {
                guard let name = interface.name else { continue }
                let labels = base.merging(["interface": name]) { a, _ in a }
                add(14, labels, interface.rxBytes.map(Double.init))
                add(15, labels, interface.txBytes.map(Double.init))
            }
            for (sensor, value) in (report.sensors?.temperatureCelsius ?? [:]).sorted(by: { $0.key < $1.key }) {
                add(16, base.merging(["sensor": sensor]) { a, _ in a }, value)
            }
        }
        for family in families {
            page.header(family.name, family.help, type: family.type)
            for row in family.rows { page.sample(family.name, row.labels, row.value) }
        }
    }
}

/// The unauthenticated metrics listener (`PULSE_METRICS_ADDR`): `GET /metrics` only.
public struct MetricsEndpointResponder: HTTPResponder {
    let exposition: PrometheusExposition

    public func bodyLimit(method: String, path: String) -> Int { 0 }

    public func respond(to request: HTTPRequest) -> HTTPResponse {
        guard request.path == "/metrics" else { return HTTPResponse(status: 404, body: Array("not found\n".utf8)) }
        guard request.method == "GET" || request.method == "HEAD" else {
            return HTTPResponse(status: 405, headers: [("Allow", "GET, HEAD")], body: Array("method not allowed\n".utf8))
        }
        return HTTPResponse(status: 200, headers: [("Content-Type", PrometheusExposition.contentType)],
                            body: Array(exposition.render().utf8))
    }

    public func payloadTooLarge(_ request: HTTPRequest, limit: Int) -> HTTPResponse {
        HTTPResponse(status: 413, body: Array("request body too large\n".utf8))
    }
}
