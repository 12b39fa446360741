import Foundation
import Testing
@testable import PulseHub

@Suite struct CSVReportWriterTests {
    static let start: Int64 = 1_796_392_800  // 2026-12-04T14:00:00Z

    static func data(title: String = "Weekly", displayName: String = "web-1", series: [ReportSeries]? = nil) -> ReportData {
        var cpu = points([10, 20, 30, 40], start: start, step: 60)
        cpu[1].min = 5
        cpu[1].max = 25
        let disk = points([50, 51, 52], start: start, step: 120)
        let net = points([1024, 2048, 1_572_864], start: start + 60, step: 60)
        return ReportData(title: title, resource: ReportResource(type: "host", id: "h-1", displayName: displayName),
                          start: start, end: start + 3600, generatedAt: Date(timeIntervalSince1970: Double(start + 3600)),
                          series: series ?? [ReportSeries(metric: ReportMetric("cpu"), points: cpu),
                                             ReportSeries(metric: ReportMetric("disk"), points: disk),
                                             ReportSeries(metric: ReportMetric("netin"), points: net)])
    }

    func parse(_ bytes: [UInt8]) throws -> [[String]] {
        try CSVReader.parse(String(decoding: bytes, as: UTF8.self))
    }

    @Test func layoutFollowsTheSpec() throws {
        let bytes = CSVReportWriter.write(Self.data())
        let text = String(decoding: bytes, as: UTF8.self)
        #expect(text.hasPrefix("# Pulse Metrics Report\r\n# Title: Weekly\r\n# Resource Type: host\r\n# Resource ID: h-1\r\n"))
        #expect(text.contains("# Period: 2026-12-04T14:00:00Z to 2026-12-04T15:00:00Z\r\n"))
        #expect(text.contains("# Generated: 2026-12-04T15:00:00Z\r\n"))
        #expect(text.contains("# Total Data Points: 10\r\n\r\n# SUMMARY\r\n"))
        #expect(!text.contains("\n\n") && !text.replacingOccurrences(of: "\r\n", with: "").contains("\n"))

        let rows = try parse(bytes)
        let summaryAt = try #require(rows.firstIndex(of: ["# SUMMARY"]))
        #expect(rows[summaryAt + 1] == ["Metric", "Count", "Min", "Max", "Average", "Current", "Unit", "P95",
                                        "Trend per Day", "Projection"])
        #expect(rows[summaryAt + 2] == ["CPU", "4", "5.00", "40.00", "25.00", "40.00", "%", "38.50", "14400.00", ""])
        #expect(rows[summaryAt + 3][0] == "Disk")
        #expect(rows[summaryAt + 3][9].hasPrefix("full in "))
        // Byte units human-formatted in the summary.
        #expect(rows[summaryAt + 4] == ["Network in", "3", "1.00 KiB/s", "1.50 MiB/s", "513.00 KiB/s", "1.50 MiB/s",
                                        "B/s", "1.35 MiB/s", "1.05 GiB/s", ""])
        #expect(rows[summaryAt + 5] == [])
        #expect(rows[summaryAt + 6] == ["# DATA"])
        #expect(rows[summaryAt + 7] == ["Timestamp", "CPU (%)", "Disk (%)", "Network in (B/s)"])
        let data = Array(rows[(summaryAt + 8)...])
        #expect(data.count == 5)  // 14:00 … 14:04
        #expect(data[0] == ["2026-12-04T14:00:00Z", "10.00", "50.00", ""])
        #expect(data[1] == ["2026-12-04T14:01:00Z", "20.00", "", "1024.00"])
        #expect(data[2] == ["2026-12-04T14:02:00Z", "30.00", "51.00", "2048.00"])
        #expect(data[3] == ["2026-12-04T14:03:00Z", "40.00", "", "1572864.00"])
        #expect(data[4] == ["2026-12-04T14:04:00Z", "", "52.00", ""])
    }

    static let hostileTitles = [
        "Q4, \"final\" report",
        "line one\nline two\r\nline three",
        "=HYPERLINK(\"http://evil\")",
        "comma,comma,,\"\"",
        "tab\there\u{0}nul",
        "日本語のレポート — ünïcödé",
    ]

    @Test(arguments: hostileTitles)
    func hostileTitlesStayInOneField(_ title: String) throws {
        // The request parser makes titles one line; the writer must still quote whatever it gets.
        let request = try ReportRequest.parse(["type": "host", "id": "h-1", "title": title].lookup, now: Date())
        let cleaned = try #require(request.title)
        #expect(!cleaned.contains("\n") && !cleaned.contains("\r") && !cleaned.contains("\u{0}"))
        for written in [cleaned, title] {
            let bytes = CSVReportWriter.write(Self.data(title: written, displayName: written))
            let rows = try parse(bytes)
            let expected = written.replacingOccurrences(of: "\u{0}", with: " ")  // NUL never reaches the output
            #expect(rows[1] == ["# Title: " + expected])
            #expect(rows[4] == ["# Resource Name: " + expected])
            #expect(rows.firstIndex(of: ["# SUMMARY"]) == 9)
            if let python = try pythonRows(bytes) { #expect(python == rows) }
        }
    }

    @Test func fieldQuoting() {
        #expect(CSVReportWriter.quoted("plain") == "plain")
        #expect(CSVReportWriter.quoted("a,b") == "\"a,b\"")
        #expect(CSVReportWriter.quoted("say \"hi\"") == "\"say \"\"hi\"\"\"")
        #expect(CSVReportWriter.quoted("two\nlines") == "\"two\nlines\"")
        #expect(CSVReportWriter.quoted("cr\r\nlf") == "\"cr\r\nlf\"")
        #expect(CSVReportWriter.quoted("") == "")
        #expect(CSVReportWriter.guarded("=1+1") == "'=1+1")
        #expect(CSVReportWriter.guarded("@SUM(A1)") == "'@SUM(A1)")
        #expect(CSVReportWriter.guarded("-cmd") == "'-cmd")
        #expect(CSVReportWriter.guarded("CPU") == "CPU")
    }

    @Test func formulaLikeMetricNamesAreGuarded() throws {
        let series = [ReportSeries(metric: ReportMetric("=cmd|' /C calc'!A0"), points: points([1], start: Self.start))]
        let rows = try parse(CSVReportWriter.write(Self.data(series: series)))
        let summaryAt = try #require(rows.firstIndex(of: ["# SUMMARY"]))
        #expect(rows[summaryAt + 2][0] == "'=cmd|' /C calc'!A0")
        #expect(rows.last?.first == "2026-12-04T14:00:00Z")
        #expect(rows.contains(["Timestamp", "'=cmd|' /C calc'!A0"]))
    }

    @Test func anEmptyPeriodSaysSo() throws {
        let series = [ReportSeries(metric: ReportMetric("cpu"), points: []), ReportSeries(metric: ReportMetric("disk"), points: [])]
        let rows = try parse(CSVReportWriter.write(Self.data(series: series)))
        #expect(rows.contains(["# Total Data Points: 0"]))
        #expect(rows.contains(["# Note: No data was recorded for this resource in this period."]))
        #expect(rows.contains(["CPU", "0", "", "", "", "", "%", "", "", ""]))
        #expect(rows.contains(["Disk", "0", "", "", "", "", "%", "", "", "not enough data"]))
        #expect(rows.last == ["Timestamp", "CPU (%)", "Disk (%)"])
    }

    @Test func fleetLayout() throws {
        let summary = MetricSummary(count: 3, min: 1, max: 9, average: 5, p95: 8.5, current: 7)
        let rows = [
            FleetReportRow(resource: ReportResource(type: "host", id: "a", displayName: "alpha, \"one\""), status: "online",
                           cpu: summary, memory: summary, disk: summary, diskProjection: .fillsIn(days: 12)),
            FleetReportRow(resource: ReportResource(type: "host", id: "b", displayName: "-beta"), status: "offline",
                           cpu: nil, memory: nil, disk: nil, diskProjection: .insufficientData),
        ]
        let data = FleetReportData(title: "Fleet", start: Self.start, end: Self.start + 86_400,
                                   generatedAt: Date(timeIntervalSince1970: Double(Self.start)), rows: rows)
        let parsed = try parse(CSVReportWriter.write(data))
        #expect(parsed[0] == ["# Pulse Fleet Report"])
        #expect(parsed.contains(["# Hosts: 2"]))
        let header = try #require(parsed.firstIndex(of: ["Host", "Host ID", "Status", "Metric", "Count", "Min", "Max",
                                                         "Average", "Current", "Unit", "P95", "Projection"]))
        #expect(parsed[header + 1] == ["alpha, \"one\"", "a", "online", "CPU", "3", "1.00", "9.00", "5.00", "7.00", "%", "8.50", ""])
        #expect(parsed[header + 3] == ["alpha, \"one\"", "a", "online", "Disk", "3", "1.00", "9.00", "5.00", "7.00", "%", "8.50",
                                       "full in 12 days"])
        #expect(parsed[header + 4] == ["'-beta", "b", "offline", "CPU", "0", "", "", "", "", "%", "", ""])
        #expect(parsed.count == header + 7)
    }

    @Test func readerRejectsMalformedCSV() {
        #expect(throws: CSVReader.Malformed.self) { try CSVReader.parse("a,\"b\nc") }
        #expect(throws: CSVReader.Malformed.self) { try CSVReader.parse("a,b\"c\r\n") }
        #expect(throws: CSVReader.Malformed.self) { try CSVReader.parse("\"a\"b\r\n") }
        #expect((try? CSVReader.parse("a,\"b,\"\"c\"\"\"\r\n\r\nd\r\n")) == [["a", "b,\"c\""], [], ["d"]])
    }

    /// The same bytes through Python's csv module (strict), when python3 is installed.
    func pythonRows(_ bytes: [UInt8]) throws -> [[String]]? {
        guard ExternalTool.path("python3") != nil else { return nil }
        let script = """
        import csv, io, json, sys
        text = io.TextIOWrapper(sys.stdin.buffer, encoding="utf-8", newline="")
        print(json.dumps([row for row in csv.reader(text, strict=True)]))
        """
        let result = try ExternalTool.run("python3", ["-c", script], stdin: bytes)
        #expect(result.status == 0, "python3 csv: \(result.stderr)")
        return try JSONSerialization.jsonObject(with: Data(result.stdout)) as? [[String]]
    }
}

extension Dictionary where Key == String, Value == String {
    /// A query-parameter lookup for `ReportRequest.parse`.
    var lookup: (String) -> String? { { self[$0] } }
}
