import Foundation
import PulseCommon
import Testing

/// Reports from the real `pulse-hub` binary over HTTP, after it ingested host reports into its metrics store: the
/// CSV agrees with the history API, and the PDF passes pdftotext, pdftoppm, pdffonts and qpdf.
@Suite struct ReportIntegrationTests {
    /// CPU 3, 8, … 98 % (20 reports a minute apart, the last one a minute ago), memory 40 %, disk 60 % + 0.25 a minute.
    static let cpu = (0..<20).map { 3 + 5 * Double($0) }

    static func report(at date: Date, index: Int) -> [UInt8] {
        let used = 60_000_000_000 + Int64(index) * 250_000_000
        let body = #"{"agent":{"id":"agent-r","type":"unified","intervalSeconds":60},"host":{"hostname":"reporter","id":"rep-1","displayName":"Reporting box"},"metrics":{"cpuUsagePercent":\#(cpu[index]),"memory":{"totalBytes":1000,"usedBytes":400}},"disks":[{"device":"/dev/vda1","mountpoint":"/","type":"ext4","totalBytes":100000000000,"usedBytes":\#(used)}],"timestamp":"\#(RFC3339.format(date))"}"#
        return Array(body.utf8)
    }

    /// A running hub with the 20 reports stored, and an admin (`settings:read`) and a reader token.
    static func startedHub() throws -> (HubProcess, admin: String, reader: String) {
        let hub = try HubProcess()
        do {
            try hub.start()
            let agent = try hub.createToken(name: "agent", scopes: "host-agent:report")
            let admin = try hub.createToken(name: "reports", scopes: "settings:read")
            let reader = try hub.createToken(name: "reader", scopes: "monitoring:read")
            let now = Date()
            for index in 0..<20 {
                let at = now.addingTimeInterval(Double(index * 60 - 1260))
                let response = try hub.request("POST", "/api/agents/host/report", token: agent, body: report(at: at, index: index))
                guard response.status == 200 else { throw HarnessError("report refused: \(response.status) \(response.text)") }
            }
            // The writer flushes every second; wait until the history shows every sample.
            let deadline = Date().addingTimeInterval(10)
            while Date() < deadline {
                let history = try hub.get("/api/metrics-store/history?resourceType=host&resourceId=rep-1&metric=cpu&range=1h",
                                          token: reader)
                if let object = try? JSONSerialization.jsonObject(with: Data(history.body)) as? [String: Any],
                   (object["points"] as? [Any])?.count == 20 { return (hub, admin, reader) }
                usleep(100_000)
            }
            throw HarnessError("the history never showed 20 points")
        } catch {
            hub.shutdown()
            throw error
        }
    }

    @Test func csvOverHTTPMatchesTheHistoryAPI() throws {
        let (hub, admin, reader) = try Self.startedHub()
        defer { hub.shutdown() }
        let response = try hub.get("/api/admin/reports/generate?format=csv&type=host&id=rep-1&range=1h&title=Ops%2C%20%22Q4%22",
                                   token: admin)
        #expect(response.status == 200, "\(response.text)")
        #expect(response.header("Content-Type") == "text/csv; charset=utf-8")
        let disposition = try #require(response.header("Content-Disposition"))
        #expect(disposition.hasPrefix("attachment; filename=\"report-rep-1-") && disposition.hasSuffix(".csv\""))
        let rows = try ReportCSV.parse(response.text)
        #expect(rows[0] == ["# Pulse Metrics Report"])
        #expect(rows[1] == ["# Title: Ops, \"Q4\""])
        #expect(rows.contains(["# Resource Name: Reporting box"]))
        #expect(rows.contains(["CPU", "20", "3.00", "98.00", "50.50", "98.00", "%", "93.25",
                               rows.first { $0.first == "CPU" }?[8] ?? "", ""]))
        let dataAt = try #require(rows.firstIndex(of: ["# DATA"]))
        let header = rows[dataAt + 1]
        for (metric, column) in [("cpu", "CPU (%)"), ("memory", "Memory (%)"), ("disk", "Disk (%)"), ("disk:/", "Disk / (%)")] {
            let history = try hub.get("/api/metrics-store/history?resourceType=host&resourceId=rep-1&metric=\(metric)&range=1h&maxPoints=360",
                                      token: reader)
            let object = try #require(try JSONSerialization.jsonObject(with: Data(history.body)) as? [String: Any])
            let points = try #require(object["points"] as? [[String: Any]])
            #expect(points.count == 20, "\(metric): \(points.count) points")
            let index = try #require(header.firstIndex(of: column), "no column \(column) in \(header)")
            var csv: [String: String] = [:]
            for row in rows[(dataAt + 2)...] where row.count == header.count && !row[index].isEmpty { csv[row[0]] = row[index] }
            #expect(csv.count == points.count, "\(metric)")
            for point in points {
                let timestamp = try #require((point["timestamp"] as? NSNumber)?.int64Value)
                let value = try #require((point["value"] as? NSNumber)?.doubleValue)
                let key = RFC3339.format(Date(timeIntervalSince1970: Double(timestamp) / 1000))
                #expect(csv[key] == String(format: "%.2f", value), "\(metric) at \(key)")
            }
        }
        // Errors over the wire.
        #expect(try hub.get("/api/admin/reports/generate?type=host&id=nobody", token: admin).status == 404)
        #expect(try hub.get("/api/admin/reports/generate?type=host&id=rep-1&range=5y", token: admin).status == 400)
        #expect(try hub.get("/api/admin/reports/generate?type=host&id=rep-1", token: reader).status == 403)
        #expect(try hub.get("/api/admin/reports/generate?type=host&id=rep-1").status == 401)
    }

    @Test(.enabled(if: ReportTools.pdfTestsEnabled, ReportTools.skipReason))
    func pdfOverHTTPPassesThePDFTools() throws {
        let (hub, admin, _) = try Self.startedHub()
        defer { hub.shutdown() }
        let scratch = hub.root + "/pdf"
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        for (name, query) in [("host", "type=host&id=rep-1&range=1h"), ("fleet", "type=fleet&range=24h"),
                              ("week", "resourceType=host&resourceId=rep-1&range=7d&metricType=avg")] {
            let response = try hub.get("/api/admin/reports/generate?" + query, token: admin)
            #expect(response.status == 200, "\(name): \(response.text.prefix(300))")
            #expect(response.header("Content-Type") == "application/pdf")
            #expect(response.body.starts(with: Array("%PDF-".utf8)))
            let path = scratch + "/\(name).pdf"
            try Data(response.body).write(to: URL(fileURLWithPath: path))

            let check = try ReportTools.run("qpdf", ["--check", path])
            #expect(check.status == 0, "\(name): qpdf --check: \(check.text) \(check.stderr)")
            let info = try ReportTools.run("pdfinfo", [path]).text
            #expect(info.contains("Pulse"), "\(name): \(info)")
            let pages = Int(info.split(separator: "\n").first { $0.hasPrefix("Pages:") }?.split(separator: " ").last ?? "") ?? 0
            #expect(pages >= 1)
            let render = try ReportTools.run("pdftoppm", ["-r", "30", "-png", path, scratch + "/\(name)-page"])
            #expect(render.status == 0, "\(name): pdftoppm: \(render.stderr)")
            let images = try FileManager.default.contentsOfDirectory(atPath: scratch)
                .filter { $0.hasPrefix("\(name)-page") && $0.hasSuffix(".png") }
            #expect(images.count == pages, "\(name): \(images.count) images for \(pages) pages")
            // Every font embedded: pdffonts' "emb" column (fifth from the end; the type may hold spaces) says yes.
            let fonts = try ReportTools.run("pdffonts", [path]).text
            let fontLines = fonts.split(separator: "\n").dropFirst(2)
            #expect(!fontLines.isEmpty && fonts.contains("DejaVuSans"), "\(name): \(fonts)")
            for line in fontLines {
                let columns = line.split(separator: " ")
                #expect(columns.count >= 7 && columns[columns.count - 5] == "yes", "\(name): font not embedded: \(line)")
            }

            let text = try ReportTools.run("pdftotext", ["-layout", "-enc", "UTF-8", path, "-"]).text
            #expect(text.contains("Reporting box"), "\(name)")
            switch name {
            case "host":
                for expected in ["rep-1", "CPU (%)", "Disk / (%)", "3.00 %", "98.00 %", "50.50 %", "93.25 %", "40.00 %",
                                 "full in"] {
                    #expect(text.contains(expected), "\(name) pdftotext lacks \(expected)")
                }
            case "week":
                // Hourly buckets over a week: the averages merge, the raw extremes stay.
                for expected in ["rep-1", "CPU (%)", "3.00 %", "98.00 %", "40.00 %", "7 days"] {
                    #expect(text.contains(expected), "\(name) pdftotext lacks \(expected)")
                }
            default:
                for expected in ["Fleet report", "50.50 %", "93.25 %", "98.00 %", "online"] {
                    #expect(text.contains(expected), "fleet pdftotext lacks \(expected)")
                }
            }
        }
    }
}

/// The PDF tools (poppler-utils, qpdf): tests that need them are skipped when they are missing, except in CI (`CI`
/// set), where `scripts/setup-deps.sh test` installs them and a missing one fails.
enum ReportTools {
    static let names = ["pdftotext", "pdftoppm", "pdfinfo", "pdffonts", "qpdf"]
    static var pdfTestsEnabled: Bool {
        !(ProcessInfo.processInfo.environment["CI"] ?? "").isEmpty || names.allSatisfy { path($0) != nil }
    }
    static let skipReason: Comment = "poppler-utils and qpdf are not installed (scripts/setup-deps.sh test installs them; in CI they are required)"

    static func path(_ name: String) -> String? {
        (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":")
            .map { "\($0)/\(name)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    struct Result {
        let status: Int32
        let text: String
        let stderr: String
    }

    /// Runs a tool with output to temporary files, at most 60 s.
    static func run(_ name: String, _ arguments: [String]) throws -> Result {
        guard let executable = path(name) else { throw HarnessError("\(name) is not installed; run scripts/setup-deps.sh test") }
        let base = NSTemporaryDirectory() + "pulse-it-tool-" + UUID().uuidString
        defer { for suffix in [".out", ".err"] { try? FileManager.default.removeItem(atPath: base + suffix) } }
        FileManager.default.createFile(atPath: base + ".out", contents: nil)
        FileManager.default.createFile(atPath: base + ".err", contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardInput = FileHandle(forReadingAtPath: "/dev/null")
        process.standardOutput = FileHandle(forWritingAtPath: base + ".out")
        process.standardError = FileHandle(forWritingAtPath: base + ".err")
        try process.run()
        let deadline = Date().addingTimeInterval(60)
        while process.isRunning, Date() < deadline { usleep(10_000) }
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
            throw HarnessError("\(name) did not finish within 60 s")
        }
        return Result(status: process.terminationStatus,
                      text: (try? String(contentsOfFile: base + ".out", encoding: .utf8)) ?? "",
                      stderr: (try? String(contentsOfFile: base + ".err", encoding: .utf8)) ?? "")
    }
}

/// A small RFC 4180 reader for the report CSV (quoted fields, doubled quotes, CRLF).
enum ReportCSV {
    static func parse(_ text: String) throws -> [[String]] {
        var rows: [[String]] = [], row: [String] = [], field = ""
        var quoted = false, afterQuote = false
        var scalars = Array(text.unicodeScalars)[...]
        while let scalar = scalars.popFirst() {
            if quoted {
                if scalar == "\"" {
                    if scalars.first == "\"" {
                        scalars.removeFirst()
                        field.unicodeScalars.append("\"")
                    } else {
                        quoted = false
                        afterQuote = true
                    }
                } else {
                    field.unicodeScalars.append(scalar)
                }
                continue
            }
            switch scalar {
            case "\"":
                guard field.isEmpty, !afterQuote else { throw HarnessError("stray quote in CSV field \(field)") }
                quoted = true
            case ",":
                row.append(field)
                field = ""
                afterQuote = false
            case "\r":
                continue
            case "\n":
                row.append(field)
                rows.append(row == [""] ? [] : row)
                row = []
                field = ""
                afterQuote = false
            default:
                guard !afterQuote else { throw HarnessError("text after a closing quote in CSV") }
                field.unicodeScalars.append(scalar)
            }
        }
        guard !quoted else { throw HarnessError("unterminated quoted CSV field") }
        if !field.isEmpty || !row.isEmpty { rows.append(row + [field]) }
        return rows
    }
}
