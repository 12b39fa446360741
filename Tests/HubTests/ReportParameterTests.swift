import Foundation
import PulseCommon
import Testing
@testable import PulseHub

@Suite struct ReportParameterTests {
    static let now = Date(timeIntervalSince1970: 1_796_396_400)  // 2026-12-04T15:00:00Z
    static let nowSeconds: Int64 = 1_796_396_400

    func parse(_ query: [String: String]) throws(ReportParameterError) -> ReportRequest {
        try ReportRequest.parse(query.lookup, now: Self.now)
    }

    func code(_ query: [String: String]) -> String? {
        do {
            _ = try parse(query)
            return nil
        } catch {
            return error.code
        }
    }

    @Test func defaults() throws {
        let request = try parse(["resourceType": "host", "resourceId": "h-1"])
        #expect(request.format == .pdf)
        #expect(request.target == .resource(type: "host", id: "h-1"))
        #expect(request.metric == nil)
        #expect(request.end == Self.nowSeconds + 1)
        #expect(request.end - request.start == 86_400)
        #expect(request.title == nil)
    }

    @Test func aliasesAndNamedRanges() throws {
        let request = try parse(["type": "vm", "id": "pve-node-101", "metric": "mem", "range": "7d", "format": "CSV",
                                 "title": "  Weekly  "])
        #expect(request.format == .csv)
        #expect(request.target == .resource(type: "vm", id: "pve-node-101"))
        #expect(request.metric == "memory")
        #expect(request.range == "7d")
        #expect(request.end - request.start == 604_800)
        #expect(request.title == "Weekly")
        #expect(try parse(["type": "host", "id": "h", "metricType": "avg"]).metric == nil)
        #expect(try parse(["type": "host", "id": "h", "metricType": "disk:/var"]).metric == "disk:/var")
        #expect(try parse(["resourceType": "host", "type": "host", "id": "h"]).target == .resource(type: "host", id: "h"))
        for (range, seconds) in [("1h", 3600), ("24h", 86_400), ("30d", 2_592_000)] {
            let parsed = try parse(["type": "host", "id": "h", "range": range])
            #expect(parsed.end - parsed.start == Int64(seconds))
        }
    }

    @Test func explicitPeriod() throws {
        let request = try parse(["type": "storage", "id": "local", "start": "2026-12-01T00:00:00Z",
                                 "end": "2026-12-02T12:30:00.5+02:00"])
        #expect(request.start == 1_796_083_200)
        #expect(request.end == 1_796_207_401)  // 10:30:00.5Z rounded up
        #expect(request.range == nil)
        let onlyStart = try parse(["type": "host", "id": "h", "start": "2026-12-04T14:00:00Z"])
        #expect(onlyStart.end == Self.nowSeconds + 1)
        let onlyEnd = try parse(["type": "host", "id": "h", "end": "2026-12-03T00:00:00Z"])
        #expect(onlyEnd.end - onlyEnd.start == 86_400)
    }

    @Test func fleet() throws {
        let request = try parse(["type": "fleet", "range": "24h"])
        #expect(request.target == .fleet)
        #expect(request.resourceID == "fleet")
        #expect(code(["type": "fleet", "metric": "cpu"]) == "invalid_parameter")
    }

    @Test(arguments: [
        (["resourceId": "h"], "missing_parameter"),
        (["type": "host"], "missing_parameter"),
        (["type": "host", "id": ""], "missing_parameter"),
        (["type": "guest", "id": "h"], "invalid_resource_type"),
        (["type": "HOST", "id": "h"], "invalid_resource_type"),
        (["type": "host", "resourceType": "vm", "id": "h"], "invalid_parameter"),
        (["type": "host", "id": "a", "resourceId": "b"], "invalid_parameter"),
        (["type": "host", "id": "h", "format": "xlsx"], "invalid_format"),
        (["type": "host", "id": "h", "range": "2y"], "invalid_range"),
        (["type": "host", "id": "h", "range": "1w"], "invalid_range"),
        (["type": "host", "id": "h", "range": "-1h"], "invalid_range"),
        (["type": "host", "id": "h", "range": "24h", "start": "2026-12-01T00:00:00Z"], "invalid_parameter"),
        (["type": "host", "id": "h", "start": "yesterday"], "invalid_time"),
        (["type": "host", "id": "h", "start": "2026-12-04"], "invalid_time"),
        (["type": "host", "id": "h", "start": "1696-01-01T00:00:00Z"], "invalid_time"),
        (["type": "host", "id": "h", "start": "2026-12-04T12:00:00Z", "end": "2026-12-04T11:00:00Z"], "invalid_time"),
        (["type": "host", "id": "h", "start": "2026-12-04T12:00:00Z", "end": "2026-12-04T12:00:00Z"], "invalid_time"),
        (["type": "host", "id": "h", "end": "2030-01-01T00:00:00Z"], "invalid_time"),
        (["type": "host", "id": "h", "start": "2000-01-01T00:00:00Z", "end": "2026-12-04T00:00:00Z"], "invalid_range"),
        (["type": "host", "id": "h", "start": "0001-01-01T00:00:00Z", "end": "9999-12-31T23:59:59Z"], "invalid_time"),
        (["type": "host", "id": "h", "start": String(repeating: "9", count: 10_000)], "invalid_time"),
        (["type": "host", "id": String(repeating: "x", count: 257)], "invalid_parameter"),
        (["type": "host", "id": "h\u{0}x"], "invalid_parameter"),
        (["type": "host", "id": "h\nSet-Cookie: x"], "invalid_parameter"),
        (["type": "host", "id": "h", "metric": "cpu\r\n"], "invalid_parameter"),
        (["type": "host", "id": "h", "metric": String(repeating: "m", count: 300)], "invalid_parameter"),
        (["type": "host", "id": "h", "title": String(repeating: "t", count: 201)], "invalid_parameter"),
    ] as [([String: String], String)])
    func badParametersAreRefused(_ query: [String: String], _ expected: String) {
        #expect(code(query) == expected, "\(query)")
    }

    @Test func titlesBecomeOneLine() throws {
        let request = try parse(["type": "host", "id": "h", "title": "a\nb\r\nc\u{2028}d\u{7F}e"])
        #expect(request.title == "a b  c d e")
        #expect(try parse(["type": "host", "id": "h", "title": "\n\t "]).title == nil)
        #expect(try parse(["type": "host", "id": "h", "title": String(repeating: "é", count: 200)]).title?.count == 200)
    }

    @Test func filenamesAreSanitized() {
        let day = Self.now
        #expect(ReportHandlers.filename(resourceID: "pve-node-101", date: day, format: .pdf) == "report-pve-node-101-20261204.pdf")
        #expect(ReportHandlers.filename(resourceID: "../../etc/passwd", date: day, format: .csv)
            == "report-.._.._etc_passwd-20261204.csv")
        #expect(ReportHandlers.filename(resourceID: "a\"; filename=evil.exe", date: day, format: .pdf)
            == "report-a___filename_evil.exe-20261204.pdf")
        #expect(ReportHandlers.filename(resourceID: "日本", date: day, format: .pdf) == "report-__-20261204.pdf")
        #expect(ReportHandlers.filename(resourceID: String(repeating: "x", count: 200), date: day, format: .pdf)
            == "report-" + String(repeating: "x", count: 64) + "-20261204.pdf")
        #expect(ReportHandlers.filename(resourceID: "", date: day, format: .pdf) == "report-resource-20261204.pdf")
    }

    @Test func stepsKeepSeriesSmall() {
        #expect(ReportBuilder.maxPoints(span: 3600) == 360)
        #expect(ReportBuilder.maxPoints(span: 86_400) == 1440)
        #expect(ReportBuilder.maxPoints(span: 604_800) == 1008)
        #expect(ReportBuilder.maxPoints(span: 366 * 86_400) <= 1500)
        #expect(ReportBuilder.maxPoints(span: 0) == 1)
    }
}
