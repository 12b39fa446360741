import Foundation
import PulseCommon

/// Writes reports as CSV (RFC 4180: CRLF line ends, fields quoted when they hold a comma, quote, CR or LF, quotes
/// doubled). Pure: the same data gives the same bytes.
///
/// Layout (hub-api section 8): comment rows (`# Pulse Metrics Report`, `# Title:`, `# Resource Type:`,
/// `# Resource ID:`, `# Resource Name:`, `# Period:`, `# Generated:`, `# Total Data Points:`), a blank row, a
/// `# SUMMARY` section (`Metric,Count,Min,Max,Average,Current,Unit` plus, added here, `P95,Trend per Day,Projection`),
/// a blank row, and a `# DATA` section (`Timestamp` in RFC 3339 plus one `<Display> (<unit>)` column per metric,
/// values `%.2f`, empty where a metric has no point at that time).
public enum CSVReportWriter {
    public static func write(_ data: ReportData) -> [UInt8] {
        var rows: [[String]] = [
            ["# Pulse Metrics Report"],
            ["# Title: " + data.title],
            ["# Resource Type: " + data.resource.type],
            ["# Resource ID: " + data.resource.id],
            ["# Resource Name: " + data.resource.displayName],
            ["# Period: " + time(data.start) + " to " + time(data.end)],
            ["# Generated: " + RFC3339.format(data.generatedAt)],
            ["# Total Data Points: " + String(data.totalPoints)],
        ]
        if data.isEmpty { rows.append(["# Note: No data was recorded for this resource in this period."]) }
        rows.append([])
        rows.append(["# SUMMARY"])
        rows.append(["Metric", "Count", "Min", "Max", "Average", "Current", "Unit", "P95", "Trend per Day", "Projection"])
        for series in data.series {
            let metric = series.metric
            var row = [guarded(metric.displayName)]
            if let summary = series.summary {
                row += [String(summary.count), summaryValue(summary.min, metric.unit), summaryValue(summary.max, metric.unit),
                        summaryValue(summary.average, metric.unit), summaryValue(summary.current, metric.unit),
                        metric.unit.symbol, summaryValue(summary.p95, metric.unit)]
            } else {
                row += ["0", "", "", "", "", metric.unit.symbol, ""]
            }
            row.append(series.trend.map { trendValue($0.slopePerDay, metric.unit) } ?? "")
            row.append(series.projection?.description ?? "")
            rows.append(row)
        }
        rows.append([])
        rows.append(["# DATA"])
        rows.append(["Timestamp"] + data.series.map { guarded($0.metric.labelWithUnit) })
        var table: [Int64: [String]] = [:]
        for (column, series) in data.series.enumerated() {
            for point in series.points where point.value.isFinite {
                table[point.timestamp, default: Array(repeating: "", count: data.series.count)][column] =
                    ReportValueFormat.number(point.value)
            }
        }
        for timestamp in table.keys.sorted() {
            rows.append([RFC3339.format(Date(unixMilliseconds: timestamp))] + table[timestamp]!)
        }
        return encode(rows)
    }

    /// A fleet report: the comment rows, then one `# SUMMARY` row per host and metric.
    public static func write(_ data: FleetReportData) -> [UInt8] {
        var rows: [[String]] = [
            ["# Pulse Fleet Report"],
            ["# Title: " + data.title],
            ["# Resource Type: fleet"],
            ["# Period: " + time(data.start) + " to " + time(data.end)],
            ["# Generated: " + RFC3339.format(data.generatedAt)],
            ["# Hosts: " + String(data.rows.count)],
        ]
        if data.rows.isEmpty { rows.append(["# Note: No hosts are known to this hub."]) }
        rows.append([])
        rows.append(["# SUMMARY"])
        rows.append(["Host", "Host ID", "Status", "Metric", "Count", "Min", "Max", "Average", "Current", "Unit", "P95",
                     "Projection"])
        for host in data.rows {
            for (name, summary) in [("cpu", host.cpu), ("memory", host.memory), ("disk", host.disk)] {
                let metric = ReportMetric(name)
                var row = [guarded(host.resource.displayName), guarded(host.resource.id), host.status, metric.displayName]
                if let summary {
                    row += [String(summary.count), summaryValue(summary.min, metric.unit),
                            summaryValue(summary.max, metric.unit), summaryValue(summary.average, metric.unit),
                            summaryValue(summary.current, metric.unit), metric.unit.symbol,
                            summaryValue(summary.p95, metric.unit)]
                } else {
                    row += ["0", "", "", "", "", metric.unit.symbol, ""]
                }
                row.append(name == "disk" ? host.diskProjection.description : "")
                rows.append(row)
            }
        }
        return encode(rows)
    }

    // MARK: Encoding

    /// Rows joined with CRLF, every field quoted when needed; control characters other than tab, CR and LF (which
    /// quoting carries) become spaces.
    public static func encode(_ rows: [[String]]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(rows.count * 48)
        for row in rows {
            for (index, field) in row.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                out += Array(quoted(printable(field)).utf8)
            }
            out += [13, 10]
        }
        return out
    }

    /// A field as RFC 4180 wants it: in double quotes, with quotes doubled, when it holds `,` `"` CR or LF.
    public static func quoted(_ field: String) -> String {
        guard field.contains(where: { $0 == "," || $0 == "\"" || $0 == "\r" || $0 == "\n" || $0 == "\r\n" }) else {
            return field
        }
        return "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    static func printable(_ field: String) -> String {
        guard field.unicodeScalars.contains(where: { $0.properties.generalCategory == .control && !"\t\r\n".unicodeScalars.contains($0) })
        else { return field }
        return String(String.UnicodeScalarView(field.unicodeScalars.map {
            $0.properties.generalCategory == .control && !"\t\r\n".unicodeScalars.contains($0) ? " " : $0
        }))
    }

    /// Text that a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, tab, CR first) gets a leading `'`.
    /// Used for names that come from agents; numbers are never guarded.
    public static func guarded(_ text: String) -> String {
        guard let first = text.unicodeScalars.first, "=+-@\t\r".unicodeScalars.contains(first) else { return text }
        return "'" + text
    }

    /// Summary cells: `%.2f`, byte units human-formatted.
    static func summaryValue(_ value: Double, _ unit: MetricUnit) -> String {
        unit.isBytes ? ReportValueFormat.human(value, unit) : ReportValueFormat.number(value)
    }

    /// The trend cell: signed, `%.2f`, byte units human-formatted (`+1.50 MiB/s`).
    static func trendValue(_ perDay: Double, _ unit: MetricUnit) -> String {
        guard unit.isBytes else { return ReportValueFormat.number(perDay) }
        let magnitude = ReportValueFormat.human(abs(perDay), unit)
        return perDay < 0 && ReportValueFormat.number(perDay) != "0.00" ? "-" + magnitude : magnitude
    }

    static func time(_ seconds: Int64) -> String { RFC3339.format(Date(timeIntervalSince1970: Double(seconds))) }
}
