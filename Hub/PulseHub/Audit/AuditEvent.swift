import Foundation
import PulseCommon

/// One audit event (hub-api section 7), as stored and served.
///
/// `signature` is the hex HMAC-SHA256, under the audit key, of `canonicalJSON(includingChain: false)`: the event's
/// fields with sorted keys, no whitespace, `signature` and `prevHash` left out. `prevHash` links the event to the
/// one before it (see `AuditChain`), so a deleted or reordered event is detected, not only an edited one.
public struct AuditEvent: Sendable, Equatable {
    /// Position in the chain, from 1.
    public var sequence: Int64
    public var id: String
    /// The timestamp exactly as signed (RFC 3339, UTC).
    public var timestamp: String
    public var event: String
    public var user: String?
    public var ip: String
    public var path: String?
    public var success: Bool
    public var details: String?
    public var signature: String
    public var prevHash: String

    /// The fields the signature covers, in canonical form.
    public func signedFields() -> [(String, CanonicalJSON.Value)] {
        var fields: [(String, CanonicalJSON.Value)] = [
            ("event", .string(event)), ("id", .string(id)), ("ip", .string(ip)), ("success", .bool(success)),
            ("timestamp", .string(timestamp)),
        ]
        if let details { fields.append(("details", .string(details))) }
        if let path { fields.append(("path", .string(path))) }
        if let user { fields.append(("user", .string(user))) }
        return fields
    }

    /// The canonical JSON the signature is computed over, or (with the chain fields) the body webhooks receive.
    public func canonicalJSON(includingChain: Bool) -> [UInt8] {
        var fields = signedFields()
        if includingChain {
            fields.append(("prevHash", .string(prevHash)))
            fields.append(("sequence", .integer(sequence)))
            fields.append(("signature", .string(signature)))
        }
        return CanonicalJSON.object(fields)
    }

    /// The API shape.
    public var json: JSONValue {
        var object: [String: JSONValue] = [
            "id": .string(id), "timestamp": .string(timestamp), "event": .string(event), "ip": .string(ip),
            "success": .bool(success), "signature": .string(signature), "prevHash": .string(prevHash),
            "sequence": .number(Double(sequence)),
        ]
        if let user { object["user"] = .string(user) }
        if let path { object["path"] = .string(path) }
        if let details { object["details"] = .string(details) }
        return .object(object)
    }
}

/// A deterministic JSON serialisation: object keys sorted by their UTF-8 bytes, no whitespace, strings escaped
/// minimally (`"`, `\` and U+0000–U+001F as `\u00xx`), other characters as raw UTF-8. Enough for audit events,
/// whose values are strings, booleans and integers.
public enum CanonicalJSON {
    public enum Value: Sendable, Equatable {
        case string(String)
        case bool(Bool)
        case integer(Int64)
    }

    public static func object(_ fields: [(String, Value)]) -> [UInt8] {
        var out: [UInt8] = [UInt8(ascii: "{")]
        for (index, field) in fields.sorted(by: { Array($0.0.utf8).lexicographicallyPrecedes(Array($1.0.utf8)) }).enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            appendString(field.0, to: &out)
            out.append(UInt8(ascii: ":"))
            switch field.1 {
            case .string(let text): appendString(text, to: &out)
            case .bool(let flag): out.append(contentsOf: Array((flag ? "true" : "false").utf8))
            case .integer(let number): out.append(contentsOf: Array(String(number).utf8))
            }
        }
        out.append(UInt8(ascii: "}"))
        return out
    }

    static func appendString(_ text: String, to out: inout [UInt8]) {
        let hex = Array("0123456789abcdef".utf8)
        out.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"):
                out.append(UInt8(ascii: "\\"))
                out.append(byte)
            case 0..<0x20:
                out.append(contentsOf: Array("\\u00".utf8))
                out.append(hex[Int(byte >> 4)])
                out.append(hex[Int(byte & 0xf)])
            default:
                out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}

/// The keyed primitives of the audit log: signatures and chain links. Pure, so tests and the CLI use the same code.
public struct AuditChain: Sendable {
    let key: [UInt8]

    public init(key: [UInt8]) { self.key = key }

    /// The hex HMAC-SHA256 signature of an event.
    public func signature(of event: AuditEvent) -> String {
        Crypto.hmacSHA256(key: key, message: event.canonicalJSON(includingChain: false)).hexString
    }

    /// `prevHash` of the first event ever written.
    public var genesis: String { mac("pulse-audit-chain:genesis") }

    /// `prevHash` of the event after `event`: keyed over the previous link and signature, so it commits to the
    /// whole history before it and cannot be recomputed without the key after a deletion.
    public func link(after event: AuditEvent) -> String {
        mac("pulse-audit-chain:\(event.prevHash):\(event.signature)")
    }

    /// The MAC of the retention anchor (the first kept event's sequence and `prevHash`).
    public func anchorMAC(sequence: Int64, prevHash: String) -> String {
        mac("pulse-audit-anchor:\(sequence):\(prevHash)")
    }

    /// The MAC of the head marker (the last event's sequence and the link expected next).
    public func headMAC(sequence: Int64, next: String) -> String {
        mac("pulse-audit-head:\(sequence):\(next)")
    }

    public func matches(_ actual: String, _ expected: String) -> Bool {
        Crypto.constantTimeEqual(Array(actual.utf8), Array(expected.utf8))
    }

    private func mac(_ text: String) -> String { Crypto.hmacSHA256(key: key, message: Array(text.utf8)).hexString }
}
