import PulseCommon

/// The SHA-256 fingerprint of the hub's TLS certificate (`--fingerprint`): the digest of its DER encoding, as
/// `openssl x509 -noout -fingerprint -sha256` prints it.
public struct CertificateFingerprint: Sendable, Equatable, CustomStringConvertible {
    /// The 32 digest bytes.
    public let bytes: [UInt8]

    /// Parses 64 hex digits, with or without `:` (or space) separators, in any case. A leading `sha256:`,
    /// `SHA256:` or `sha256 Fingerprint=` (openssl's output) is accepted.
    public init?(_ text: String) {
        var body = Substring(text.trimmingWhitespace())
        if let equals = body.lastIndex(of: "="), body[..<equals].lowercased().contains("fingerprint") {
            body = body[body.index(after: equals)...]
        }
        if body.lowercased().hasPrefix("sha256:") { body = body.dropFirst(7) }
        let digits = body.filter { $0 != ":" && $0 != " " && $0 != "-" }
        guard digits.count == 64 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(32)
        var index = digits.startIndex
        while index < digits.endIndex {
            let next = digits.index(index, offsetBy: 2)
            guard let byte = UInt8(digits[index..<next], radix: 16) else { return nil }
            bytes.append(byte)
            index = next
        }
        self.bytes = bytes
    }

    public init(bytes: [UInt8]) {
        precondition(bytes.count == 32, "a SHA-256 fingerprint has 32 bytes")
        self.bytes = bytes
    }

    /// Uppercase hex pairs joined by `:`, as openssl prints it.
    public var description: String {
        bytes.map { [$0].hexString.uppercased() }.joined(separator: ":")
    }
}
