#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import PulseCommon

/// Read-only navigation through tool output decoded as `JSONValue` (`smartctl --json`, `ceph … --format json`).
///
/// Every step answers `nil` instead of failing, so a field that moved or changed type in another tool version
/// reads as absent rather than sinking the whole document.
struct JSONCursor: Sendable {
    let value: JSONValue?

    init(_ value: JSONValue?) {
        self.value = value
    }

    /// Decodes a whole document; `nil` when the bytes are not JSON.
    static func parse(_ bytes: [UInt8]) -> JSONCursor? {
        guard bytes.contains(where: { $0 == UInt8(ascii: "{") || $0 == UInt8(ascii: "[") }),
              let value = try? WireJSON.decoder().decode(JSONValue.self, from: Data(bytes)) else { return nil }
        return JSONCursor(value)
    }

    subscript(_ key: String) -> JSONCursor {
        if case .object(let members) = value { return JSONCursor(members[key]) }
        return JSONCursor(nil)
    }

    subscript(_ index: Int) -> JSONCursor {
        if case .array(let elements) = value, elements.indices.contains(index) { return JSONCursor(elements[index]) }
        return JSONCursor(nil)
    }

    var exists: Bool {
        if case .none = value { return false }
        if case .some(.null) = value { return false }
        return true
    }

    var double: Double? {
        if case .number(let number) = value, number.isFinite { return number }
        return nil
    }

    /// A whole number (JSON numbers arrive as `Double`); fractional or out-of-range values are `nil`.
    var int: Int? {
        guard let number = double, number.rounded() == number, abs(number) < 9.0e15 else { return nil }
        return Int(number)
    }

    var bool: Bool? {
        if case .bool(let flag) = value { return flag }
        return nil
    }

    var string: String? {
        if case .string(let text) = value { return text }
        return nil
    }

    var array: [JSONCursor] {
        if case .array(let elements) = value { return elements.map(JSONCursor.init) }
        return []
    }

    /// Object members sorted by key.
    var members: [(key: String, value: JSONCursor)] {
        if case .object(let members) = value {
            return members.keys.sorted().map { ($0, JSONCursor(members[$0])) }
        }
        return []
    }
}
