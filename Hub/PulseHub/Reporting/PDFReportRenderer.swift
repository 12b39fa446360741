import Foundation
import PulseCommon

/// Draws reports as A4 PDF documents through `PDFCanvas`: a header (title, resource, period, generation time), a
/// summary table, capacity projections, and one chart per metric, flowed onto as many pages as needed with a
/// footer on each. A function of its input alone, apart from cairo's own output.
public enum PDFReportRenderer {
    static let pageWidth = 595.28
    static let pageHeight = 841.89
    static let margin = 42.0
    static let contentTop = 48.0
    static let contentBottom = 800.0
    static var contentWidth: Double { pageWidth - 2 * margin }

    static let accent = PDFCanvas.Color(red: 0.10, green: 0.22, blue: 0.45)
    static let muted = PDFCanvas.Color(red: 0.42, green: 0.43, blue: 0.47)
    static let stripe = PDFCanvas.Color(red: 0.94, green: 0.95, blue: 0.97)
    static let rule = PDFCanvas.Color(red: 0.80, green: 0.81, blue: 0.84)

    /// A block of the flowed layout and how to draw it at a given top.
    struct Item {
        var block: ReportLayout.Block
        var outline: String?
        var draw: (PDFCanvas, Double) -> Void
    }

    /// A single resource's report.
    public static func render(_ data: ReportData) throws(PDFCanvasError) -> [UInt8] {
        var subject = "\(data.resource.type) \(data.resource.id)"
        if data.resource.displayName != data.resource.id { subject = data.resource.displayName + " (" + subject + ")" }
        let lines = [
            "Resource: " + subject,
            "Period: " + period(data.start, data.end),
            "Generated: " + ReportValueFormat.minute(data.generatedAt) + " by Pulse " + PulseVersion.current
                + " · \(data.totalPoints) data points",
        ]
        var items: [Item] = []
        items.append(sectionTitle("Summary", outline: "Summary"))
        let header = items.count
        items.append(tableHeader(SummaryTable.columns))
        for (index, series) in data.series.enumerated() {
            items.append(Item(block: .init(height: SummaryTable.rowHeight, repeatsHeader: header)) { canvas, y in
                SummaryTable.drawRow(series, striped: index % 2 == 1, on: canvas, y: y)
            })
        }
        if data.series.isEmpty || data.isEmpty {
            items.append(paragraph("No data was recorded for this resource in this period."))
        }
        let capacity = data.series.filter { $0.metric.capacity != nil && !$0.points.isEmpty }
        if !capacity.isEmpty {
            items.append(sectionTitle("Capacity", outline: nil))
            for series in capacity {
                var text = series.metric.displayName + ": "
                if let summary = series.summary { text += ReportValueFormat.human(summary.current, series.metric.unit) + " now" }
                if let trend = series.trend { text += ", trend " + ReportValueFormat.perDay(trend.slopePerDay, series.metric.unit) }
                text += " — " + (series.projection?.description ?? "not enough data")
                items.append(paragraph(text, height: 15))
            }
        }
        let charted = data.series.filter { !$0.points.isEmpty }
        if !charted.isEmpty {
            items.append(sectionTitle("Charts", outline: nil))
            for series in charted {
                let chart = PDFChart(series: series, start: data.start, end: data.end)
                items.append(Item(block: .init(height: PDFChart.height), outline: series.metric.labelWithUnit) { canvas, y in
                    chart.draw(on: canvas, x: margin, y: y, width: contentWidth)
                })
            }
        }
        return try document(title: data.title, subject: subject, generatedAt: data.generatedAt, header: lines,
                            items: items)
    }

    // MARK: Document

    /// Lays out `items` under the first page's header and draws every page with its footer.
    static func document(title: String, subject: String, generatedAt: Date, header: [String],
                         items: [Item]) throws(PDFCanvasError) -> [UInt8] {
        let canvas = try PDFCanvas(width: pageWidth, height: pageHeight,
                                   metadata: .init(title: title, subject: subject, created: generatedAt))
        let headerBottom = drawHeader(title: title, lines: header, on: canvas)
        let pages = ReportLayout.paginate(items.map(\.block), firstTop: headerBottom, top: contentTop, bottom: contentBottom)
        for (pageIndex, placements) in pages.enumerated() {
            if pageIndex > 0 { canvas.nextPage() }
            for placement in placements {
                let item = items[placement.block]
                if let outline = item.outline { canvas.addOutline(outline, page: pageIndex + 1, y: placement.y) }
                item.draw(canvas, placement.y)
            }
            drawFooter(title: title, page: pageIndex + 1, of: pages.count, on: canvas)
        }
        return try canvas.finish()
    }

    /// The first page's header; returns where content starts.
    static func drawHeader(title: String, lines: [String], on canvas: PDFCanvas) -> Double {
        canvas.fill(.init(x: 0, y: 0, width: pageWidth, height: 6), accent)
        canvas.text(canvas.fitted(title, maxWidth: contentWidth, size: 18, weight: .bold), x: margin, y: 46, size: 18,
                    weight: .bold, color: accent)
        var y = 66.0
        for line in lines {
            canvas.text(canvas.fitted(line, maxWidth: contentWidth, size: 9.5), x: margin, y: y, size: 9.5)
            y += 14
        }
        canvas.line(.init(x: margin, y: y - 4), .init(x: pageWidth - margin, y: y - 4), rule, width: 0.6)
        return y + 6
    }

    static func drawFooter(title: String, page: Int, of pages: Int, on canvas: PDFCanvas) {
        let y = pageHeight - 22
        canvas.line(.init(x: margin, y: y - 10), .init(x: pageWidth - margin, y: y - 10), rule, width: 0.4)
        canvas.text(canvas.fitted("Pulse · " + title, maxWidth: contentWidth - 80, size: 7.5), x: margin, y: y,
                    size: 7.5, color: muted)
        canvas.text("Page \(page) of \(pages)", x: pageWidth - margin, y: y, size: 7.5, color: muted, alignment: .right)
    }

    // MARK: Building blocks

    static func sectionTitle(_ text: String, outline: String?) -> Item {
        Item(block: .init(height: 26, keepWithNext: true), outline: outline) { canvas, y in
            canvas.text(text, x: margin, y: y + 17, size: 13, weight: .bold, color: accent)
        }
    }

    static func paragraph(_ text: String, height: Double = 20) -> Item {
        Item(block: .init(height: height)) { canvas, y in
            canvas.text(canvas.fitted(text, maxWidth: contentWidth, size: 9.5), x: margin, y: y + 11, size: 9.5)
        }
    }

    /// A table's header row: `columns` are (title, right edge or nil for left-aligned at x).
    static func tableHeader(_ columns: [TableColumn], size: Double = 8.5) -> Item {
        Item(block: .init(height: 18)) { canvas, y in
            canvas.fill(.init(x: margin, y: y, width: contentWidth, height: 18), accent)
            for column in columns {
                canvas.text(column.title, x: column.anchor, y: y + 12.5, size: size, weight: .bold, color: .white,
                            alignment: column.alignment)
            }
        }
    }

    static func period(_ start: Int64, _ end: Int64) -> String {
        ReportValueFormat.minute(Date(timeIntervalSince1970: Double(start))) + " – "
            + ReportValueFormat.minute(Date(timeIntervalSince1970: Double(end))) + " ("
            + ReportValueFormat.duration(end - start) + ")"
    }
}

/// A column of a report table.
struct TableColumn {
    var title: String
    /// The x the text is aligned to (its left edge or right edge).
    var anchor: Double
    var alignment: PDFCanvas.Alignment
    /// Room for the text, for shortening names that don't fit.
    var width: Double
}

/// The summary table of a single-resource report.
enum SummaryTable {
    static let rowHeight = 16.0

    static var columns: [TableColumn] {
        let left = PDFReportRenderer.margin
        let right = PDFReportRenderer.pageWidth - PDFReportRenderer.margin - 6
        let valueWidth = 64.0
        var columns = [TableColumn(title: "Metric", anchor: left + 6, alignment: .left, width: 125)]
        columns.append(TableColumn(title: "Count", anchor: right - 5 * valueWidth - 12, alignment: .right, width: 36))
        for (index, title) in ["Min", "Max", "Average", "P95", "Current"].enumerated() {
            columns.append(TableColumn(title: title, anchor: right - Double(4 - index) * valueWidth, alignment: .right,
                                       width: valueWidth - 6))
        }
        return columns
    }

    static func drawRow(_ series: ReportSeries, striped: Bool, on canvas: PDFCanvas, y: Double) {
        if striped {
            canvas.fill(.init(x: PDFReportRenderer.margin, y: y, width: PDFReportRenderer.contentWidth, height: rowHeight),
                        PDFReportRenderer.stripe)
        }
        let columns = self.columns
        let unit = series.metric.unit
        var cells = [series.metric.labelWithUnit]
        if let summary = series.summary {
            cells += [String(summary.count)] + [summary.min, summary.max, summary.average, summary.p95, summary.current]
                .map { ReportValueFormat.human($0, unit) }
        } else {
            cells += ["0", "–", "–", "–", "–", "–"]
        }
        for (column, cell) in zip(columns, cells) {
            let text = canvas.fitted(cell, maxWidth: column.width, size: 8.5)
            canvas.text(text, x: column.anchor, y: y + 11, size: 8.5, alignment: column.alignment)
        }
    }
}
