import Foundation

/// The summary of one metric over a report's period.
public struct MetricSummary: Sendable, Equatable {
    /// Points in the period (each the average of one bucket).
    public var count: Int
    /// The lowest value recorded: the smallest bucket minimum (raw extremes where the tier keeps them).
    public var min: Double
    /// The highest value recorded: the largest bucket maximum.
    public var max: Double
    /// The mean of the points' values.
    public var average: Double
    /// The 95th percentile of the points' values (linear interpolation between closest ranks).
    public var p95: Double
    /// The last point's value.
    public var current: Double
}

/// A least-squares line through a series: `value ≈ intercept + slope × (t - origin)`, t in unix seconds.
public struct Trend: Sendable, Equatable {
    /// Change per second.
    public var slope: Double
    /// The fitted value at `origin`.
    public var intercept: Double
    /// Unix seconds the intercept refers to (the first point's time, to keep the arithmetic well conditioned).
    public var origin: Double

    /// Change per day.
    public var slopePerDay: Double { slope * 86_400 }

    /// The fitted value at `t` (unix seconds).
    public func value(at t: Double) -> Double { intercept + slope * (t - origin) }
}

/// Whether, and when, a filling metric reaches its capacity at its current trend.
public enum CapacityProjection: Sendable, Equatable {
    /// Already at or over capacity.
    case full
    /// Reaches capacity in this many days.
    case fillsIn(days: Double)
    /// Flat or shrinking (or so slow it would take more than ten years).
    case notFilling
    /// Too few points to fit a trend.
    case insufficientData

    /// "full", "full in 12 days", "not filling", "not enough data".
    public var description: String {
        switch self {
        case .full: return "full"
        case .fillsIn(let days):
            if days < 1 { return "full in less than a day" }
            let whole = Int(days.rounded(.down))
            return whole == 1 ? "full in 1 day" : "full in \(whole) days"
        case .notFilling: return "not filling"
        case .insufficientData: return "not enough data"
        }
    }
}

/// Statistics for reports: pure functions over points.
public enum ReportStatistics {
    /// Count, min, max, average, p95 and current of the finite points; `nil` when there are none.
    public static func summarize(_ points: [MetricPoint]) -> MetricSummary? {
        let usable = points.filter { $0.value.isFinite }
        guard let last = usable.last else { return nil }
        let values = usable.map(\.value)
        let lows = usable.map { $0.min.isFinite ? Swift.min($0.min, $0.value) : $0.value }
        let highs = usable.map { $0.max.isFinite ? Swift.max($0.max, $0.value) : $0.value }
        return MetricSummary(count: usable.count, min: lows.min()!, max: highs.max()!,
                             average: mean(values), p95: percentile(values, 0.95)!, current: last.value)
    }

    /// The arithmetic mean (0 for no values), with compensated (Kahan) summation.
    public static func mean(_ values: [Double]) -> Double {
        guard !values.isEmpty else { return 0 }
        var sum = 0.0, compensation = 0.0
        for value in values {
            let corrected = value - compensation
            let next = sum + corrected
            compensation = (next - sum) - corrected
            sum = next
        }
        return sum / Double(values.count)
    }

    /// The `fraction` quantile (0…1) by linear interpolation between the closest ranks (NumPy's default method);
    /// `nil` for no values.
    public static func percentile(_ values: [Double], _ fraction: Double) -> Double? {
        guard !values.isEmpty, fraction.isFinite else { return nil }
        let sorted = values.sorted()
        let position = Swift.min(Swift.max(fraction, 0), 1) * Double(sorted.count - 1)
        let lower = Int(position.rounded(.down))
        let upper = Swift.min(lower + 1, sorted.count - 1)
        let weight = position - Double(lower)
        return sorted[lower] + (sorted[upper] - sorted[lower]) * weight
    }

    /// The least-squares line through the finite points (timestamps in ms); `nil` for fewer than two points or when
    /// every point has the same time.
    public static func trend(_ points: [MetricPoint]) -> Trend? {
        let usable = points.filter { $0.value.isFinite }
        guard usable.count >= 2 else { return nil }
        let origin = Double(usable[0].timestamp) / 1000
        let xs = usable.map { Double($0.timestamp) / 1000 - origin }
        let ys = usable.map(\.value)
        let meanX = mean(xs), meanY = mean(ys)
        var covariance = 0.0, variance = 0.0
        for (x, y) in zip(xs, ys) {
            covariance += (x - meanX) * (y - meanY)
            variance += (x - meanX) * (x - meanX)
        }
        guard variance > 0 else { return nil }
        let slope = covariance / variance
        return Trend(slope: slope, intercept: meanY - slope * meanX, origin: origin)
    }

    /// When a metric at `current` growing by `slopePerDay` reaches `capacity`. Growth under 0.001 units a day, or a
    /// fill date more than ten years out, counts as not filling.
    public static func projection(current: Double, slopePerDay: Double?, capacity: Double) -> CapacityProjection {
        guard current.isFinite else { return .insufficientData }
        if current >= capacity { return .full }
        guard let slopePerDay, slopePerDay.isFinite else { return .insufficientData }
        guard slopePerDay > 0.001 else { return .notFilling }
        let days = (capacity - current) / slopePerDay
        return days > 3650 ? .notFilling : .fillsIn(days: days)
    }

    /// The projection for a series of a metric with a capacity: needs at least three points for a trend.
    public static func projection(_ points: [MetricPoint], capacity: Double) -> CapacityProjection {
        guard let summary = summarize(points) else { return .insufficientData }
        if summary.current >= capacity { return .full }
        guard summary.count >= 3, let trend = trend(points) else { return .insufficientData }
        return projection(current: summary.current, slopePerDay: trend.slopePerDay, capacity: capacity)
    }
}
