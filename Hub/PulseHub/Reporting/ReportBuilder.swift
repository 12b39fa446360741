import Foundation

/// Why a valid request has no report.
public enum ReportError: Error, Equatable, Sendable {
    /// Neither the registry nor the metrics store knows the resource (404).
    case unknownResource
    /// The resource has series, but not this one (400); the names it has.
    case unknownMetric(available: [String])
}

/// A report's content, before it becomes CSV or PDF.
public enum ReportContent: Sendable, Equatable {
    case resource(ReportData)
    case fleet(FleetReportData)
}

/// Gathers a report's data from the metrics store and the host registry. The only part of reporting that reads
/// state; everything after it (statistics, CSV, PDF) is a function of the `ReportContent` it returns.
public struct ReportBuilder: Sendable {
    let store: any MetricsStore
    let registry: HostRegistry?

    public init(store: any MetricsStore, registry: HostRegistry?) {
        self.store = store
        self.registry = registry
    }

    public func build(_ request: ReportRequest, now: Date) throws -> ReportContent {
        let maxPoints = Self.maxPoints(span: request.end - request.start)
        switch request.target {
        case .fleet:
            return .fleet(try fleet(request, now: now, maxPoints: maxPoints))
        case .resource(let type, let id):
            let names = store.metricNames(resourceType: type, resourceID: id)
            let host = type == "host" ? registry?.host(id: id) : nil
            guard !names.isEmpty || host != nil else { throw ReportError.unknownResource }
            let wanted: [ReportMetric]
            if let metric = request.metric {
                guard names.isEmpty || names.contains(metric) else { throw ReportError.unknownMetric(available: names) }
                wanted = [ReportMetric(metric)]
            } else if names.isEmpty {
                // A host that has not reported metrics yet: the usual three, empty.
                wanted = ReportMetric.ordered(FleetReportData.metrics)
            } else {
                wanted = ReportMetric.ordered(names).filter { !$0.isBreakdown }
            }
            var series: [ReportSeries] = []
            for metric in wanted {
                let points = try store.history(resourceType: type, resourceID: id, metric: metric.name,
                                               start: request.start, end: request.end, maxPoints: maxPoints)[metric.name] ?? []
                series.append(ReportSeries(metric: metric, points: points))
            }
            let displayName = host.map { $0.report.host?.displayName ?? $0.hostname } ?? id
            let resource = ReportResource(type: type, id: id, displayName: displayName.isEmpty ? id : displayName)
            return .resource(ReportData(title: request.title ?? "Metrics report: " + resource.displayName,
                                        resource: resource, start: request.start, end: request.end,
                                        generatedAt: now, series: series))
        }
    }

    private func fleet(_ request: ReportRequest, now: Date, maxPoints: Int) throws -> FleetReportData {
        let history = try store.history(resourceType: "host", metrics: FleetReportData.metrics, start: request.start,
                                        end: request.end, maxPoints: maxPoints)
        let rows = (registry?.all() ?? []).map { host in
            let series = history[host.id] ?? [:]
            let disk = series["disk"] ?? []
            let name = host.report.host?.displayName ?? host.hostname
            return FleetReportRow(
                resource: ReportResource(type: "host", id: host.id, displayName: name.isEmpty ? host.id : name),
                status: host.status(now: now), cpu: ReportStatistics.summarize(series["cpu"] ?? []),
                memory: ReportStatistics.summarize(series["memory"] ?? []), disk: ReportStatistics.summarize(disk),
                diskProjection: ReportStatistics.projection(disk, capacity: 100))
        }
        return FleetReportData(title: request.title ?? "Fleet report", start: request.start, end: request.end,
                               generatedAt: now, rows: rows)
    }

    /// Points per series for a span: one per round step (10 s, 30 s, 1 min, 5 min, … 1 day), the finest that
    /// keeps a series at or under 1,500 points. The store never goes finer than its tier (minute data for spans
    /// over 6 hours, hourly over 3 days).
    public static func maxPoints(span: Int64) -> Int {
        let steps: [Int64] = [10, 30, 60, 300, 600, 1800, 3600, 7200, 10_800, 21_600, 43_200, 86_400]
        let span = max(1, span)
        let step = steps.first { (span + $0 - 1) / $0 <= 1500 } ?? 86_400
        return Int(max(1, (span + step - 1) / step))
    }
}
