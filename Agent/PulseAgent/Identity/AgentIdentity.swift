/// Who this agent is to the hub (agent-protocol 1.2), computed once at start and shared by every module.
public struct AgentIdentity: Sendable, Equatable {
    /// `agent.id`: `--agent-id`, else the machine id, else `mac-<hex>`, else the hostname.
    public var agentID: String
    /// `host.hostname` and `host.displayName`: `--hostname`, else the OS hostname, else `unknown-host`.
    public var hostname: String
    /// `host.machineId` and `host.id`: `<etc>/machine-id`, formatted as a UUID when it is 32 hex digits.
    public var machineID: String?

    public init(agentID: String, hostname: String, machineID: String?) {
        self.agentID = agentID
        self.hostname = hostname
        self.machineID = machineID
    }

    /// Resolves the identity from the overrides and the host.
    public static func resolve(agentIDOverride: String?, hostnameOverride: String?, fs: HostFS,
                               system: SystemProbes) -> AgentIdentity {
        let hostname = nonEmpty(hostnameOverride) ?? nonEmpty(system.hostname()) ?? "unknown-host"
        let machineID = (try? fs.readValue(fs.etcPath("machine-id"))).flatMap(formatMachineID)
        let agentID = nonEmpty(agentIDOverride) ?? machineID ?? macIdentifier(interfaces: interfaceMACs(fs))
            ?? hostname
        return AgentIdentity(agentID: agentID, hostname: hostname, machineID: machineID)
    }

    /// A machine id as the reference reports it: trimmed, at least 8 characters; exactly 32 hex digits become
    /// `8-4-4-4-12`, keeping the file's case. Anything shorter is not an id (`nil`).
    public static func formatMachineID(_ raw: String) -> String? {
        let id = raw.trimmingWhitespace()
        guard id.count >= 8 else { return nil }
        guard id.isHex(length: 32) else { return id }
        let characters = Array(id)
        var parts: [String] = []
        var start = 0
        for length in [8, 4, 4, 4, 12] {
            parts.append(String(characters[start..<(start + length)]))
            start += length
        }
        return parts.joined(separator: "-")
    }

    /// Interface names that are never the machine's identity on the first pass: container, bridge, overlay and
    /// VPN devices whose addresses change.
    static let unstableInterfacePrefixes = ["docker", "veth", "br-", "cni", "flannel", "virbr", "zt", "lo"]

    /// `mac-<12 lowercase hex>` of the first interface (by name) with a 6-byte, non-zero MAC: first skipping
    /// unstable interfaces, then, if none is left, any interface but loopback.
    public static func macIdentifier(interfaces: [(name: String, mac: String)]) -> String? {
        let candidates = interfaces.compactMap { interface -> (name: String, hex: String)? in
            let hex = String(interface.mac.lowercased().filter { $0 != ":" && $0 != "-" })
            guard interface.name != "lo", hex.isHex(length: 12), hex != "000000000000" else { return nil }
            return (interface.name, hex)
        }.sorted { $0.name < $1.name }
        let stable = candidates.first { candidate in
            !unstableInterfacePrefixes.contains(where: { candidate.name.hasPrefix($0) })
        }
        return (stable ?? candidates.first).map { "mac-" + $0.hex }
    }

    /// Every interface in `<sysfs>/class/net` that is not loopback (type 772), with its `address`.
    static func interfaceMACs(_ fs: HostFS) -> [(name: String, mac: String)] {
        guard let names = try? fs.list(fs.sysPath("class", "net")) else { return [] }
        return names.compactMap { name in
            guard (try? fs.readValue(fs.sysPath("class", "net", name, "type"))) != "772",
                  let mac = try? fs.readValue(fs.sysPath("class", "net", name, "address")) else { return nil }
            return (name, mac)
        }
    }

    private static func nonEmpty(_ text: String?) -> String? {
        guard let trimmed = text?.trimmingWhitespace(), !trimmed.isEmpty else { return nil }
        return trimmed
    }
}
