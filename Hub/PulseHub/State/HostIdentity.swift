import Foundation
import PulseCommon

/// Pure rules for turning a host report into a stable host id (hub-api section 3.1).
public enum HostIdentity {
    /// Keeps letters, digits, `.`, `_`, `-` and `:`; anything else becomes `-`. Trimmed, at most 128 characters.
    public static func sanitize(_ raw: String?) -> String? {
        guard let trimmed = raw?.trimmingWhitespace(), !trimmed.isEmpty else { return nil }
        let mapped = String(trimmed.unicodeScalars.prefix(128).map { scalar -> Character in
            switch scalar {
            case "a"..."z", "A"..."Z", "0"..."9", ".", "_", "-", ":": return Character(scalar)
            default: return "-"
            }
        })
        return mapped.allSatisfy({ $0 == "-" || $0 == "." }) ? nil : mapped
    }

    /// The first usable of `host.id`, `host.machineId`, `agent.id`, the hostname; else `host-<sha1 prefix>`.
    public static func candidate(for report: HostReport, hostname: String) -> String {
        let choices = [report.host?.id, report.host?.machineId, report.agent?.id, hostname]
        for choice in choices {
            if let id = sanitize(choice) { return id }
        }
        let unique = choices.compactMap { $0 }.joined(separator: "|")
        return "host-" + Crypto.sha1(Array(unique.utf8)).prefix(6).hexString
    }

    /// The id used when `base` already belongs to another host: `<base[:40]>-<8 hex of SHA-1(token|hostname|base)>`.
    public static func disambiguated(base: String, tokenID: String, hostname: String) -> String {
        let digest = Crypto.sha1(Array("\(tokenID)|\(hostname)|\(base)".utf8)).hexString
        return String(base.prefix(40)) + "-" + digest.prefix(8)
    }

    /// The key of a token+hostname binding (hostnames compare case-insensitively).
    public static func bindingKey(tokenID: String, hostname: String) -> String {
        tokenID + "\u{1F}" + hostname.lowercased()
    }

    /// The offline window for a reporting interval: interval × 6, clamped to 60 s … 10 min; 60 s when unknown.
    public static func offlineWindow(intervalSeconds: Int?) -> TimeInterval {
        let interval = Double(intervalSeconds.flatMap { $0 > 0 ? $0 : nil } ?? 60)
        return min(max(interval * 6, 60), 600)
    }
}
