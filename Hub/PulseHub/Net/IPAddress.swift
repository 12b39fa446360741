import Foundation

/// An IPv4 or IPv6 address as bytes. IPv4-mapped IPv6 addresses (`::ffff:a.b.c.d`) are normalised to IPv4, so
/// `::ffff:127.0.0.1` is loopback wherever it appears.
public struct IPAddress: Sendable, Hashable, CustomStringConvertible {
    /// 4 bytes for IPv4, 16 for IPv6.
    public let bytes: [UInt8]

    public var isIPv4: Bool { bytes.count == 4 }

    /// Parses a literal address; brackets and an IPv6 zone (`%eth0`) are accepted and dropped.
    public init?(_ text: some StringProtocol) {
        var literal = String(text)
        if literal.hasPrefix("["), literal.hasSuffix("]") { literal = String(literal.dropFirst().dropLast()) }
        if let percent = literal.firstIndex(of: "%") { literal = String(literal[..<percent]) }
        guard !literal.isEmpty, literal.utf8.count <= 64 else { return nil }
        var v4 = in_addr()
        if inet_pton(AF_INET, literal, &v4) == 1 {
            self.init(bytes: withUnsafeBytes(of: &v4) { Array($0) })
            return
        }
        var v6 = in6_addr()
        guard inet_pton(AF_INET6, literal, &v6) == 1 else { return nil }
        self.init(bytes: withUnsafeBytes(of: &v6) { Array($0) })
    }

    /// From raw bytes (4 or 16); IPv4-mapped IPv6 becomes IPv4.
    public init?(bytes: [UInt8]) {
        switch bytes.count {
        case 4: self.bytes = bytes
        case 16:
            if bytes[0..<10].allSatisfy({ $0 == 0 }), bytes[10] == 0xff, bytes[11] == 0xff {
                self.bytes = Array(bytes[12...])
            } else {
                self.bytes = bytes
            }
        default: return nil
        }
    }

    public var description: String {
        var output = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        var raw = bytes
        let family = isIPv4 ? AF_INET : AF_INET6
        guard inet_ntop(family, &raw, &output, socklen_t(output.count)) != nil else { return "?" }
        return String(cString: output)
    }

    public var isLoopback: Bool {
        isIPv4 ? bytes[0] == 127 : bytes == [UInt8](repeating: 0, count: 15) + [1]
    }

    /// Addresses a webhook must never reach unless explicitly allowed: loopback, private (RFC 1918, ULA), link-local,
    /// carrier-grade NAT, unspecified, multicast, broadcast, benchmarking and other reserved ranges.
    public var isNonPublic: Bool {
        Self.nonPublicRanges.contains { $0.contains(self) }
    }

    /// RFC 1918 and IPv6 unique-local addresses (for `isPrivateNetwork` in the security status).
    public var isPrivate: Bool {
        Self.privateRanges.contains { $0.contains(self) }
    }

    private static let privateRanges: [CIDR] = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7"]
        .compactMap(CIDR.init)

    private static let nonPublicRanges: [CIDR] = [
        "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12",
        "192.0.0.0/24", "192.0.2.0/24", "192.88.99.0/24", "192.168.0.0/16", "198.18.0.0/15", "198.51.100.0/24",
        "203.0.113.0/24", "224.0.0.0/4", "240.0.0.0/4",
        "::/128", "::1/128", "64:ff9b::/96", "64:ff9b:1::/48", "100::/64", "2001:db8::/32", "fc00::/7",
        "fe80::/10", "fec0::/10", "ff00::/8",
    ].compactMap(CIDR.init)
}

/// A network in CIDR notation; a bare address is a /32 or /128.
public struct CIDR: Sendable, Hashable, CustomStringConvertible {
    public let network: IPAddress
    public let prefixLength: Int

    public init?(_ text: some StringProtocol) {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let parts = trimmed.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let address = IPAddress(parts[0]) else { return nil }
        let maximum = parts[0].contains(":") ? 128 : 32
        var length = address.bytes.count * 8
        if parts.count == 2 {
            guard let parsed = Int(parts[1]), (0...maximum).contains(parsed) else { return nil }
            // An IPv4-mapped network written in IPv6 notation: its prefix counts the 96 mapping bits.
            length = parts[0].contains(":") && address.isIPv4 ? max(0, parsed - 96) : parsed
        }
        self.prefixLength = length
        self.network = IPAddress(bytes: Self.mask(address.bytes, length))!
    }

    public func contains(_ address: IPAddress) -> Bool {
        address.bytes.count == network.bytes.count && Self.mask(address.bytes, prefixLength) == network.bytes
    }

    public var description: String { "\(network)/\(prefixLength)" }

    private static func mask(_ bytes: [UInt8], _ length: Int) -> [UInt8] {
        bytes.enumerated().map { index, byte in
            let bits = min(8, max(0, length - index * 8))
            return bits == 8 ? byte : byte & ~(UInt8(0xff) >> bits)
        }
    }

    /// Parses a comma- or space-separated list; returns the entries that do not parse separately.
    public static func parseList(_ text: String?) -> (networks: [CIDR], invalid: [String]) {
        var networks: [CIDR] = [], invalid: [String] = []
        for entry in (text ?? "").split(whereSeparator: { $0 == "," || $0 == " " || $0 == "\n" }) where !entry.isEmpty {
            if let cidr = CIDR(entry) { networks.append(cidr) } else { invalid.append(String(entry)) }
        }
        return (networks, invalid)
    }
}

/// Works out who a request is from: the TCP peer, or, when the peer is a trusted reverse proxy
/// (`PULSE_TRUSTED_PROXY_CIDRS`), the client it names in `X-Forwarded-For` / `X-Real-IP`.
public struct ClientAddressResolver: Sendable {
    public let trustedProxies: [CIDR]

    public init(trustedProxies: [CIDR]) { self.trustedProxies = trustedProxies }

    func isTrusted(_ address: IPAddress) -> Bool { trustedProxies.contains { $0.contains(address) } }

    /// The client address for a request from `peer`. `X-Forwarded-For` is read from the right: each hop appended by
    /// a trusted proxy is skipped, and the first untrusted one is the client (the leftmost entries are whatever the
    /// client sent, so they are never believed on their own).
    public func clientAddress(peer: String, forwardedFor: String?, realIP: String?) -> String {
        guard let peerAddress = IPAddress(peer), isTrusted(peerAddress) else { return peer }
        if let forwardedFor {
            var candidate: IPAddress?
            for hop in forwardedFor.split(separator: ",").reversed() {
                guard let address = IPAddress(hop.trimmingCharacters(in: .whitespaces)) else { break }
                candidate = address
                if !isTrusted(address) { break }
            }
            if let candidate { return candidate.description }
        }
        if let realIP, let address = IPAddress(realIP.trimmingCharacters(in: .whitespaces)) { return address.description }
        return peer
    }

    /// Direct loopback: the peer is loopback and no proxy header is present (hub-api section 2.7).
    public static func isDirectLoopback(peer: String, headers: (String) -> String?) -> Bool {
        guard let address = IPAddress(peer), address.isLoopback else { return false }
        return headers("X-Forwarded-For") == nil && headers("Forwarded") == nil && headers("X-Real-IP") == nil
    }
}
