#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Parsing of environment-style settings, shared by both programs.
public enum EnvValue {
    /// Go's `ParseBool`-like reading used by Pulse: `1,true,yes,y,on` (any case) are true.
    public static func bool(_ text: String?) -> Bool? {
        guard let text = text?.trimmingWhitespace(), !text.isEmpty else { return nil }
        switch text.lowercased() {
        case "1", "true", "yes", "y", "on": return true
        default: return false
        }
    }

    /// A comma-separated list, trimmed, empty entries dropped.
    public static func list(_ text: String?) -> [String] {
        guard let text else { return [] }
        return text.split(separator: ",").map { $0.trimmingWhitespace() }.filter { !$0.isEmpty }
    }

    /// Parses a `.env` file: `KEY=value` lines, `#` comments, optional `export `, single or double quotes.
    public static func parseDotEnv(_ text: String) -> [(String, String)] {
        var result: [(String, String)] = []
        for rawLine in text.split(whereSeparator: { $0 == "\n" || $0 == "\r" }) {
            var line = rawLine.trimmingWhitespace()
            if line.isEmpty || line.hasPrefix("#") { continue }
            if line.hasPrefix("export ") { line = String(line.dropFirst(7)).trimmingWhitespace() }
            guard let equals = line.firstIndex(of: "=") else { continue }
            let key = line[..<equals].trimmingWhitespace()
            var value = line[line.index(after: equals)...].trimmingWhitespace()
            guard !key.isEmpty, key.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) else { continue }
            if value.count >= 2, let first = value.first, first == "\"" || first == "'", value.last == first {
                value = String(value.dropFirst().dropLast())
            } else if let hash = value.indices.first(where: { value[$0] == "#" && $0 > value.startIndex
                                                               && value[value.index(before: $0)] == " " }) {
                value = value[..<hash].trimmingWhitespace()
            }
            result.append((key, value))
        }
        return result
    }

    /// A duration: Go style (`30s`, `1m30s`, `500ms`, `2h`) or plain seconds (`30`, `1.5`). `nil` when invalid.
    public static func duration(_ text: String) -> Duration? {
        let trimmed = text.trimmingWhitespace()
        guard !trimmed.isEmpty else { return nil }
        if let seconds = Double(trimmed) {
            return seconds >= 0 && seconds.isFinite ? .milliseconds(Int64((seconds * 1000).rounded())) : nil
        }
        var total = 0.0
        var rest = Substring(trimmed)
        while !rest.isEmpty {
            let number = rest.prefix(while: { $0.isNumber || $0 == "." })
            guard !number.isEmpty, let value = Double(number) else { return nil }
            rest = rest.dropFirst(number.count)
            let unit = rest.prefix(while: { $0.isLetter || $0 == "µ" })
            rest = rest.dropFirst(unit.count)
            let scale: Double
            switch unit {
            case "ns": scale = 1e-9
            case "us", "µs": scale = 1e-6
            case "ms": scale = 1e-3
            case "s": scale = 1
            case "m": scale = 60
            case "h": scale = 3600
            default: return nil
            }
            total += value * scale
        }
        return .milliseconds(Int64((total * 1000).rounded()))
    }
}
