/// `os-release(5)`: `KEY=value` lines with shell-style quoting.
public struct OSRelease: Sendable, Equatable {
    public var fields: [String: String]

    public init(fields: [String: String]) { self.fields = fields }

    /// Lower-cased `ID` (`ubuntu`, `debian`), the report's `platform`.
    public var platform: String? { fields["ID"].map { $0.lowercased() }.flatMap { $0.isEmpty ? nil : $0 } }
    /// `NAME` (`Ubuntu`), the report's `osName`.
    public var name: String? { fields["NAME"].flatMap { $0.isEmpty ? nil : $0 } }
    /// `VERSION_ID` (`20.04`), the report's `osVersion`.
    public var versionID: String? { fields["VERSION_ID"].flatMap { $0.isEmpty ? nil : $0 } }

    /// Parses the file. Lines that are not assignments are ignored, as systemd does; values may be unquoted,
    /// `"double"` (with `\"`, `\\`, `\$` and `` \` `` escapes) or `'single'` quoted.
    public static func parse(_ text: String) -> OSRelease {
        var fields: [String: String] = [:]
        for rawLine in text.split(separator: "\n") {
            let line = rawLine.trimmingWhitespace()
            guard !line.isEmpty, !line.hasPrefix("#"), let equals = line.firstIndex(of: "=") else { continue }
            let key = String(line[..<equals])
            guard !key.isEmpty, key.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }) else {
                continue
            }
            fields[key] = unquote(line[line.index(after: equals)...])
        }
        return OSRelease(fields: fields)
    }

    static func unquote(_ raw: Substring) -> String {
        guard let quote = raw.first, quote == "\"" || quote == "'" else { return String(raw) }
        var result = ""
        var escaped = false
        for character in raw.dropFirst() {
            if escaped {
                result.append(character)
                escaped = false
            } else if character == "\\" && quote == "\"" {
                escaped = true
            } else if character == quote {
                break
            } else {
                result.append(character)
            }
        }
        return result
    }
}
