import PulseCommon

/// How much the spool may hold; the oldest reports are dropped beyond either bound.
public struct SpoolBounds: Sendable, Equatable {
    /// Default 2880: a day at the default 30 s interval.
    public static let defaultMaxReports = 2880
    /// Default 64 MiB.
    public static let defaultMaxBytes = 64 << 20

    public var maxReports: Int
    public var maxBytes: Int

    public init(maxReports: Int = defaultMaxReports, maxBytes: Int = defaultMaxBytes) {
        self.maxReports = max(1, maxReports)
        self.maxBytes = max(1, maxBytes)
    }

    /// A byte size: plain bytes (`67108864`) or a number with a unit (`64MiB`, `64M`, `512KiB`, `1G`, `100kB`).
    /// Binary units (`K`, `KiB`, `M`, `MiB`, `G`, `GiB`) are powers of 1024, `kB`/`MB`/`GB` powers of 1000.
    public static func parseSize(_ text: String) -> Int? {
        let trimmed = text.trimmingWhitespace()
        let digits = trimmed.prefix(while: { $0.isNumber })
        guard !digits.isEmpty, let value = Int(digits) else { return nil }
        let unit = trimmed.dropFirst(digits.count).trimmingWhitespace()
        let scale: Int
        switch unit {
        case "", "B", "b": scale = 1
        case "K", "k", "KiB", "Ki": scale = 1 << 10
        case "M", "m", "MiB", "Mi": scale = 1 << 20
        case "G", "g", "GiB", "Gi": scale = 1 << 30
        case "kB", "KB": scale = 1_000
        case "MB": scale = 1_000_000
        case "GB": scale = 1_000_000_000
        default: return nil
        }
        let (product, overflow) = value.multipliedReportingOverflow(by: scale)
        return overflow ? nil : product
    }
}

/// What a spool holds and has done, for logs and `/metrics`.
public struct SpoolStatistics: Sendable, Equatable {
    /// Reports held now.
    public var reports = 0
    /// Their encoded size.
    public var bytes = 0
    /// Reports ever written to the spool by this process.
    public var kept = 0
    /// Reports dropped to stay within the bounds (the oldest first), unreadable files, and failed writes.
    public var dropped = 0
    /// Whether the spool survives a restart (on disk) or not (the in-memory fallback).
    public var durable = false

    public init() {}
}
