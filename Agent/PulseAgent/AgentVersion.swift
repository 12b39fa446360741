#if canImport(Glibc)
import Glibc
#endif

/// The agent's version, sent as `agent.version` and in the `User-Agent` header, printed by `--version`.
///
/// `PULSE_AGENT_VERSION_OVERRIDE` makes the agent claim another version. It exists for update drills (an agent that
/// believes it is older updates itself from the hub) and is never passed on to the binary an update starts.
public let pulseAgentVersion: String = {
    if let override = getenv(versionOverrideVariable).map({ String(cString: $0) }), SemanticVersionText.isPlausible(override) {
        return override
    }
    return pulseAgentBuildVersion
}()

/// The version this binary was built as.
public let pulseAgentBuildVersion = "0.1.0"

/// The environment variable behind `pulseAgentVersion`'s override.
public let versionOverrideVariable = "PULSE_AGENT_VERSION_OVERRIDE"

enum SemanticVersionText {
    static func isPlausible(_ text: String) -> Bool {
        !text.isEmpty && text.utf8.count <= 64 && text.utf8.allSatisfy { ($0 >= 48 && $0 <= 57) || ($0 >= 65 && $0 <= 90) || ($0 >= 97 && $0 <= 122) || $0 == 46 || $0 == 45 || $0 == 43 }
    }
}
