import Foundation
import PulseCommon

/// `/api/metrics-store/*`, `/api/charts` and `/api/storage-charts`, all served from the metrics store.
public struct MetricsHandlers: Sendable {
    let store: any MetricsStore
    let retention: MetricsRetention
    let exposition: PrometheusExposition

    /// `GET /metrics`: Prometheus text for tokens with `monitoring:read`.
    public func prometheus(_ context: RequestContext) throws -> HTTPResponse {
        HTTPResponse(status: 200, headers: [("Content-Type", PrometheusExposition.contentType)],
                     body: Array(exposition.render(now: context.now).utf8))
    }

    /// Resource types the store knows (the reference's names plus `host`).
    static let resourceTypes: Set<String> = ["host", "node", "vm", "container", "storage", "dockerHost", "dockerContainer",
                                             "kubernetesCluster"]

    public func stats(_ context: RequestContext) throws -> HTTPResponse {
        let stats = store.stats()
        func time(_ date: Date?) -> JSONValue { date.map { .string(RFC3339.format($0)) } ?? .null }
        return .json(object: [
            "enabled": .bool(true),
            "dbSize": .number(Double(stats.databaseBytes)),
            "rawCount": .number(Double(stats.rawCount)),
            "minuteCount": .number(Double(stats.minuteCount)),
            "hourlyCount": .number(Double(stats.hourlyCount)),
            "dailyCount": .number(Double(stats.dailyCount)),
            "seriesCount": .number(Double(stats.seriesCount)),
            "totalWrites": .number(Double(stats.totalWrites)),
            "bufferSize": .number(Double(stats.bufferSize)),
            "droppedExpired": .number(Double(stats.droppedExpired)),
            "rejectedBusy": .number(Double(stats.rejectedBusy)),
            "bytesPerSample": .number((stats.bytesPerSample * 100).rounded() / 100),
            "lastFlush": time(stats.lastFlush),
            "lastRollup": time(stats.lastRollup),
            "lastRetention": time(stats.lastRetention),
            "retention": .object([
                "rawHours": .number(Double(retention.seconds(.raw) / 3600)),
                "minuteHours": .number(Double(retention.seconds(.minute) / 3600)),
                "hourlyDays": .number(Double(retention.seconds(.hourly) / 86_400)),
                "dailyDays": .number(Double(retention.seconds(.daily) / 86_400)),
            ]),
        ])
    }

    public func history(_ context: RequestContext) throws -> HTTPResponse {
        let request = context.request
        guard let type = request.queryValue("resourceType"), !type.isEmpty else {
            throw APIError.badRequest("missing_parameter", "resourceType is required")
        }
        guard Self.resourceTypes.contains(type) else {
            throw APIError.badRequest("invalid_resource_type", "unknown resourceType; use one of "
                                      + Self.resourceTypes.sorted().joined(separator: ", "))
        }
        guard let resourceID = request.queryValue("resourceId"), !resourceID.isEmpty else {
            throw APIError.badRequest("missing_parameter", "resourceId is required")
        }
        guard resourceID.utf8.count <= 256 else { throw APIError.badRequest("invalid_parameter", "resourceId is too long") }
        let metric = request.queryValue("metric").flatMap { $0.isEmpty ? nil : $0 }
        if let metric, metric.utf8.count > 256 { throw APIError.badRequest("invalid_parameter", "metric is too long") }
        let rangeText = request.queryValue("range") ?? ""
        let span = try Self.historyRange(rangeText)
        let maxPoints = try Self.limit(request.queryValue("maxPoints"), default: 500, range: 1...5000, name: "maxPoints")
        // The range ends with the current second, inclusive: [now - span + 1, now + 1).
        let end = Int64(context.now.timeIntervalSince1970) + 1
        let start = end - span
        let series = try store.history(resourceType: type, resourceID: resourceID, metric: metric, start: start,
                                       end: end, maxPoints: maxPoints)
        var body: [String: JSONValue] = [
            "resourceType": .string(type), "resourceId": .string(resourceID), "range": .string(rangeText),
            "start": .number(Double(start * 1000)), "end": .number(Double(end * 1000)),
        ]
        if let metric {
            body["metric"] = .string(metric)
            body["points"] = Self.points(series[metric] ?? [], extremes: true)
        } else {
            body["metrics"] = .object(series.mapValues { Self.points($0, extremes: true) })
        }
        return .json(object: body)
    }

    /// `/api/charts?range=`: sparkline series for every resource. Hosts are under `hostData` (an addition; the
    /// reference keeps no host history).
    public func charts(_ context: RequestContext) throws -> HTTPResponse {
        let rangeText = context.request.queryValue("range") ?? "1h"
        guard let span = Self.chartRanges[rangeText.isEmpty ? "1h" : rangeText] else {
            throw APIError.badRequest("invalid_range", "range must be one of 5m, 15m, 30m, 1h, 4h, 12h, 24h, 7d")
        }
        let end = Int64(context.now.timeIntervalSince1970) + 1
        let start = end - span
        let metrics = ["cpu", "memory", "disk", "netin", "netout", "diskread", "diskwrite"]
        let hosts = try store.history(resourceType: "host", metrics: metrics, start: start, end: end, maxPoints: 120)
        var oldest: Int64?
        var hostData: [String: JSONValue] = [:]
        for (hostID, series) in hosts {
            var entry: [String: JSONValue] = [:]
            for metric in metrics {
                let points = series[metric] ?? []
                if let first = points.first?.timestamp { oldest = min(oldest ?? first, first) }
                entry[metric] = Self.points(points, extremes: false)
            }
            hostData[hostID] = .object(entry)
        }
        var docker: [String: JSONValue] = [:]
        for (hostID, series) in try store.history(resourceType: "dockerHost", metrics: ["cpu", "memory", "disk"],
                                                  start: start, end: end, maxPoints: 120) {
            docker[hostID] = .object(series.mapValues { Self.points($0, extremes: false) })
        }
        return .json(object: [
            "data": .object([:]), "nodeData": .object([:]), "storageData": .object([:]), "dockerData": .object([:]),
            "dockerHostData": .object(docker), "guestTypes": .object([:]), "hostData": .object(hostData),
            "timestamp": .number(Double(context.now.unixMilliseconds)),
            "stats": .object(["oldestDataTimestamp": .number(Double(oldest ?? context.now.unixMilliseconds))]),
        ])
    }

    /// `/api/storage-charts?range=<minutes>`: storage usage series (timestamps in RFC 3339, as the reference).
    public func storageCharts(_ context: RequestContext) throws -> HTTPResponse {
        let minutes = try Self.limit(context.request.queryValue("range"), default: 60, range: 1...525_600, name: "range")
        let end = Int64(context.now.timeIntervalSince1970)
        let series = try store.history(resourceType: "storage", metrics: ["usage", "used", "total", "avail"],
                                       start: end - Int64(minutes) * 60, end: end + 1, maxPoints: 200)
        var body: [String: JSONValue] = [:]
        for (storageID, metrics) in series {
            body[storageID] = .object(metrics.mapValues { points in
                .array(points.map { .object(["value": .number($0.value),
                                             "timestamp": .string(RFC3339.format(Date(unixMilliseconds: $0.timestamp)))]) })
            })
        }
        return .json(object: body)
    }

    // MARK: Parameters

    static let chartRanges: [String: Int64] = ["5m": 300, "15m": 900, "30m": 1800, "1h": 3600, "4h": 14_400,
                                               "12h": 43_200, "24h": 86_400, "7d": 604_800]

    /// `1h`, `6h`, `12h`, `24h`/`1d`/empty (24 h), `7d`, `30d`, `90d`, or a Go duration up to two years.
    static func historyRange(_ text: String) throws(APIError) -> Int64 {
        let named: [String: Int64] = ["": 86_400, "1h": 3600, "6h": 21_600, "12h": 43_200, "24h": 86_400, "1d": 86_400,
                                      "7d": 604_800, "30d": 2_592_000, "90d": 7_776_000, "1y": 31_536_000]
        if let seconds = named[text] { return seconds }
        if text.hasSuffix("d"), let days = Int64(text.dropLast()), (1...730).contains(days) { return days * 86_400 }
        guard let duration = EnvValue.duration(text), duration > .zero, Double(text) == nil else {
            throw APIError.badRequest("invalid_range", "range must be like 1h, 24h, 7d, 30d, 90d or 90m")
        }
        let seconds = duration.components.seconds
        guard (60...(730 * 86_400)).contains(seconds) else {
            throw APIError.badRequest("invalid_range", "range must be between 1 minute and 730 days")
        }
        return seconds
    }

    static func limit(_ text: String?, default value: Int, range: ClosedRange<Int>, name: String) throws(APIError) -> Int {
        guard let text, !text.isEmpty else { return value }
        guard let number = Int(text), range.contains(number) else {
            throw APIError.badRequest("invalid_parameter", "\(name) must be a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        return number
    }

    static func points(_ points: [MetricPoint], extremes: Bool) -> JSONValue {
        .array(points.map { point in
            var object: [String: JSONValue] = ["timestamp": .number(Double(point.timestamp)), "value": .number(point.value)]
            if extremes {
                object["min"] = .number(point.min)
                object["max"] = .number(point.max)
            }
            return .object(object)
        })
    }
}
