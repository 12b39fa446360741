import Foundation
import PulseCommon
import Synchronization
import Testing
@testable import PulseHub

/// `GET /api/admin/reports/generate` through the router, on a hub whose metrics store has ingested host reports.
@Suite struct ReportAPITests {
    /// A hub with one host (`machine-1`, display name `Web One`) that reported six times, a minute apart, ending
    /// five minutes ago: CPU 10…60, memory 50 %, disk 70 % rising half a point per report.
    final class Fixture {
        let hub: TestHub
        let admin: String
        let reader: String
        var router: Router { hub.router }

        init(hosts: [(hostname: String, id: String, displayName: String?)] = [("web-1", "machine-1", "Web One")],
             extraReport: ((String, Date) throws -> String)? = nil) throws {
            hub = try TestHub()
            admin = try hub.token([.settingsRead])
            reader = try hub.token([.monitoringRead])
            let agent = try hub.token([.hostAgentReport])
            let now = Date()
            for host in hosts {
                for index in 0..<6 {
                    let at = now.addingTimeInterval(Double(index * 60 - 660))
                    let body = try extraReport?(host.id, at) ?? hostReportJSON(
                        hostname: host.hostname, id: host.id, displayName: host.displayName, at: at,
                        cpu: Double(10 + index * 10), memoryPercent: 50, diskPercent: 70 + Double(index) / 2)
                    let response = hub.send("POST", "/api/agents/host/report", token: agent, body: body)
                    guard response.status == 200 else { throw HarnessFailure("report refused: \(response.status)") }
                }
            }
            try hub.metrics.flush()
        }

        func get(_ query: [(String, String)], token: String? = nil) -> HTTPResponse {
            var headers: [String: String] = [:]
            headers["x-api-token"] = token ?? admin
            return router.respond(to: HTTPRequest(method: "GET", path: "/api/admin/reports/generate", query: query,
                                                  headers: headers))
        }

        /// The `report_generated` events in the audit log.
        var generated: [AuditEvent] {
            var query = AuditQuery()
            query.event = "report_generated"
            return (try? hub.audit.query(query).events) ?? []
        }

        var generatedCount: Int { generated.count }
    }

    static var today: String { ReportDates.compactDate(Int64(Date().timeIntervalSince1970)) }

    @Test func csvMatchesTheHistoryAPI() throws {
        let fixture = try Fixture()
        let response = fixture.get([("format", "csv"), ("type", "host"), ("id", "machine-1"), ("range", "1h")])
        #expect(response.status == 200, "\(String(decoding: response.body, as: UTF8.self))")
        #expect(response.header("Content-Type") == "text/csv; charset=utf-8")
        #expect(response.header("Content-Disposition") == "attachment; filename=\"report-machine-1-\(Self.today).csv\"")
        let rows = try CSVReader.parse(String(decoding: response.body, as: UTF8.self))
        #expect(rows.contains(["# Resource Name: Web One"]))
        #expect(rows.contains(["# Resource Type: host"]))
        let summaryAt = try #require(rows.firstIndex(of: ["# SUMMARY"]))
        #expect(rows[summaryAt + 2] == ["CPU", "6", "10.00", "60.00", "35.00", "60.00", "%", "57.50", rows[summaryAt + 2][8], ""])
        let dataAt = try #require(rows.firstIndex(of: ["# DATA"]))
        let header = rows[dataAt + 1]
        #expect(header.first == "Timestamp")
        #expect(header.contains("CPU (%)") && header.contains("Memory (%)") && header.contains("Disk (%)")
                && header.contains("Disk / (%)"))

        // Every value equals the history API's for the same range and resolution.
        for (metric, column) in [("cpu", "CPU (%)"), ("memory", "Memory (%)"), ("disk", "Disk (%)")] {
            let history = fixture.hub.send("GET", "/api/metrics-store/history", token: fixture.reader,
                                           query: [("resourceType", "host"), ("resourceId", "machine-1"),
                                                   ("metric", metric), ("range", "1h"), ("maxPoints", "360")])
            let points = try #require(history.object["points"] as? [[String: Any]])
            #expect(points.count == 6)
            let index = try #require(header.firstIndex(of: column))
            var csv: [String: String] = [:]
            for row in rows[(dataAt + 2)...] where !row[index].isEmpty { csv[row[0]] = row[index] }
            #expect(csv.count == points.count)
            for point in points {
                let timestamp = try #require(point["timestamp"] as? Int)
                let value = try #require(point["value"] as? Double)
                let key = RFC3339.format(Date(unixMilliseconds: Int64(timestamp)))
                #expect(csv[key] == ReportValueFormat.number(value), "\(metric) at \(key)")
            }
        }
        // Audited: who, from where, what.
        let events = fixture.generated
        #expect(events.count == 1)
        let event = try #require(events.first)
        #expect(event.success && event.path == "/api/admin/reports/generate")
        #expect(event.user?.hasPrefix("token:") == true, "\(event)")
        #expect(event.details?.hasPrefix("host machine-1 csv ") == true && event.details?.hasSuffix(" \(response.body.count) bytes") == true,
                "\(event)")
    }

    @Test func oneMetricOnly() throws {
        let fixture = try Fixture()
        let response = fixture.get([("format", "csv"), ("resourceType", "host"), ("resourceId", "machine-1"),
                                    ("metricType", "cpu"), ("range", "24h")])
        #expect(response.status == 200)
        let rows = try CSVReader.parse(String(decoding: response.body, as: UTF8.self))
        #expect(rows.contains(["Timestamp", "CPU (%)"]))
        #expect(rows.contains(["# Total Data Points: 6"]))
    }

    @Test func errors() throws {
        let fixture = try Fixture()
        func check(_ query: [(String, String)], _ status: Int, _ code: String) {
            let response = fixture.get(query)
            let body = response.object
            #expect(response.status == status, "\(query): \(body)")
            #expect(body["code"] as? String == code, "\(query): \(body)")
            #expect(body["error"] is String)
        }
        check([("type", "host"), ("id", "no-such-host")], 404, "resource_not_found")
        check([("type", "vm"), ("id", "machine-1")], 404, "resource_not_found")
        check([("type", "host"), ("id", "machine-1"), ("metric", "gpu")], 400, "unknown_metric")
        check([("type", "nope"), ("id", "machine-1")], 400, "invalid_resource_type")
        check([("type", "host"), ("id", "machine-1"), ("range", "9999d")], 400, "invalid_range")
        check([("type", "host"), ("id", "machine-1"), ("start", "2026-12-04T00:00:00Z"), ("end", "2026-12-03T00:00:00Z")],
              400, "invalid_time")
        check([("type", "host"), ("id", "machine-1"), ("format", "docx")], 400, "invalid_format")
        check([], 400, "missing_parameter")
        #expect(fixture.generatedCount == 0)

        // Access: settings:read for tokens, any credential otherwise refused.
        let denied = fixture.get([("type", "host"), ("id", "machine-1")], token: fixture.reader)
        #expect(denied.status == 403)
        #expect(denied.object as? [String: String] == ["error": "missing_scope", "requiredScope": "settings:read"])
        let anonymous = fixture.router.respond(to: HTTPRequest(method: "GET", path: "/api/admin/reports/generate",
                                                               query: [("type", "host"), ("id", "machine-1")]))
        #expect(anonymous.status == 401)
        let post = fixture.router.respond(to: HTTPRequest(method: "POST", path: "/api/admin/reports/generate",
                                                          headers: ["x-api-token": fixture.admin]))
        #expect(post.status == 405)
    }

    @Test func anEmptyPeriodIsAValidReport() throws {
        let fixture = try Fixture()
        let query = [("type", "host"), ("id", "machine-1"), ("start", "2026-01-01T00:00:00Z"), ("end", "2026-01-02T00:00:00Z")]
        let csv = fixture.get(query + [("format", "csv")])
        #expect(csv.status == 200)
        let rows = try CSVReader.parse(String(decoding: csv.body, as: UTF8.self))
        #expect(rows.contains(["# Note: No data was recorded for this resource in this period."]))
        #expect(rows.contains(["# Total Data Points: 0"]))
        let pdf = fixture.get(query)
        #expect(pdf.status == 200)
        #expect(pdf.header("Content-Type") == "application/pdf")
        #expect(pdf.body.starts(with: Array("%PDF-".utf8)))
        #expect(fixture.generatedCount == 2)
    }

    @Test func aHostWithoutMetricsYetGetsAnEmptyReport() throws {
        let hub = try TestHub()
        let agent = try hub.token([.hostAgentReport])
        // No CPU, memory or disks: the host exists but has no series.
        let body = #"{"host":{"hostname":"bare","id":"bare-1"},"timestamp":"\#(RFC3339.format(Date()))"}"#
        #expect(hub.send("POST", "/api/agents/host/report", token: agent, body: body).status == 200)
        try hub.metrics.flush()
        let response = hub.send("GET", "/api/admin/reports/generate", token: try hub.token([.settingsRead]),
                                query: [("type", "host"), ("id", "bare-1"), ("format", "csv")])
        #expect(response.status == 200)
        let text = String(decoding: response.body, as: UTF8.self)
        #expect(text.contains("# Note: No data was recorded"))
        #expect(text.contains("\r\nCPU,0,"))
    }

    @Test func fleetReport() throws {
        let fixture = try Fixture(hosts: [("web-1", "machine-1", "Web One"), ("db-1", "machine-2", nil)])
        let csv = fixture.get([("type", "fleet"), ("format", "csv"), ("range", "1h")])
        #expect(csv.status == 200)
        #expect(csv.header("Content-Disposition") == "attachment; filename=\"report-fleet-\(Self.today).csv\"")
        let rows = try CSVReader.parse(String(decoding: csv.body, as: UTF8.self))
        #expect(rows.contains(["# Hosts: 2"]))
        #expect(rows.contains(["Web One", "machine-1", "online", "CPU", "6", "10.00", "60.00", "35.00", "60.00", "%", "57.50", ""]))
        #expect(rows.contains { $0.count == 12 && $0[0] == "db-1" && $0[3] == "Disk" && $0[11].hasPrefix("full in ") })
        let pdf = fixture.get([("type", "fleet")])
        #expect(pdf.status == 200)
        #expect(pdf.body.starts(with: Array("%PDF-".utf8)))
    }

    @Test func pdfRenderingIsSafeOnManyThreadsAtOnce() throws {
        // Request threads render concurrently: cairo and fontconfig must cope.
        let data = CSVReportWriterTests.data()
        let results = Mutex<[Int]>([])
        DispatchQueue.concurrentPerform(iterations: 8) { _ in
            let bytes = (try? PDFReportRenderer.render(data)) ?? []
            let valid = bytes.starts(with: Array("%PDF-".utf8)) && String(decoding: bytes.suffix(16), as: UTF8.self).contains("%%EOF")
            results.withLock { $0.append(valid ? bytes.count : 0) }
        }
        let sizes = results.withLock { $0 }
        #expect(sizes.count == 8 && sizes.allSatisfy { $0 > 1000 }, "\(sizes)")
    }

    // MARK: PDF, checked with poppler-utils and qpdf

    @Test(.enabled(if: ExternalTool.pdfTestsEnabled, ExternalTool.skipReason))
    func pdfHasTheNumbersAndIsValid() throws {
        let fixture = try Fixture()
        let response = fixture.get([("type", "host"), ("id", "machine-1"), ("range", "1h"), ("title", "Ops, \"weekly\"\nreview")])
        #expect(response.status == 200)
        #expect(response.header("Content-Type") == "application/pdf")
        #expect(response.header("Content-Disposition") == "attachment; filename=\"report-machine-1-\(Self.today).pdf\"")
        let pdf = try PDFCheck(response.body)
        defer { pdf.remove() }
        let text = try pdf.text()
        for expected in ["Ops, \"weekly\" review", "Web One", "machine-1", "Summary", "CPU (%)", "Memory (%)", "Disk / (%)",
                         "10.00 %", "60.00 %", "35.00 %", "57.50 %", "50.00 %", "Capacity", "Trend", "Page 1 of"] {
            #expect(text.contains(expected), "pdftotext lacks \(expected.debugDescription)")
        }
        // The disk grows half a point a minute: it fills within a day.
        #expect(text.contains("full in less than a day"))
        let info = try pdf.info()
        #expect(info.contains("Author:") && info.contains("Pulse"))
        #expect(info.contains("Title:") && info.contains("Ops, \"weekly\" review"))
        #expect(info.contains("Creator:") && info.contains("CreationDate:"))
        try pdf.expectValidAndRendered()
    }

    @Test(.enabled(if: ExternalTool.pdfTestsEnabled, ExternalTool.skipReason))
    func longReportsTakeSeveralPages() throws {
        // Twelve temperature sensors and eight filesystems: more charts than fit on one page.
        let fixture = try Fixture(extraReport: { id, at in
            let base = try hostReportJSON(hostname: "big", id: id, displayName: "Big\u{0}box\n", at: at, cpu: 5,
                                          memoryPercent: 20, diskPercent: 40)
            guard var report = try JSONSerialization.jsonObject(with: Data(base.utf8)) as? [String: Any] else {
                throw HarnessFailure("not a JSON object")
            }
            report["sensors"] = ["temperatureCelsius": Dictionary(uniqueKeysWithValues: (0..<12).map { ("core\($0)", 40.0 + Double($0)) })]
            report["disks"] = (0..<8).map { index in
                ["device": "/dev/sd\(index)", "mountpoint": "/mnt/d\(index)", "type": "ext4",
                 "totalBytes": 100_000_000_000, "usedBytes": 10_000_000_000 * (index + 1)] as [String: Any]
            }
            return String(decoding: try JSONSerialization.data(withJSONObject: report), as: UTF8.self)
        })
        let response = fixture.get([("type", "host"), ("id", "machine-1"), ("range", "24h")])
        #expect(response.status == 200)
        let pdf = try PDFCheck(response.body)
        defer { pdf.remove() }
        let pages = try pdf.pageCount()
        #expect(pages >= 4, "expected several pages, got \(pages)")
        let text = try pdf.text()
        #expect(text.contains("Big box"))
        #expect(text.contains("Temperature core11 (°C)"))
        #expect(text.contains("Page \(pages) of \(pages)"))
        try pdf.expectValidAndRendered()
    }

    @Test(.enabled(if: ExternalTool.pdfTestsEnabled, ExternalTool.skipReason))
    func emptyAndFleetPDFsAreValid() throws {
        let fixture = try Fixture(hosts: [("web-1", "machine-1", "Web One"), ("db-1", "machine-2", nil)])
        let empty = try PDFCheck(fixture.get([("type", "host"), ("id", "machine-1"), ("start", "2026-01-01T00:00:00Z"),
                                              ("end", "2026-01-02T00:00:00Z")]).body)
        defer { empty.remove() }
        #expect(try empty.text().contains("No data was recorded for this resource in this period."))
        try empty.expectValidAndRendered()
        let fleet = try PDFCheck(fixture.get([("type", "fleet"), ("range", "1h")]).body)
        defer { fleet.remove() }
        let text = try fleet.text()
        for expected in ["Fleet report", "Web One", "machine-2", "db-1", "35.00 %", "57.50 %", "online"] {
            #expect(text.contains(expected), "fleet pdftotext lacks \(expected)")
        }
        try fleet.expectValidAndRendered()
    }
}

/// A PDF in a scratch directory, inspected with pdftotext, pdfinfo, pdffonts, pdftoppm and qpdf.
struct PDFCheck {
    let directory: ScratchDirectory
    let path: String

    init(_ bytes: [UInt8]) throws {
        directory = try ScratchDirectory()
        path = try directory.write("report.pdf", bytes)
        #expect(bytes.starts(with: Array("%PDF-".utf8)))
    }

    func remove() { directory.remove() }

    func text() throws -> String {
        let result = try ExternalTool.run("pdftotext", ["-layout", "-enc", "UTF-8", path, "-"])
        #expect(result.status == 0, "pdftotext: \(result.stderr)")
        return result.text
    }

    func info() throws -> String {
        let result = try ExternalTool.run("pdfinfo", ["-enc", "UTF-8", path])
        #expect(result.status == 0, "pdfinfo: \(result.stderr)")
        return result.text
    }

    func pageCount() throws -> Int {
        let line = try info().split(separator: "\n").first { $0.hasPrefix("Pages:") }
        return Int(line?.split(separator: " ").last ?? "") ?? 0
    }

    /// `qpdf --check` passes, every font is embedded, and `pdftoppm` renders every page to a PNG.
    func expectValidAndRendered() throws {
        let check = try ExternalTool.run("qpdf", ["--check", path])
        #expect(check.status == 0, "qpdf --check: \(check.text) \(check.stderr)")
        #expect(check.text.contains("No syntax or stream encoding errors"))
        let fonts = try ExternalTool.run("pdffonts", [path])
        let fontLines = fonts.text.split(separator: "\n").dropFirst(2)
        #expect(!fontLines.isEmpty)
        for line in fontLines {
            let columns = line.split(separator: " ", omittingEmptySubsequences: true)
            // Columns: name, type (may hold spaces), encoding, emb, sub, uni, object, ID: "emb" is fifth from the end.
            #expect(columns.count >= 7 && columns[columns.count - 5] == "yes", "font not embedded: \(line)")
        }
        let pages = try pageCount()
        #expect(pages >= 1)
        let render = try ExternalTool.run("pdftoppm", ["-r", "30", "-png", path, directory.path + "/page"])
        #expect(render.status == 0, "pdftoppm: \(render.stderr)")
        let images = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".png") }
        #expect(images.count == pages)
        for image in images {
            let size = (try FileManager.default.attributesOfItem(atPath: directory.path + "/" + image)[.size] as? Int) ?? 0
            #expect(size > 1000, "\(image) is suspiciously small")
        }
    }
}
