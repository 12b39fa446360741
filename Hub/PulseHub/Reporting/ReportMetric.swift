import Foundation

/// The unit a metric is measured in, as reports print it.
public enum MetricUnit: String, Sendable, Equatable {
    case percent
    case bytes
    case bytesPerSecond
    case celsius
    /// Load average: a plain number.
    case load
    case none

    /// The symbol written after values and in CSV column headers (empty for plain numbers).
    public var symbol: String {
        switch self {
        case .percent: return "%"
        case .bytes: return "B"
        case .bytesPerSecond: return "B/s"
        case .celsius: return "°C"
        case .load, .none: return ""
        }
    }

    /// Whether values are byte counts, written human-readably in summaries (KiB, MiB, …).
    public var isBytes: Bool { self == .bytes || self == .bytesPerSecond }
}

/// What a report knows about one stored metric name: how to call it, its unit, and whether it fills up.
///
/// Pure: derived from the metric name alone (`cpu`, `disk:/var`, `temp:cpu_package`, storage `usage`, …).
public struct ReportMetric: Sendable, Equatable {
    /// The stored metric name.
    public let name: String
    public let displayName: String
    public let unit: MetricUnit
    /// The value at which the resource is full (100 for disk and storage usage); `nil` for metrics that don't fill.
    public let capacity: Double?
    /// Sorting key: the order metrics appear in a report.
    let rank: Int

    public init(_ name: String) {
        self.name = name
        let (prefix, rest) = Self.split(name)
        switch (prefix, rest) {
        case ("cpu", nil): (displayName, unit, capacity, rank) = ("CPU", .percent, nil, 0)
        case ("memory", nil): (displayName, unit, capacity, rank) = ("Memory", .percent, nil, 1)
        case ("swap", nil): (displayName, unit, capacity, rank) = ("Swap", .percent, nil, 2)
        case ("load1", nil): (displayName, unit, capacity, rank) = ("Load (1 min)", .load, nil, 3)
        case ("disk", nil): (displayName, unit, capacity, rank) = ("Disk", .percent, 100, 4)
        case ("disk", let mount?): (displayName, unit, capacity, rank) = ("Disk " + mount, .percent, 100, 5)
        case ("usage", nil): (displayName, unit, capacity, rank) = ("Usage", .percent, 100, 6)
        case ("used", nil): (displayName, unit, capacity, rank) = ("Used", .bytes, nil, 7)
        case ("avail", nil): (displayName, unit, capacity, rank) = ("Available", .bytes, nil, 8)
        case ("total", nil): (displayName, unit, capacity, rank) = ("Total", .bytes, nil, 9)
        case ("diskread", nil): (displayName, unit, capacity, rank) = ("Disk read", .bytesPerSecond, nil, 10)
        case ("diskwrite", nil): (displayName, unit, capacity, rank) = ("Disk write", .bytesPerSecond, nil, 11)
        case ("netin", nil): (displayName, unit, capacity, rank) = ("Network in", .bytesPerSecond, nil, 12)
        case ("netout", nil): (displayName, unit, capacity, rank) = ("Network out", .bytesPerSecond, nil, 13)
        case ("diskread", let device?): (displayName, unit, capacity, rank) = ("Disk read " + device, .bytesPerSecond, nil, 14)
        case ("diskwrite", let device?): (displayName, unit, capacity, rank) = ("Disk write " + device, .bytesPerSecond, nil, 15)
        case ("netin", let interface?): (displayName, unit, capacity, rank) = ("Network in " + interface, .bytesPerSecond, nil, 16)
        case ("netout", let interface?): (displayName, unit, capacity, rank) = ("Network out " + interface, .bytesPerSecond, nil, 17)
        case ("temp", let sensor?): (displayName, unit, capacity, rank) = ("Temperature " + sensor, .celsius, nil, 18)
        default: (displayName, unit, capacity, rank) = (name, .none, nil, 19)
        }
    }

    /// `<Display> (<unit>)`, or the display name alone for unitless metrics (CSV column headers, chart titles).
    public var labelWithUnit: String { unit.symbol.isEmpty ? displayName : "\(displayName) (\(unit.symbol))" }

    /// Per-device and per-interface breakdowns of rates: left out of overview reports (their totals are in), but
    /// available by naming them.
    public var isBreakdown: Bool {
        let (prefix, rest) = Self.split(name)
        return rest != nil && ["diskread", "diskwrite", "netin", "netout"].contains(prefix)
    }

    /// Report order: by kind, then by name.
    public static func ordered(_ names: some Sequence<String>) -> [ReportMetric] {
        names.map(ReportMetric.init).sorted { ($0.rank, $0.name) < ($1.rank, $1.name) }
    }

    private static func split(_ name: String) -> (String, String?) {
        guard let colon = name.firstIndex(of: ":") else { return (name, nil) }
        let rest = String(name[name.index(after: colon)...])
        return (String(name[..<colon]), rest.isEmpty ? nil : rest)
    }
}
