#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import PulseCommon

/// Where the health server listens (`--health-addr`): `host:port` with a numeric IPv4 or IPv6 (`[::1]:9191`)
/// host, `localhost`, or an empty host (`:9191`, all IPv4 interfaces, as the reference binds).
public struct HealthAddress: Sendable, Equatable, CustomStringConvertible {
    /// The default: loopback only (the reference binds every interface without auth; agent-protocol 9.11).
    public static let defaultValue = "127.0.0.1:9191"

    /// The numeric host (`127.0.0.1`, `0.0.0.0`, `::1`).
    public var host: String
    public var port: UInt16
    public var isIPv6: Bool { host.contains(":") }

    public init(host: String, port: UInt16) {
        self.host = host
        self.port = port
    }

    /// Parses `host:port`; `nil` when it is not one of the accepted forms.
    public init?(_ text: String) {
        let trimmed = text.trimmingWhitespace()
        guard let colon = trimmed.lastIndex(of: ":") else { return nil }
        var host = String(trimmed[..<colon])
        guard let port = UInt16(trimmed[trimmed.index(after: colon)...]) else { return nil }
        if host.hasPrefix("[") && host.hasSuffix("]") {
            host = String(host.dropFirst().dropLast())
            guard host.contains(":") else { return nil }
        } else if host.contains(":") {
            return nil  // an IPv6 host needs brackets
        }
        switch host.lowercased() {
        case "": host = "0.0.0.0"
        case "localhost": host = "127.0.0.1"
        default: break
        }
        guard Self.isNumeric(host) else { return nil }
        self.host = host
        self.port = port
    }

    public var description: String { isIPv6 ? "[\(host)]:\(port)" : "\(host):\(port)" }

    static func isNumeric(_ host: String) -> Bool {
        var buffer = in6_addr()
        return inet_pton(host.contains(":") ? AF_INET6 : AF_INET, host, &buffer) == 1
    }
}
