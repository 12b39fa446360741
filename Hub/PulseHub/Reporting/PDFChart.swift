import Foundation

/// One metric's line chart on a report page: title with trend and projection, value and time axes with grid and
/// labels, the min/max band where the tier kept extremes, the average line and the least-squares trend.
struct PDFChart {
    static let height = 182.0

    let series: ReportSeries
    /// The report period, unix seconds.
    let start: Int64
    let end: Int64

    static let lineColor = PDFCanvas.Color(red: 0.13, green: 0.39, blue: 0.78)
    static let bandColor = PDFCanvas.Color(red: 0.13, green: 0.39, blue: 0.78, alpha: 0.18)
    static let trendColor = PDFCanvas.Color(red: 0.80, green: 0.22, blue: 0.15)
    static let gridColor = PDFCanvas.Color(red: 0.86, green: 0.87, blue: 0.89)
    static let axisColor = PDFCanvas.Color(red: 0.35, green: 0.36, blue: 0.40)
    static let mutedColor = PDFCanvas.Color(red: 0.42, green: 0.43, blue: 0.47)

    func draw(on canvas: PDFCanvas, x: Double, y: Double, width: Double) {
        let metric = series.metric
        let points = series.points.filter { $0.value.isFinite }
        let trend = series.trend

        // Title line: the metric on the left, its trend and projection on the right.
        var note = ""
        if let trend { note = "Trend " + ReportValueFormat.perDay(trend.slopePerDay, metric.unit) }
        if let projection = series.projection {
            note += (note.isEmpty ? "" : " · ") + "Capacity: " + projection.description
        }
        let noteWidth = note.isEmpty ? 0 : canvas.textWidth(note, size: 8.5)
        canvas.text(canvas.fitted(metric.labelWithUnit, maxWidth: width - noteWidth - 12, size: 11, weight: .bold),
                    x: x, y: y + 12, size: 11, weight: .bold)
        if !note.isEmpty {
            canvas.text(note, x: x + width, y: y + 12, size: 8.5, color: Self.mutedColor, alignment: .right)
        }

        let plot = PDFCanvas.Rect(x: x + 54, y: y + 22, width: width - 62, height: 116)
        guard !points.isEmpty else {
            canvas.stroke(plot, Self.gridColor)
            canvas.text("No data in this period", x: plot.x + plot.width / 2, y: plot.y + plot.height / 2 + 4,
                        size: 10, color: Self.mutedColor, alignment: .center)
            return
        }

        // What is drawn: segments broken at gaps, each at most one point per 1.25 pt of width (extremes kept).
        let segments = ChartAxis.segments(points)
        let budget = plot.width / 1.25
        let drawn = segments.map { segment in
            ChartAxis.downsample(segment, limit: max(2, Int(budget * Double(segment.count) / Double(points.count))))
        }
        let bands = drawn.contains { segment in segment.contains { $0.min < $0.value || $0.max > $0.value } }

        // Value axis, in a scaled unit for bytes.
        let low = drawn.joined().map { min($0.min, $0.value) }.min()!
        let high = drawn.joined().map { max($0.max, $0.value) }.max()!
        let (divisor, prefix) = metric.unit.isBytes ? ChartAxis.byteDivisor(forMaximum: max(abs(low), abs(high)))
            : (1, "")
        let scale = ChartAxis.valueScale(minimum: low / divisor, maximum: high / divisor, unit: metric.unit)
        let span = Double(max(1, end - start))
        func px(_ milliseconds: Int64) -> Double { plot.x + (Double(milliseconds) / 1000 - Double(start)) / span * plot.width }
        func py(_ value: Double) -> Double {
            let fraction = (value / divisor - scale.lower) / (scale.upper - scale.lower)
            return plot.y + plot.height - fraction * plot.height
        }

        // Grid and labels.
        let unitSuffix = metric.unit.isBytes ? " " + prefix + metric.unit.symbol
            : metric.unit.symbol.isEmpty ? "" : " " + metric.unit.symbol
        let decimals = scale.step >= 1 ? 0 : scale.step >= 0.1 ? 1 : 2
        for tick in scale.ticks {
            let ty = plot.y + plot.height - (tick - scale.lower) / (scale.upper - scale.lower) * plot.height
            canvas.line(.init(x: plot.x, y: ty), .init(x: plot.x + plot.width, y: ty), Self.gridColor, width: 0.4)
            canvas.text(ReportValueFormat.number(tick, decimals: decimals) + unitSuffix, x: plot.x - 4, y: ty + 2.5,
                        size: 7, color: Self.axisColor, alignment: .right)
        }
        let (ticks, step) = ChartAxis.timeTicks(start: start, end: end, target: 8)
        for tick in ticks {
            let tx = px(tick * 1000)
            canvas.line(.init(x: tx, y: plot.y), .init(x: tx, y: plot.y + plot.height), Self.gridColor, width: 0.4)
            canvas.text(ChartAxis.timeLabel(tick, span: end - start, step: step), x: tx, y: plot.y + plot.height + 10,
                        size: 7, color: Self.axisColor, alignment: .center)
        }
        canvas.line(.init(x: plot.x, y: plot.y), .init(x: plot.x, y: plot.y + plot.height), Self.axisColor, width: 0.7)
        canvas.line(.init(x: plot.x, y: plot.y + plot.height), .init(x: plot.x + plot.width, y: plot.y + plot.height),
                    Self.axisColor, width: 0.7)

        // Data: band, line, trend.
        canvas.clipped(to: plot) {
            for segment in drawn {
                if bands, segment.count > 1 {
                    let upper = segment.map { PDFCanvas.Point(x: px($0.timestamp), y: py(max($0.max, $0.value))) }
                    let lower = segment.reversed().map { PDFCanvas.Point(x: px($0.timestamp), y: py(min($0.min, $0.value))) }
                    canvas.fillPolygon(upper + lower, Self.bandColor)
                }
                if segment.count == 1, let only = segment.first {
                    canvas.fill(.init(x: px(only.timestamp) - 1.2, y: py(only.value) - 1.2, width: 2.4, height: 2.4),
                                Self.lineColor)
                } else {
                    canvas.polyline(segment.map { .init(x: px($0.timestamp), y: py($0.value)) }, Self.lineColor, width: 1.1)
                }
            }
            if let trend, let first = points.first, let last = points.last {
                let from = Double(first.timestamp) / 1000, to = Double(last.timestamp) / 1000
                canvas.line(.init(x: px(first.timestamp), y: py(trend.value(at: from))),
                            .init(x: px(last.timestamp), y: py(trend.value(at: to))), Self.trendColor, width: 1,
                            dash: [4, 3])
            }
        }

        // Legend.
        let legendY = plot.y + plot.height + 24
        var legendX = plot.x
        func legend(_ label: String, _ draw: (Double) -> Void) {
            draw(legendX)
            canvas.text(label, x: legendX + 16, y: legendY + 3, size: 7.5, color: Self.axisColor)
            legendX += 24 + canvas.textWidth(label, size: 7.5)
        }
        legend("average") { lx in canvas.line(.init(x: lx, y: legendY), .init(x: lx + 12, y: legendY), Self.lineColor, width: 1.5) }
        if bands {
            legend("min–max") { lx in canvas.fill(.init(x: lx, y: legendY - 3, width: 12, height: 6), Self.bandColor) }
        }
        if trend != nil {
            legend("trend (least squares)") { lx in
                canvas.line(.init(x: lx, y: legendY), .init(x: lx + 12, y: legendY), Self.trendColor, width: 1, dash: [3, 2])
            }
        }
        if let resolution = ChartAxis.resolution(points) {
            canvas.text("\(points.count) points, one per \(ReportValueFormat.duration(resolution))",
                        x: plot.x + plot.width, y: legendY + 3, size: 7.5, color: Self.mutedColor, alignment: .right)
        }
    }
}
