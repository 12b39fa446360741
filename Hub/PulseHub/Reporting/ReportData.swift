import Foundation

/// The resource a report is about.
public struct ReportResource: Sendable, Equatable {
    public var type: String
    public var id: String
    /// The name people know it by (a host's display name); the id when there is none.
    public var displayName: String

    public init(type: String, id: String, displayName: String) {
        self.type = type
        self.id = id
        self.displayName = displayName
    }
}

/// One metric's points over the period, with what the report says about them.
public struct ReportSeries: Sendable, Equatable {
    public var metric: ReportMetric
    /// Bucket averages with their extremes, oldest first.
    public var points: [MetricPoint]

    public init(metric: ReportMetric, points: [MetricPoint]) {
        self.metric = metric
        self.points = points
    }

    public var summary: MetricSummary? { ReportStatistics.summarize(points) }
    public var trend: Trend? { ReportStatistics.trend(points) }
    /// For metrics with a capacity (disk and storage usage), when they fill at their trend.
    public var projection: CapacityProjection? {
        metric.capacity.map { ReportStatistics.projection(points, capacity: $0) }
    }
}

/// Everything a single-resource report shows, gathered before any formatting: CSV and PDF writers are pure
/// functions of this.
public struct ReportData: Sendable, Equatable {
    public var title: String
    public var resource: ReportResource
    /// Unix seconds, `[start, end)`.
    public var start: Int64
    public var end: Int64
    public var generatedAt: Date
    /// In report order; a series may have no points.
    public var series: [ReportSeries]

    public init(title: String, resource: ReportResource, start: Int64, end: Int64, generatedAt: Date,
                series: [ReportSeries]) {
        self.title = title
        self.resource = resource
        self.start = start
        self.end = end
        self.generatedAt = generatedAt
        self.series = series
    }

    /// Points over every series.
    public var totalPoints: Int { series.reduce(0) { $0 + $1.points.count } }
    /// Whether the period holds no data at all.
    public var isEmpty: Bool { totalPoints == 0 }
}

/// One host's line in a fleet report.
public struct FleetReportRow: Sendable, Equatable {
    public var resource: ReportResource
    /// `online` or `offline` at generation time.
    public var status: String
    public var cpu: MetricSummary?
    public var memory: MetricSummary?
    public var disk: MetricSummary?
    public var diskProjection: CapacityProjection

    public init(resource: ReportResource, status: String, cpu: MetricSummary?, memory: MetricSummary?,
                disk: MetricSummary?, diskProjection: CapacityProjection) {
        self.resource = resource
        self.status = status
        self.cpu = cpu
        self.memory = memory
        self.disk = disk
        self.diskProjection = diskProjection
    }
}

/// Every host's summary over one period.
public struct FleetReportData: Sendable, Equatable {
    public var title: String
    public var start: Int64
    public var end: Int64
    public var generatedAt: Date
    public var rows: [FleetReportRow]

    public init(title: String, start: Int64, end: Int64, generatedAt: Date, rows: [FleetReportRow]) {
        self.title = title
        self.start = start
        self.end = end
        self.generatedAt = generatedAt
        self.rows = rows
    }

    /// The metrics a fleet report summarizes.
    public static let metrics = ["cpu", "memory", "disk"]
}
