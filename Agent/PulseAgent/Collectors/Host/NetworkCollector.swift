import PulseCommon

/// `network` from `/proc/net/dev` (byte counters), `<sysfs>/class/net/<if>/{address,speed,type}` (MAC, link
/// speed) and `SystemProbes.interfaceAddresses` (CIDR addresses), sorted by name.
///
/// Loopback is skipped. When addresses are known, interfaces without any are skipped too, as the reference does
/// (down NICs, unconfigured bridges); when they are not (a fixture tree or a foreign root), every interface is kept.
public struct NetworkCollector: HostCollector {
    public let name = "host.network"

    public init() {}

    /// ARPHRD_LOOPBACK, the `type` sysfs reports for loopback devices whatever their name.
    static let loopbackType = "772"

    public func collect(_ context: CollectContext, into report: inout HostReport) throws {
        let counters = try NetDev.parse(context.fs.read(context.fs.procPath("net", "dev")))
        var addresses: [String: [String]]?
        if let provider = context.system.interfaceAddresses {
            do {
                addresses = try provider()
            } catch {
                context.logger.debug("interface addresses unavailable", ["collector": name, "error": "\(error)"])
            }
        }
        var interfaces: [HostReport.NetworkInterface] = []
        for counter in counters where counter.name != "lo" {
            let sys = { (attribute: String) in try? context.fs.readValue(context.fs.sysPath("class", "net", counter.name, attribute)) }
            if sys("type") == Self.loopbackType { continue }
            var interface = HostReport.NetworkInterface(name: counter.name, rxBytes: counter.rxBytes,
                                                        txBytes: counter.txBytes)
            if let addresses {
                guard let list = addresses[counter.name], !list.isEmpty else { continue }
                interface.addresses = list
            }
            interface.mac = sys("address").flatMap(Self.normalisedMAC)
            interface.speedMbps = sys("speed").flatMap { Int64($0) }.flatMap { $0 > 0 ? $0 : nil }
            interfaces.append(interface)
        }
        report.network = interfaces.sorted { ($0.name ?? "") < ($1.name ?? "") }
    }

    /// A lower-case colon-separated hardware address, or `nil` for empty and all-zero addresses.
    static func normalisedMAC(_ raw: String) -> String? {
        let mac = raw.trimmingWhitespace().lowercased()
        guard !mac.isEmpty, mac.contains(where: { $0 != "0" && $0 != ":" }) else { return nil }
        return mac
    }
}
