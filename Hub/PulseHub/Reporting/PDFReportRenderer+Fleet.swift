import Foundation
import PulseCommon

/// The fleet report: every host's CPU, memory and disk summary in one table.
extension PDFReportRenderer {
    public static func render(_ data: FleetReportData) throws(PDFCanvasError) -> [UInt8] {
        let online = data.rows.filter { $0.status == "online" }.count
        let lines = [
            "Resource: every host (\(data.rows.count) \(data.rows.count == 1 ? "host" : "hosts"), \(online) online)",
            "Period: " + period(data.start, data.end),
            "Generated: " + ReportValueFormat.minute(data.generatedAt) + " by Pulse " + PulseVersion.current,
        ]
        var items: [Item] = [sectionTitle("Hosts", outline: "Hosts")]
        let header = items.count
        items.append(tableHeader(FleetTable.columns, size: 7))
        for (index, row) in data.rows.enumerated() {
            items.append(Item(block: .init(height: FleetTable.rowHeight, repeatsHeader: header)) { canvas, y in
                FleetTable.drawRow(row, striped: index % 2 == 1, on: canvas, y: y)
            })
        }
        if data.rows.isEmpty {
            items.append(paragraph("No hosts are known to this hub."))
        } else {
            items.append(paragraph("CPU and memory: average, 95th percentile and maximum over the period.", height: 16))
            items.append(paragraph("Disk: the root filesystem (else the fullest) now, and when it fills at its trend.",
                                   height: 16))
        }
        return try document(title: data.title, subject: "fleet", generatedAt: data.generatedAt, header: lines,
                            items: items)
    }
}

/// The fleet table: host, status, CPU avg/p95/max, memory avg/max, disk now and its projection.
enum FleetTable {
    static let rowHeight = 24.0

    static var columns: [TableColumn] {
        let left = PDFReportRenderer.margin
        let valuesStart = left + 160
        let valueWidth = 42.0
        var columns = [TableColumn(title: "Host", anchor: left + 6, alignment: .left, width: 110),
                       TableColumn(title: "Status", anchor: left + 120, alignment: .left, width: 38)]
        let titles = ["CPU avg", "CPU p95", "CPU max", "Mem avg", "Mem max", "Disk"]
        for (index, title) in titles.enumerated() {
            columns.append(TableColumn(title: title, anchor: valuesStart + Double(index + 1) * valueWidth,
                                       alignment: .right, width: valueWidth - 3))
        }
        columns.append(TableColumn(title: "Disk outlook", anchor: valuesStart + 6 * valueWidth + 8, alignment: .left,
                                   width: PDFReportRenderer.contentWidth - 160 - 6 * valueWidth - 12))
        return columns
    }

    static func drawRow(_ row: FleetReportRow, striped: Bool, on canvas: PDFCanvas, y: Double) {
        if striped {
            canvas.fill(.init(x: PDFReportRenderer.margin, y: y, width: PDFReportRenderer.contentWidth, height: rowHeight),
                        PDFReportRenderer.stripe)
        }
        let columns = self.columns
        func percent(_ value: Double?) -> String { value.map { ReportValueFormat.human($0, .percent) } ?? "–" }
        let cells = [row.resource.displayName, row.status,
                     percent(row.cpu?.average), percent(row.cpu?.p95), percent(row.cpu?.max),
                     percent(row.memory?.average), percent(row.memory?.max), percent(row.disk?.current),
                     row.disk == nil ? "–" : row.diskProjection.description]
        for (column, cell) in zip(columns, cells) {
            canvas.text(canvas.fitted(cell, maxWidth: column.width, size: 8), x: column.anchor, y: y + 10, size: 8,
                        color: column.title == "Status" && cell != "online" ? PDFChart.trendColor : .black,
                        alignment: column.alignment)
        }
        // The id under the name, so hosts with the same display name can be told apart.
        canvas.text(canvas.fitted(row.resource.id, maxWidth: columns[0].width, size: 6.5), x: columns[0].anchor,
                    y: y + 19, size: 6.5, color: PDFReportRenderer.muted)
    }
}
