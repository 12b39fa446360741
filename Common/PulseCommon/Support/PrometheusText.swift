/// Prometheus text exposition (format 0.0.4), shared by the hub's and the agent's `/metrics`: families with
/// `# HELP`/`# TYPE`, sorted labels, escaped label values.
public struct PrometheusText: Sendable {
    public private(set) var text = ""

    public init() {}

    public mutating func counter(_ name: String, _ help: String, _ value: Double) {
        family(name, help, type: "counter", [([:], value)])
    }

    public mutating func gauge(_ name: String, _ help: String, _ value: Double) {
        family(name, help, type: "gauge", [([:], value)])
    }

    public mutating func gauge(_ name: String, _ help: String, _ samples: [([String: String], Double)]) {
        family(name, help, type: "gauge", samples)
    }

    /// A family header followed by its samples.
    public mutating func family(_ name: String, _ help: String, type: String, _ samples: [([String: String], Double)] = []) {
        header(name, help, type: type)
        for (labels, value) in samples { sample(name, labels, value) }
    }

    /// `# HELP` and `# TYPE` lines.
    public mutating func header(_ name: String, _ help: String, type: String) {
        text += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n"
    }

    /// One sample line (for histograms, `_bucket`/`_sum`/`_count` lines under one header).
    public mutating func sample(_ name: String, _ labels: [String: String], _ value: Double) {
        text += name
        if !labels.isEmpty {
            text += "{" + labels.keys.sorted().map { "\($0)=\"\(Self.escape(labels[$0] ?? ""))\"" }
                .joined(separator: ",") + "}"
        }
        text += " " + Self.format(value) + "\n"
    }

    /// Label values escape `\`, `"` and newlines.
    public static func escape(_ value: String) -> String {
        var out = ""
        for character in value {
            switch character {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case "\n": out += "\\n"
            default: out.append(character)
            }
        }
        return out
    }

    /// Integers without a fraction, everything else as Swift prints a `Double` (which Prometheus parses).
    public static func format(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value > 0 ? "+Inf" : "-Inf" }
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return String(value)
    }
}
