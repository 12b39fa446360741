/// A host file whose text is not in the shape the kernel writes.
///
/// Parsers throw it rather than returning a default, so a collector omits its section and says why.
public struct ParseError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The file, as a short name (`/proc/meminfo`).
    public let source: String
    public let reason: String
    /// The offending line, cut to 120 characters.
    public let line: String?

    public init(_ source: String, _ reason: String) {
        self.source = source
        self.reason = reason
        line = nil
    }

    public init(_ source: String, _ reason: String, line: some StringProtocol) {
        self.source = source
        self.reason = reason
        self.line = String(line.prefix(120))
    }

    public var description: String {
        if let line { return "\(source): \(reason): \"\(line)\"" }
        return "\(source): \(reason)"
    }
}
