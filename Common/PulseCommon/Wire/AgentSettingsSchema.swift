/// The settings a hub profile may hold for an agent (agent-protocol section 5, plus this project's additions), with
/// their types. The hub validates profiles against it; the agent's `RemoteSettings` parses the same keys.
public enum AgentSettingsSchema {
    public enum Kind: Sendable, Equatable {
        case bool
        /// One of the listed strings.
        case choice([String])
        /// A duration string (`30s`, `5m`) or a number of seconds, within the range in seconds.
        case duration(ClosedRange<Double>)
        /// An IP address or host name.
        case address
        /// A list of strings, or one comma-separated string.
        case stringList

        public var description: String {
            switch self {
            case .bool: return "a boolean"
            case .choice(let options): return "one of " + options.joined(separator: ", ")
            case .duration(let range): return "a duration such as \"30s\" or a number of seconds, \(Int(range.lowerBound))s to \(Int(range.upperBound))s"
            case .address: return "an IP address or host name"
            case .stringList: return "a list of strings or a comma-separated string"
            }
        }
    }

    public static let keys: [String: Kind] = [
        "interval": .duration(1...86_400),
        "log_level": .choice(["debug", "info", "warn", "error"]),
        "report_ip": .address,
        "disable_ceph": .bool,
        "disk_exclude": .stringList,
        "disabled_collectors": .stringList,
        "enable_host": .bool,
        "enable_docker": .bool,
        "enable_kubernetes": .bool,
        "enable_proxmox": .bool,
        "proxmox_type": .choice(["pve", "pbs"]),
        "enable_commands": .bool,
        "disable_auto_update": .bool,
        "disable_docker_update_checks": .bool,
        "docker_runtime": .choice(["auto", "docker", "podman"]),
    ]

    /// A problem with one setting.
    public struct Problem: Error, Sendable, Equatable, CustomStringConvertible {
        public let key: String
        public let message: String
        public var description: String { "\(key): \(message)" }
    }

    /// Every problem in `settings`, sorted by key; empty when valid.
    public static func validate(_ settings: [String: JSONValue]) -> [Problem] {
        var problems: [Problem] = []
        for key in settings.keys.sorted() {
            guard let kind = keys[key] else {
                problems.append(Problem(key: key, message: "unknown setting (known: \(keys.keys.sorted().joined(separator: ", ")))"))
                continue
            }
            if !accepts(kind, settings[key]!) {
                problems.append(Problem(key: key, message: "expected \(kind.description)"))
            }
        }
        return problems
    }

    static func accepts(_ kind: Kind, _ value: JSONValue) -> Bool {
        switch (kind, value) {
        case (.bool, .bool): return true
        case (.choice(let options), .string(let text)): return options.contains(text.lowercased())
        case (.duration(let range), .number(let seconds)): return range.contains(seconds)
        case (.duration(let range), .string(let text)):
            guard let duration = EnvValue.duration(text) else { return false }
            let seconds = Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
            return range.contains(seconds)
        case (.address, .string(let text)):
            let trimmed = text.trimmingWhitespace()
            return !trimmed.isEmpty && trimmed.utf8.count <= 253
                && trimmed.utf8.allSatisfy { ($0 >= 48 && $0 <= 57) || ($0 >= 65 && $0 <= 90) || ($0 >= 97 && $0 <= 122) || Array("-.:[]".utf8).contains($0) }
        case (.stringList, .string(let text)): return text.utf8.count <= 4096
        case (.stringList, .array(let items)):
            return items.count <= 256 && items.allSatisfy { if case .string(let text) = $0 { return text.utf8.count <= 512 } else { return false } }
        default: return false
        }
    }
}
