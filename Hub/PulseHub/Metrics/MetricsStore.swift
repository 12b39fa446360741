import Foundation
import PulseCommon

/// One measurement of one series at one time.
public struct MetricSample: Sendable, Equatable {
    public var series: SeriesKey
    /// Unix seconds.
    public var timestamp: Int64
    public var value: Double

    public init(series: SeriesKey, timestamp: Int64, value: Double) {
        self.series = series
        self.timestamp = timestamp
        self.value = value
    }
}

/// What a series measures: a resource and a metric name.
public struct SeriesKey: Hashable, Sendable, Comparable {
    /// `host`, `node`, `vm`, `container`, `storage`, `dockerHost`, `dockerContainer`, …
    public var resourceType: String
    public var resourceID: String
    /// `cpu`, `memory`, `disk`, `netin`, `disk:/var`, `temp:cpu_package`, …
    public var metric: String

    public init(_ resourceType: String, _ resourceID: String, _ metric: String) {
        self.resourceType = resourceType
        self.resourceID = resourceID
        self.metric = metric
    }

    public static func < (lhs: SeriesKey, rhs: SeriesKey) -> Bool {
        (lhs.resourceType, lhs.resourceID, lhs.metric) < (rhs.resourceType, rhs.resourceID, rhs.metric)
    }
}

/// One point of a history answer: the average over its bucket with the bucket's extremes.
public struct MetricPoint: Sendable, Equatable {
    /// Bucket start, unix milliseconds.
    public var timestamp: Int64
    public var value: Double
    public var min: Double
    public var max: Double
}

/// The storage tiers, finest first.
public enum MetricsTier: String, CaseIterable, Sendable {
    case raw, minute, hourly, daily

    /// Seconds each stored value covers (0 for raw samples).
    public var resolution: Int64 {
        switch self {
        case .raw: return 0
        case .minute: return 60
        case .hourly: return 3600
        case .daily: return 86_400
        }
    }
}

/// How long each tier keeps data.
public struct MetricsRetention: Sendable, Equatable {
    public var raw: Duration = .seconds(24 * 3600)
    public var minute: Duration = .seconds(7 * 86_400)
    public var hourly: Duration = .seconds(90 * 86_400)
    public var daily: Duration = .seconds(730 * 86_400)

    public init() {}

    public func seconds(_ tier: MetricsTier) -> Int64 {
        switch tier {
        case .raw: return raw.components.seconds
        case .minute: return minute.components.seconds
        case .hourly: return hourly.components.seconds
        case .daily: return daily.components.seconds
        }
    }
}

/// The figures `GET /api/metrics-store/stats` reports.
public struct MetricsStoreStats: Sendable {
    public var databaseBytes: Int64
    public var rawCount: Int64
    public var minuteCount: Int64
    public var hourlyCount: Int64
    public var dailyCount: Int64
    public var seriesCount: Int64
    public var totalWrites: Int64
    public var bufferSize: Int
    public var droppedExpired: Int64
    public var rejectedBusy: Int64
    public var lastFlush: Date?
    public var lastRollup: Date?
    public var lastRetention: Date?

    /// Database bytes per raw sample stored (0 before the first sample).
    public var bytesPerSample: Double {
        rawCount > 0 ? Double(databaseBytes) / Double(rawCount) : 0
    }
}

/// Why samples were not accepted.
public enum MetricsStoreError: Error, Equatable, Sendable {
    /// The write queue is full: the caller should answer 503 with `Retry-After`.
    case saturated
    case closed
}

/// A time-series store for fleet metrics. The SQLite implementation is the embedded default; another backend
/// (PostgreSQL, remote write) implements the same protocol.
public protocol MetricsStore: Sendable {
    /// Whether a write of about `count` samples would be refused right now.
    func isSaturated(adding count: Int) -> Bool
    /// Queues samples for the writer. Never blocks; throws `.saturated` when the queue is full.
    func write(_ samples: [MetricSample]) throws(MetricsStoreError)
    /// Points for the series of one resource, stitched across tiers, at most about `maxPoints` per series.
    func history(resourceType: String, resourceID: String, metric: String?, start: Int64, end: Int64,
                 maxPoints: Int) throws -> [String: [MetricPoint]]
    /// The metric names stored for one resource (every series it ever had, empty for an unknown resource).
    func metricNames(resourceType: String, resourceID: String) -> [String]
    /// Points for every series of a resource type and metric, for charts.
    func history(resourceType: String, metrics: [String], start: Int64, end: Int64,
                 maxPoints: Int) throws -> [String: [String: [MetricPoint]]]
    func stats() -> MetricsStoreStats
    /// Writes everything queued and stops the writer.
    func close()
}
