import Foundation
import Testing
@testable import PulseHub

/// Points one `step` seconds apart from `start`, min = max = value unless given.
func points(_ values: [Double], start: Int64 = 1_796_342_400, step: Int64 = 60) -> [MetricPoint] {
    values.enumerated().map { index, value in
        MetricPoint(timestamp: (start + Int64(index) * step) * 1000, value: value, min: value, max: value)
    }
}

@Suite struct ReportStatisticsTests {
    @Test func summaryOfAKnownSeries() throws {
        var series = points([10, 20, 30, 40, 50])
        series[2].min = 5  // a bucket whose raw minimum was lower than any average
        series[3].max = 95
        let summary = try #require(ReportStatistics.summarize(series))
        #expect(summary.count == 5)
        #expect(summary.min == 5)
        #expect(summary.max == 95)
        #expect(summary.average == 30)
        #expect(abs(summary.p95 - 48) < 1e-9)  // rank 0.95 × 4 = 3.8 → 40 + 0.8 × 10
        #expect(summary.current == 50)
    }

    @Test func summaryIgnoresNonFiniteValuesAndIsNilForNone() {
        #expect(ReportStatistics.summarize([]) == nil)
        #expect(ReportStatistics.summarize(points([.nan, .infinity])) == nil)
        let summary = ReportStatistics.summarize(points([1, .nan, 3]))
        #expect(summary?.count == 2)
        #expect(summary?.average == 2)
        #expect(summary?.current == 3)
    }

    @Test(arguments: [(0.0, 1.0), (0.5, 3.0), (1.0, 5.0), (0.95, 4.8), (0.25, 2.0), (2.0, 5.0), (-1.0, 1.0)])
    func percentileInterpolates(_ fraction: Double, _ expected: Double) throws {
        let value = try #require(ReportStatistics.percentile([5, 1, 4, 2, 3], fraction))
        #expect(abs(value - expected) < 1e-9)
    }

    @Test func percentileEdgeCases() {
        #expect(ReportStatistics.percentile([], 0.95) == nil)
        #expect(ReportStatistics.percentile([7], 0.95) == 7)
        #expect(ReportStatistics.percentile([1, 2], .nan) == nil)
    }

    @Test func meanStaysAccurateForLargeOffsets() {
        let values = Array(repeating: 1e12, count: 1000) + [1e12 + 1000]
        #expect(abs(ReportStatistics.mean(values) - (1e12 + 1000.0 / 1001)) < 1e-3)
    }

    @Test func trendIsTheLeastSquaresLine() throws {
        // value = 2 + 3 per hour, exactly, hourly points.
        let series = points((0..<24).map { 2 + 3 * Double($0) }, step: 3600)
        let trend = try #require(ReportStatistics.trend(series))
        #expect(abs(trend.slopePerDay - 72) < 1e-9)
        #expect(abs(trend.intercept - 2) < 1e-9)
        #expect(abs(trend.value(at: trend.origin + 7200) - 8) < 1e-9)
        // Noise around a line: the fit recovers the slope, and a symmetric wave has none.
        let noisy = points((0..<100).map { Double($0) + ($0 % 2 == 0 ? 1 : -1) }, step: 86_400)
        #expect(abs(try #require(ReportStatistics.trend(noisy)).slopePerDay - 1) < 0.01)
        let flat = points(Array(repeating: 5, count: 48))
        #expect(try #require(ReportStatistics.trend(flat)).slope == 0)
    }

    @Test func trendNeedsTwoDistinctTimes() {
        #expect(ReportStatistics.trend(points([1])) == nil)
        let sameTime = [MetricPoint(timestamp: 1000, value: 1, min: 1, max: 1), MetricPoint(timestamp: 1000, value: 2, min: 2, max: 2)]
        #expect(ReportStatistics.trend(sameTime) == nil)
    }

    @Test func projectionSaysWhenADiskFills() {
        #expect(ReportStatistics.projection(current: 80, slopePerDay: 2, capacity: 100) == .fillsIn(days: 10))
        #expect(ReportStatistics.projection(current: 100, slopePerDay: 2, capacity: 100) == .full)
        #expect(ReportStatistics.projection(current: 101, slopePerDay: -2, capacity: 100) == .full)
        #expect(ReportStatistics.projection(current: 50, slopePerDay: 0, capacity: 100) == .notFilling)
        #expect(ReportStatistics.projection(current: 50, slopePerDay: -1, capacity: 100) == .notFilling)
        #expect(ReportStatistics.projection(current: 50, slopePerDay: 0.0001, capacity: 100) == .notFilling)
        #expect(ReportStatistics.projection(current: 50, slopePerDay: 0.01, capacity: 100) == .notFilling)  // 5,000 days
        #expect(ReportStatistics.projection(current: 50, slopePerDay: nil, capacity: 100) == .insufficientData)
        #expect(ReportStatistics.projection(current: .nan, slopePerDay: 1, capacity: 100) == .insufficientData)
    }

    @Test func projectionFromPoints() {
        // 1 % a day, daily points, 70 % now: 30 days to go.
        let filling = points((0..<10).map { 61 + Double($0) }, step: 86_400)
        guard case .fillsIn(let days) = ReportStatistics.projection(filling, capacity: 100) else {
            Issue.record("expected a fill date")
            return
        }
        #expect(abs(days - 30) < 1e-6)
        #expect(ReportStatistics.projection(points([50, 50, 50]), capacity: 100) == .notFilling)
        #expect(ReportStatistics.projection(points([50, 60]), capacity: 100) == .insufficientData)
        #expect(ReportStatistics.projection(points([99, 100]), capacity: 100) == .full)
        #expect(ReportStatistics.projection([], capacity: 100) == .insufficientData)
    }

    @Test func projectionDescriptions() {
        #expect(CapacityProjection.fillsIn(days: 10.7).description == "full in 10 days")
        #expect(CapacityProjection.fillsIn(days: 1.2).description == "full in 1 day")
        #expect(CapacityProjection.fillsIn(days: 0.3).description == "full in less than a day")
        #expect(CapacityProjection.notFilling.description == "not filling")
        #expect(CapacityProjection.full.description == "full")
    }
}

@Suite struct ReportFormattingTests {
    @Test func numbers() {
        #expect(ReportValueFormat.number(1.005) == "1.00" || ReportValueFormat.number(1.005) == "1.01")
        #expect(ReportValueFormat.number(-0.001) == "0.00")
        #expect(ReportValueFormat.number(-1.5) == "-1.50")
        #expect(ReportValueFormat.number(.nan) == "")
        #expect(ReportValueFormat.number(42, decimals: 0) == "42")
    }

    @Test func humanValues() {
        #expect(ReportValueFormat.human(42.5, .percent) == "42.50 %")
        #expect(ReportValueFormat.human(48, .celsius) == "48.0 °C")
        #expect(ReportValueFormat.human(0.75, .load) == "0.75")
        #expect(ReportValueFormat.human(512, .bytes) == "512 B")
        #expect(ReportValueFormat.human(1536, .bytesPerSecond) == "1.50 KiB/s")
        #expect(ReportValueFormat.human(3 * 1_073_741_824, .bytes) == "3.00 GiB")
        #expect(ReportValueFormat.perDay(0.52, .percent) == "+0.52 %/day")
        #expect(ReportValueFormat.perDay(-2048, .bytesPerSecond) == "-2.00 KiB/s/day")
        #expect(ReportValueFormat.perDay(0, .percent) == "±0.00 %/day")
    }

    @Test func datesAndDurations() {
        let date = Date(timeIntervalSince1970: 1_796_396_400)  // 2026-12-04T15:00:00Z
        #expect(ReportValueFormat.minute(date) == "2026-12-04 15:00 UTC")
        #expect(ReportDates.compactDate(1_796_396_400) == "20261204")
        #expect(ReportValueFormat.duration(10) == "10 s")
        #expect(ReportValueFormat.duration(60) == "1 min")
        #expect(ReportValueFormat.duration(3600) == "1 h")
        #expect(ReportValueFormat.duration(86_400) == "1 day")
        #expect(ReportValueFormat.duration(604_800) == "7 days")
    }

    @Test func metricCatalog() {
        #expect(ReportMetric("cpu").labelWithUnit == "CPU (%)")
        #expect(ReportMetric("disk:/var").displayName == "Disk /var")
        #expect(ReportMetric("disk:/var").capacity == 100)
        #expect(ReportMetric("usage").capacity == 100)
        #expect(ReportMetric("memory").capacity == nil)
        #expect(ReportMetric("netin").unit == .bytesPerSecond)
        #expect(ReportMetric("netin:eth0").isBreakdown)
        #expect(!ReportMetric("netin").isBreakdown)
        #expect(ReportMetric("temp:cpu_package").labelWithUnit == "Temperature cpu_package (°C)")
        #expect(ReportMetric("load1").labelWithUnit == "Load (1 min)")
        #expect(ReportMetric("weird").displayName == "weird")
        let order = ReportMetric.ordered(["temp:a", "netin", "disk:/", "disk", "memory", "cpu", "zzz"]).map(\.name)
        #expect(order == ["cpu", "memory", "disk", "disk:/", "netin", "temp:a", "zzz"])
    }
}

@Suite struct ChartAxisTests {
    @Test func niceScales() {
        let percent = ChartAxis.valueScale(minimum: 12, maximum: 87, unit: .percent)
        #expect(percent.lower == 0 && percent.upper == 100)
        #expect(percent.ticks == [0, 20, 40, 60, 80, 100])
        let temperature = ChartAxis.valueScale(minimum: 37, maximum: 58, unit: .celsius)
        #expect(temperature.lower <= 37 && temperature.upper >= 58 && temperature.lower > 0)
        let flat = ChartAxis.niceScale(minimum: 5, maximum: 5)
        #expect(flat.lower < 5 && flat.upper > 5)
        let zero = ChartAxis.niceScale(minimum: 0, maximum: 0)
        #expect(zero.lower < 0 && zero.upper > 0)
        let negative = ChartAxis.niceScale(minimum: -3, maximum: 7)
        #expect(negative.ticks.contains(0))
        #expect(ChartAxis.niceScale(minimum: .nan, maximum: 1).upper == 1)
        for (low, high) in [(0.0, 0.013), (0, 3.7), (0, 1e9), (-1e-6, 1e-6)] {
            let scale = ChartAxis.niceScale(minimum: low, maximum: high)
            #expect(scale.lower <= low && scale.upper >= high && (3...12).contains(scale.ticks.count),
                    "\(low)…\(high): \(scale)")
        }
    }

    @Test func byteDivisors() {
        #expect(ChartAxis.byteDivisor(forMaximum: 900).prefix == "")
        #expect(ChartAxis.byteDivisor(forMaximum: 3_000_000).prefix == "Mi")
        #expect(ChartAxis.byteDivisor(forMaximum: 3_000_000).divisor == 1_048_576)
    }

    @Test func timeTicksAreRoundAndInside() {
        let start: Int64 = 1_796_342_400 + 1234
        let day = ChartAxis.timeTicks(start: start, end: start + 86_400, target: 8)
        #expect(day.step == 10_800)
        #expect(day.ticks.allSatisfy { $0 % 10_800 == 0 && $0 >= start && $0 <= start + 86_400 })
        let week = ChartAxis.timeTicks(start: 1_796_342_400, end: 1_796_342_400 + 604_800, target: 8)
        #expect(week.step == 86_400 && week.ticks.count == 8)
        #expect(ChartAxis.timeLabel(1_796_396_400, span: 3600, step: 600) == "15:00")
        #expect(ChartAxis.timeLabel(1_796_342_400, span: 604_800, step: 86_400) == "12-04")
        #expect(ChartAxis.timeLabel(1_796_396_400, span: 172_800, step: 21_600) == "12-04 15:00")
    }

    @Test func segmentsBreakAtGaps() {
        var series = points([1, 2, 3, 4, 5, 6], step: 60)
        series[3].timestamp += 3600 * 1000
        series[4].timestamp += 3600 * 1000
        series[5].timestamp += 3600 * 1000
        #expect(ChartAxis.segments(series).map(\.count) == [3, 3])
        #expect(ChartAxis.segments([]).isEmpty)
        #expect(ChartAxis.segments(points([1])).count == 1)
        #expect(ChartAxis.resolution(points([1, 2, 3], step: 60)) == 60)
    }

    @Test func downsamplingKeepsExtremes() {
        var series = points((0..<1000).map { Double($0 % 10) })
        series[501].max = 500
        series[777].min = -5
        let drawn = ChartAxis.downsample(series, limit: 100)
        #expect(drawn.count == 100)
        #expect(drawn.map(\.max).max() == 500)
        #expect(drawn.map(\.min).min() == -5)
        #expect(drawn.allSatisfy { abs($0.value - 4.5) < 1e-9 })  // each group of ten averages 0…9
        #expect(drawn.first?.timestamp == (series[0].timestamp + series[9].timestamp) / 2)
        #expect(zip(drawn, drawn.dropFirst()).allSatisfy { $0.timestamp < $1.timestamp })
        #expect(ChartAxis.downsample(series, limit: 2000) == series)
        #expect(ChartAxis.downsample(points([1, 2, 3]), limit: 1).count == 1)
    }
}

@Suite struct ReportLayoutTests {
    typealias Block = ReportLayout.Block

    @Test func blocksFlowOntoPages() {
        let blocks = [Block(height: 300), Block(height: 300), Block(height: 300)]
        let pages = ReportLayout.paginate(blocks, firstTop: 100, top: 50, bottom: 800)
        #expect(pages.map { $0.map(\.block) } == [[0, 1], [2]])
        #expect(pages[0].map(\.y) == [100, 400])
        #expect(pages[1].map(\.y) == [50])
    }

    @Test func titlesStayWithWhatFollows() {
        let blocks = [Block(height: 600), Block(height: 20, keepWithNext: true), Block(height: 300)]
        let pages = ReportLayout.paginate(blocks, firstTop: 100, top: 50, bottom: 800)
        #expect(pages.map { $0.map(\.block) } == [[0], [1, 2]])
    }

    @Test func continuedTablesRepeatTheirHeader() {
        var blocks = [Block(height: 18)]
        blocks += Array(repeating: Block(height: 100, repeatsHeader: 0), count: 10)
        let pages = ReportLayout.paginate(blocks, firstTop: 100, top: 50, bottom: 800)
        #expect(pages.count == 2)
        #expect(pages[0].first?.block == 0)
        #expect(pages[1].first?.block == 0)  // the header again
        #expect(pages.flatMap { $0.map(\.block) }.filter { $0 != 0 }.count == 10)
        for page in pages { #expect(page.allSatisfy { $0.y + blocks[$0.block].height <= 800 }) }
    }

    @Test func anOversizedBlockGetsItsOwnPage() {
        let pages = ReportLayout.paginate([Block(height: 10), Block(height: 2000), Block(height: 10)], firstTop: 100,
                                          top: 50, bottom: 800)
        #expect(pages.map { $0.map(\.block) } == [[0], [1], [2]])
        #expect(ReportLayout.paginate([], firstTop: 100, top: 50, bottom: 800) == [[]])
    }
}
