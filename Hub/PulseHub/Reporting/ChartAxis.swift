import Foundation

/// Axis arithmetic for report charts: pure functions, no drawing.
public enum ChartAxis {
    /// A value axis: `lower`…`upper` with ticks every `step` (in the scaled unit).
    public struct ValueScale: Sendable, Equatable {
        public var lower: Double
        public var upper: Double
        public var step: Double
        public var ticks: [Double] {
            guard step > 0, upper > lower else { return [lower] }
            var values: [Double] = []
            var index = 0.0
            while true {
                let value = lower + index * step
                if value > upper + step * 1e-9 { break }
                values.append(abs(value) < step * 1e-9 ? 0 : value)
                index += 1
            }
            return values
        }
    }

    /// About `target` evenly spaced round ticks (1, 2, 2.5 or 5 × 10ⁿ) covering `minimum`…`maximum`.
    public static func niceScale(minimum: Double, maximum: Double, target: Int = 5) -> ValueScale {
        guard minimum.isFinite, maximum.isFinite else { return ValueScale(lower: 0, upper: 1, step: 0.2) }
        var low = min(minimum, maximum), high = max(minimum, maximum)
        if high - low < 1e-12 {
            // A flat line: centre it in a small range.
            let pad = low == 0 ? 1 : abs(low) * 0.1
            low -= pad
            high += pad
        }
        let raw = (high - low) / Double(max(1, target))
        let magnitude = pow(10, (log10(raw)).rounded(.down))
        let step = [1, 2, 2.5, 5, 10].map { $0 * magnitude }.first { $0 >= raw * 0.999 } ?? 10 * magnitude
        let lower = (low / step).rounded(.down) * step
        let upper = (high / step).rounded(.up) * step
        return ValueScale(lower: lower, upper: upper, step: step)
    }

    /// The value range a chart shows for a metric's values: from zero for non-negative quantities (percent, rates,
    /// bytes, load), around the data for temperatures and anything that goes negative; percent is capped at 100
    /// when the data fits.
    public static func valueScale(minimum: Double, maximum: Double, unit: MetricUnit) -> ValueScale {
        let fromZero = minimum >= 0 && unit != .celsius
        var scale = niceScale(minimum: fromZero ? 0 : minimum, maximum: maximum)
        if unit == .percent, maximum <= 100, scale.upper > 100 {
            scale = niceScale(minimum: fromZero ? 0 : minimum, maximum: 100)
        }
        return scale
    }

    /// The power of 1024 byte values are labelled in (1 for B, 1024 for KiB, …) for a maximum magnitude.
    public static func byteDivisor(forMaximum maximum: Double) -> (divisor: Double, prefix: String) {
        let prefixes = ["", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"]
        var divisor = 1.0
        var index = 0
        while abs(maximum) / divisor >= 1024, index < prefixes.count - 1 {
            divisor *= 1024
            index += 1
        }
        return (divisor, prefixes[index])
    }

    /// Time ticks (unix seconds) at round UTC multiples of a step chosen for about `target` ticks over
    /// `start`…`end`, and the step.
    public static func timeTicks(start: Int64, end: Int64, target: Int = 6) -> (ticks: [Int64], step: Int64) {
        let steps: [Int64] = [60, 300, 600, 900, 1800, 3600, 7200, 10_800, 21_600, 43_200, 86_400, 172_800, 604_800,
                              1_209_600, 2_592_000]
        let span = max(1, end - start)
        let step = steps.first { span / $0 <= Int64(max(1, target)) } ?? steps.last!
        var tick = start >= 0 ? (start + step - 1) / step * step : start
        var ticks: [Int64] = []
        while tick <= end, ticks.count < 100 {
            ticks.append(tick)
            tick += step
        }
        return (ticks, step)
    }

    /// A time tick label: `hh:mm` within a day-and-a-half span, else `MM-DD` (UTC).
    public static func timeLabel(_ seconds: Int64, span: Int64, step: Int64) -> String {
        let (date, time) = ReportDates.split(seconds)
        if span <= 36 * 3600 { return time }
        if step < 86_400 { return String(date.dropFirst(5)) + " " + time }
        return String(date.dropFirst(5))
    }

    /// Splits points (ms timestamps, sorted) where the gap between neighbours exceeds 2.5 × their typical spacing,
    /// so a chart does not draw a line across a period without data.
    public static func segments(_ points: [MetricPoint]) -> [[MetricPoint]] {
        guard points.count > 1 else { return points.isEmpty ? [] : [points] }
        let gaps = zip(points, points.dropFirst()).map { $1.timestamp - $0.timestamp }.sorted()
        let typical = max(1, gaps[gaps.count / 2])
        var result: [[MetricPoint]] = [[points[0]]]
        for (previous, point) in zip(points, points.dropFirst()) {
            if Double(point.timestamp - previous.timestamp) > Double(typical) * 2.5 {
                result.append([point])
            } else {
                result[result.count - 1].append(point)
            }
        }
        return result
    }

    /// At most `limit` points for drawing: consecutive points merged in equal groups, each drawn at the middle of
    /// its time span with the mean of the averages and the group's lowest minimum and highest maximum, so a chart
    /// no wider than a few hundred points carries no invisible detail (and the PDF stays small) while the band still
    /// shows every extreme.
    public static func downsample(_ points: [MetricPoint], limit: Int) -> [MetricPoint] {
        guard limit > 0, points.count > limit else { return points }
        let size = (points.count + limit - 1) / limit
        return stride(from: 0, to: points.count, by: size).map { start in
            let group = points[start..<min(start + size, points.count)]
            let first = group.first!, last = group.last!
            return MetricPoint(timestamp: first.timestamp + (last.timestamp - first.timestamp) / 2,
                               value: ReportStatistics.mean(group.map(\.value)),
                               min: group.map { Swift.min($0.min, $0.value) }.min()!,
                               max: group.map { Swift.max($0.max, $0.value) }.max()!)
        }
    }

    /// The typical spacing of points in seconds (the median gap), or nil for fewer than two.
    public static func resolution(_ points: [MetricPoint]) -> Int64? {
        guard points.count > 1 else { return nil }
        let gaps = zip(points, points.dropFirst()).map { $1.timestamp - $0.timestamp }.sorted()
        return max(1, gaps[gaps.count / 2] / 1000)
    }
}
