import Foundation
import PulseCommon

/// The output format of a report.
public enum ReportFormat: String, Sendable, Equatable {
    case pdf, csv

    public var contentType: String {
        switch self {
        case .pdf: return "application/pdf"
        case .csv: return "text/csv; charset=utf-8"
        }
    }
}

/// What a report is about: one resource's series, or every host's summary.
public enum ReportTarget: Sendable, Equatable {
    case resource(type: String, id: String)
    case fleet
}

/// A validated `GET /api/admin/reports/generate` request.
public struct ReportRequest: Sendable, Equatable {
    public var format: ReportFormat
    public var target: ReportTarget
    /// One stored metric name, or `nil` for every metric of the resource (`metric=avg` or none given).
    public var metric: String?
    /// Unix seconds, inclusive.
    public var start: Int64
    /// Unix seconds, exclusive.
    public var end: Int64
    /// The `range` parameter when the period came from one (`7d`), else `nil`.
    public var range: String?
    /// The caller's title, one line, or `nil` for the default.
    public var title: String?

    public init(format: ReportFormat = .pdf, target: ReportTarget, metric: String? = nil, start: Int64, end: Int64,
                range: String? = nil, title: String? = nil) {
        self.format = format
        self.target = target
        self.metric = metric
        self.start = start
        self.end = end
        self.range = range
        self.title = title
    }

    /// The resource type (`fleet` for a fleet report).
    public var resourceType: String {
        if case .resource(let type, _) = target { return type }
        return "fleet"
    }

    /// The resource id (`fleet` for a fleet report).
    public var resourceID: String {
        if case .resource(_, let id) = target { return id }
        return "fleet"
    }
}

/// Why the parameters of a report request were refused (a 400 with this code and message).
public struct ReportParameterError: Error, Equatable, Sendable {
    public var code: String
    public var message: String

    init(_ code: String, _ message: String) {
        self.code = code
        self.message = message
    }
}

extension ReportRequest {
    /// Resource types a report can be about (the metrics store's names, plus `fleet`).
    public static let resourceTypes: Set<String> = ["node", "vm", "container", "storage", "host", "dockerHost",
                                                     "dockerContainer"]
    /// Named ranges and their length in seconds.
    public static let ranges: [String: Int64] = ["1h": 3600, "6h": 21_600, "12h": 43_200, "24h": 86_400, "1d": 86_400,
                                                 "7d": 604_800, "30d": 2_592_000, "90d": 7_776_000]
    /// The longest period a report may cover.
    public static let maximumSpan: Int64 = 366 * 86_400
    /// The latest end accepted, relative to now (a small clock skew is fine, a report of next year is not).
    static let maximumFuture: Int64 = 86_400
    static let maximumTitleLength = 200
    static let maximumNameLength = 256

    /// Parses and validates the query parameters; `value(name)` returns a parameter's first value. Pure.
    ///
    /// `format` `pdf` (default) or `csv`; `resourceType`/`type` and `resourceId`/`id` (not for `type=fleet`);
    /// `metricType`/`metric` (a stored name, `mem` for `memory`, or `avg`/empty for all); `range` or `start`/`end`
    /// (RFC 3339; the default is the 24 hours up to now); `title`.
    public static func parse(_ value: (String) -> String?, now: Date) throws(ReportParameterError) -> ReportRequest {
        let formatText = (value("format") ?? "").lowercased()
        let format: ReportFormat
        switch formatText {
        case "", "pdf": format = .pdf
        case "csv": format = .csv
        default: throw ReportParameterError("invalid_format", "format must be pdf or csv")
        }

        let type = try aliased(value, "resourceType", "type") ?? ""
        let target: ReportTarget
        if type == "fleet" {
            target = .fleet
        } else {
            guard !type.isEmpty else { throw ReportParameterError("missing_parameter", "resourceType is required") }
            guard resourceTypes.contains(type) else {
                throw ReportParameterError("invalid_resource_type", "unknown resourceType; use one of "
                                           + (resourceTypes.sorted() + ["fleet"]).joined(separator: ", "))
            }
            guard let id = try aliased(value, "resourceId", "id"), !id.isEmpty else {
                throw ReportParameterError("missing_parameter", "resourceId is required")
            }
            try checkName(id, "resourceId")
            target = .resource(type: type, id: id)
        }

        var metric = try aliased(value, "metricType", "metric")
        if let name = metric {
            try checkName(name, "metric")
            switch name {
            case "", "avg", "all": metric = nil
            case "mem": metric = "memory"
            default: break
            }
        }
        if target == .fleet, metric != nil {
            throw ReportParameterError("invalid_parameter", "a fleet report covers cpu, memory and disk; omit metric")
        }

        let (start, end, range) = try period(value, now: now)

        var title: String?
        if let text = value("title") {
            let line = String(String.UnicodeScalarView(text.unicodeScalars.map {
                $0.properties.generalCategory == .control || $0 == "\u{2028}" || $0 == "\u{2029}" ? " " : $0
            })).trimmingCharacters(in: .whitespaces)
            guard line.count <= maximumTitleLength else {
                throw ReportParameterError("invalid_parameter", "title must be at most \(maximumTitleLength) characters")
            }
            title = line.isEmpty ? nil : line
        }
        return ReportRequest(format: format, target: target, metric: metric, start: start, end: end, range: range,
                             title: title)
    }

    /// `[start, end)` in unix seconds, and the range name when one was given.
    static func period(_ value: (String) -> String?, now: Date) throws(ReportParameterError) -> (Int64, Int64, String?) {
        let nowSeconds = Int64(now.timeIntervalSince1970.rounded(.down))
        let startText = value("start").flatMap { $0.isEmpty ? nil : $0 }
        let endText = value("end").flatMap { $0.isEmpty ? nil : $0 }
        if let rangeText = value("range"), !rangeText.isEmpty {
            guard startText == nil, endText == nil else {
                throw ReportParameterError("invalid_parameter", "give either range or start/end, not both")
            }
            guard let span = ranges[rangeText] else {
                throw ReportParameterError("invalid_range", "range must be one of 1h, 6h, 12h, 24h, 7d, 30d, 90d")
            }
            // Like the history API: the period ends with the current second, inclusive.
            return (nowSeconds + 1 - span, nowSeconds + 1, rangeText)
        }
        func time(_ text: String, _ name: String) throws(ReportParameterError) -> Double {
            guard text.utf8.count <= 64, let date = RFC3339.parse(text) else {
                throw ReportParameterError("invalid_time", "\(name) must be an RFC 3339 time such as 2026-12-04T15:00:00Z")
            }
            return date.timeIntervalSince1970
        }
        let end = try endText.map { text throws(ReportParameterError) in Int64(try time(text, "end").rounded(.up)) }
            ?? nowSeconds + 1
        let start = try startText.map { text throws(ReportParameterError) in Int64(try time(text, "start").rounded(.down)) }
            ?? end - 86_400
        guard start >= 0 else { throw ReportParameterError("invalid_time", "start must not be before 1970") }
        guard end <= nowSeconds + maximumFuture else {
            throw ReportParameterError("invalid_time", "end must not be more than a day in the future")
        }
        guard start < end else { throw ReportParameterError("invalid_time", "start must be before end") }
        guard end - start <= maximumSpan else {
            throw ReportParameterError("invalid_range", "a report covers at most 366 days")
        }
        return (start, end, nil)
    }

    /// The value of `name`, or of its alias; both given with different values is an error.
    private static func aliased(_ value: (String) -> String?, _ name: String, _ alias: String) throws(ReportParameterError) -> String? {
        let primary = value(name), secondary = value(alias)
        if let primary, let secondary, primary != secondary {
            throw ReportParameterError("invalid_parameter", "\(name) and \(alias) disagree; give one of them")
        }
        return primary ?? secondary
    }

    private static func checkName(_ text: String, _ name: String) throws(ReportParameterError) {
        guard text.utf8.count <= maximumNameLength else {
            throw ReportParameterError("invalid_parameter", "\(name) is too long")
        }
        guard !text.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw ReportParameterError("invalid_parameter", "\(name) must not contain control characters")
        }
    }
}
