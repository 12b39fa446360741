import PulseCommon

/// The hub profile's `settings` map (agent-protocol 5), read into what this agent understands.
///
/// Applied live: `interval` (a duration string or a number of seconds), `log_level`, `report_ip`, `disable_ceph`
/// (bool), and this agent's additions `disk_exclude` and `disabled_collectors` (a list, or a comma-separated
/// string, of collector names or name prefixes such as `ceph`, `smart`, `host.disks`). Settings for modules that
/// start with the process (`enable_docker`, `enable_kubernetes`, `enable_proxmox`, `proxmox_type`) need a
/// restart. Unknown keys and values of the wrong type are ignored and reported.
public struct RemoteSettings: Sendable, Equatable {
    public var interval: Duration?
    public var logLevel: LogLevel?
    public var reportIP: String?
    public var diskExclude: [String]?
    public var disabledCollectors: [String]?
    public var disableCeph: Bool?
    /// Recognised settings that only take effect at start, with their values as text.
    public var needsRestart: [String: String] = [:]
    /// Keys ignored, with the reason.
    public var ignored: [String: String] = [:]

    public init() {}

    static let restartKeys: Set<String> = ["enable_docker", "enable_kubernetes", "enable_proxmox", "proxmox_type",
                                           "enable_host", "enable_commands", "disable_auto_update",
                                           "disable_docker_update_checks", "docker_runtime"]

    public static func parse(_ settings: [String: JSONValue]) -> RemoteSettings {
        var result = RemoteSettings()
        for key in settings.keys.sorted() {
            guard let value = settings[key] else { continue }
            switch key {
            case "interval":
                switch value {
                case .number(let seconds) where seconds >= 1 && seconds.isFinite:
                    result.interval = .milliseconds(Int64((seconds * 1000).rounded()))
                case .string(let text):
                    if let duration = EnvValue.duration(text), duration >= .seconds(1) {
                        result.interval = duration
                    } else {
                        result.ignored[key] = "not a duration of at least 1s: \(text)"
                    }
                default: result.ignored[key] = "expected a duration string or a number of seconds ≥ 1"
                }
            case "log_level":
                if case .string(let text) = value, let level = LogLevel(name: text) {
                    result.logLevel = level
                } else {
                    result.ignored[key] = "expected debug, info, warn or error"
                }
            case "report_ip":
                if case .string(let text) = value {
                    result.reportIP = text.trimmingWhitespace()
                } else {
                    result.ignored[key] = "expected a string"
                }
            case "disable_ceph":
                if case .bool(let flag) = value {
                    result.disableCeph = flag
                } else {
                    result.ignored[key] = "expected a boolean"
                }
            case "disk_exclude":
                if let list = stringList(value) { result.diskExclude = list } else {
                    result.ignored[key] = "expected a list of strings or a comma-separated string"
                }
            case "disabled_collectors":
                if let list = stringList(value) { result.disabledCollectors = list } else {
                    result.ignored[key] = "expected a list of strings or a comma-separated string"
                }
            default:
                if restartKeys.contains(key) {
                    result.needsRestart[key] = text(value)
                } else {
                    result.ignored[key] = "unknown setting"
                }
            }
        }
        return result
    }

    /// A list from a JSON array of strings or a comma-separated string.
    static func stringList(_ value: JSONValue) -> [String]? {
        switch value {
        case .string(let text):
            return EnvValue.list(text)
        case .array(let items):
            var list: [String] = []
            for item in items {
                guard case .string(let text) = item else { return nil }
                let trimmed = text.trimmingWhitespace()
                if !trimmed.isEmpty { list.append(trimmed) }
            }
            return list
        default:
            return nil
        }
    }

    static func text(_ value: JSONValue) -> String {
        switch value {
        case .null: "null"
        case .bool(let flag): String(flag)
        case .number(let number): PrometheusText.format(number)
        case .string(let text): text
        case .array, .object: "…"
        }
    }
}
