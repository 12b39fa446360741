import Foundation
import PulseCommon

/// How reports write numbers: pure, locale-independent, shared by the CSV writer and the PDF renderer (and by the
/// tests that look for these strings in their output).
public enum ReportValueFormat {
    /// Two decimals, `.` as separator, never `-0.00` (CSV data cells).
    public static func number(_ value: Double, decimals: Int = 2) -> String {
        guard value.isFinite else { return "" }
        let text = String(format: "%.\(decimals)f", value)
        return text.hasPrefix("-") && text.dropFirst().allSatisfy({ $0 == "0" || $0 == "." }) ? String(text.dropFirst()) : text
    }

    /// A value for people: `42.50 %`, `1.50 MiB/s`, `48.0 °C`, `0.75`.
    public static func human(_ value: Double, _ unit: MetricUnit) -> String {
        guard value.isFinite else { return "–" }
        switch unit {
        case .percent: return number(value) + " %"
        case .celsius: return number(value, decimals: 1) + " °C"
        case .load, .none: return number(value)
        case .bytes, .bytesPerSecond:
            let suffix = unit == .bytes ? "" : "/s"
            return bytes(value) + suffix
        }
    }

    /// Binary-prefixed bytes: `512 B`, `1.50 KiB`, … up to `EiB`.
    public static func bytes(_ value: Double) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"]
        var scaled = value
        var index = 0
        while abs(scaled) >= 1024, index < units.count - 1 {
            scaled /= 1024
            index += 1
        }
        return index == 0 ? number(scaled, decimals: 0) + " B" : number(scaled) + " " + units[index]
    }

    /// A change per day with its sign: `+0.52 %/day`, `-1.20 MiB/s/day`.
    public static func perDay(_ value: Double, _ unit: MetricUnit) -> String {
        guard value.isFinite else { return "–" }
        let magnitude = human(abs(value), unit)
        let zero = number(value) == "0.00"
        return (zero ? "±" : value > 0 ? "+" : "-") + magnitude + "/day"
    }

    /// `2026-12-04 15:00 UTC`.
    public static func minute(_ date: Date) -> String {
        ReportDates.format(Int64(date.timeIntervalSince1970.rounded(.down))) + " UTC"
    }

    /// A duration for people: `10 s`, `1 min`, `1 h`, `1 day`, `7 days`.
    public static func duration(_ seconds: Int64) -> String {
        if seconds % 86_400 == 0 { return seconds == 86_400 ? "1 day" : "\(seconds / 86_400) days" }
        if seconds % 3600 == 0 { return "\(seconds / 3600) h" }
        if seconds % 60 == 0 { return "\(seconds / 60) min" }
        return "\(seconds) s"
    }
}

/// `YYYY-MM-DD hh:mm` and `YYYYMMDD` in UTC, cut from the RFC 3339 text (no Foundation date formatters).
enum ReportDates {
    static func format(_ seconds: Int64) -> String {
        let (date, time) = split(seconds)
        return date + " " + time
    }

    /// `YYYYMMDD`, for file names.
    static func compactDate(_ seconds: Int64) -> String {
        split(seconds).0.replacingOccurrences(of: "-", with: "")
    }

    /// `("YYYY-MM-DD", "hh:mm")` from the RFC 3339 text.
    static func split(_ seconds: Int64) -> (String, String) {
        let text = RFC3339.format(Date(timeIntervalSince1970: Double(seconds)))
        let date = String(text.prefix(10))
        let time = String(text.dropFirst(11).prefix(5))
        return (date, time)
    }
}
