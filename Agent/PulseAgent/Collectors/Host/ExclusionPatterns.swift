/// The user's `--disk-exclude` / `PULSE_DISK_EXCLUDE` patterns.
///
/// A pattern is an exact name, `prefix*`, `*suffix` or `*contains*`. It is matched against a mountpoint and a
/// device (both its path and its bare name, so `sdb` also excludes `/dev/sdb`).
public struct ExclusionPatterns: Sendable, Equatable {
    enum Pattern: Sendable, Equatable {
        case exact(String)
        case prefix(String)
        case suffix(String)
        case contains(String)

        func matches(_ value: String) -> Bool {
            switch self {
            case .exact(let text): value == text
            case .prefix(let text): value.hasPrefix(text)
            case .suffix(let text): value.hasSuffix(text)
            case .contains(let text): value.contains(text)
            }
        }
    }

    let patterns: [Pattern]

    public init(_ patterns: [String]) {
        self.patterns = patterns.compactMap { raw in
            let text = raw.trimmingWhitespace()
            let starts = text.hasPrefix("*")
            let ends = text.hasSuffix("*")
            let core = String(text.drop(while: { $0 == "*" }).reversed().drop(while: { $0 == "*" }).reversed())
            if core.isEmpty { return nil }  // "", "*" and "**" would exclude everything: ignore them
            switch (starts, ends) {
            case (true, true): return .contains(core)
            case (false, true): return .prefix(core)
            case (true, false): return .suffix(core)
            case (false, false): return .exact(core)
            }
        }
    }

    public var isEmpty: Bool { patterns.isEmpty }

    /// Whether any pattern matches any of the values (a mountpoint, a device path, a device name).
    public func excludes(_ values: String...) -> Bool {
        excludes(values)
    }

    public func excludes(_ values: [String]) -> Bool {
        let candidates = values.flatMap { value -> [String] in
            guard !value.isEmpty else { return [] }
            if value.hasPrefix("/dev/") { return [value, String(value.dropFirst(5))] }
            return [value]
        }
        return patterns.contains { pattern in candidates.contains(where: pattern.matches) }
    }
}
