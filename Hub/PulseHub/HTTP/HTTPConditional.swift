import Foundation

/// Conditional GETs for file responses (the dashboard's assets and agent binaries): HTTP dates and the 304
/// decision, in one place.
enum HTTPConditional {
    /// An IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`).
    static func format(_ date: Date) -> String {
        formatter().string(from: date)
    }

    static func parse(_ text: String) -> Date? {
        formatter().date(from: text.trimmingWhitespace())
    }

    private static func formatter() -> DateFormatter {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        return formatter
    }

    /// `If-None-Match` wins over `If-Modified-Since` (RFC 9110 13.2.2); `*` matches any version; a weak comparison,
    /// so `W/` prefixes and either encoding's tag of the same version (`"…-gz"`) count.
    static func notModified(_ request: HTTPRequest, etag: String, modified: Date) -> Bool {
        if let header = request.header("If-None-Match") {
            let version = etag.replacingOccurrences(of: "-gz\"", with: "\"")
            return header.split(separator: ",").contains { candidate in
                var tag = candidate.trimmingWhitespace()
                if tag == "*" { return true }
                if tag.hasPrefix("W/") { tag = String(tag.dropFirst(2)) }
                return tag == etag || tag.replacingOccurrences(of: "-gz\"", with: "\"") == version
            }
        }
        if let since = request.header("If-Modified-Since"), let date = parse(since) {
            return floor(modified.timeIntervalSince1970) <= date.timeIntervalSince1970
        }
        return false
    }
}
