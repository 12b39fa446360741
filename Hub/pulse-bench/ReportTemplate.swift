import Foundation
import PulseCommon

/// A number in the encoded report that changes between posts: `width` bytes at `offset`, right-aligned, with
/// `decimals` digits after the point. Shorter values are padded with leading spaces (JSON allows whitespace
/// before a value), so the body never changes length and can be patched in place.
struct PatchSlot {
    var offset = -1
    let width: Int
    let decimals: Int
    /// The unique number the template was encoded with, to find the slot in the output.
    let sentinel: String
}

/// Where a located slot is, compactly (a host keeps 78 of these).
struct PatchPosition {
    let offset: Int32
    let width: UInt8
    let decimals: UInt8
}

/// Hands out unique sentinel numbers for the changing fields, in the order the host will patch them.
///
/// Integers look like `8kkkk333…` (`width` digits); decimals like `9k.k`, `9.kk`, `9k.kk` with a non-zero last
/// digit, so `JSONEncoder` prints exactly `width` characters.
struct SlotAllocator {
    private(set) var slots: [PatchSlot] = []
    private var integerCount = 0
    private var decimalCounts: [Int: Int] = [:]

    /// A slot for an integer of up to `width` digits (at least 5); returns the sentinel to encode.
    mutating func integer(width requested: Int) -> Int64 {
        let width = max(5, requested)
        let counter = String(integerCount)
        integerCount += 1
        precondition(counter.count <= 4, "too many integer slots")
        let text = "8" + String(repeating: "0", count: 4 - counter.count) + counter
            + String(repeating: "3", count: width - 5)
        slots.append(PatchSlot(width: width, decimals: 0, sentinel: text))
        return Int64(text)!
    }

    /// A slot for a decimal written as `width` characters with `decimals` digits after the point.
    mutating func decimal(width: Int, decimals: Int) -> Double {
        let integerDigits = width - decimals - 1
        let free = integerDigits - 1 + decimals
        precondition(integerDigits >= 1 && free >= 1, "decimal slot too narrow to be unique")
        let key = width * 100 + decimals
        let index = decimalCounts[key, default: 0]
        decimalCounts[key] = index + 1
        let last = 1 + index % 9
        let rest = String(index / 9)
        precondition(rest.count <= free - 1 || (free == 1 && index < 9), "too many decimal slots of one shape")
        let leading = free - 1 == 0 ? "" : String(repeating: "0", count: free - 1 - rest.count) + rest
        let digits = Array(leading + String(last))
        let text = "9" + String(digits[0..<(integerDigits - 1)]) + "." + String(digits[(integerDigits - 1)...])
        slots.append(PatchSlot(width: width, decimals: decimals, sentinel: text))
        return Double(text)!
    }
}

/// An encoded report with the positions of everything that changes.
struct EncodedTemplate {
    var body: [UInt8]
    let slots: [PatchPosition]
    /// Where the 30-byte timestamp value `YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ` starts.
    let timestampOffset: Int
}

/// A bug in the bench's own report layout (never caused by the hub).
struct TemplateError: Error, CustomStringConvertible {
    let description: String
}

enum ReportTemplate {
    /// The timestamp the template is encoded with; it must be a whole second.
    static let timestampSentinel = Date(timeIntervalSince1970: 1_000_000_000)

    /// Encodes `report` (whose changing fields hold the allocator's sentinels and `timestampSentinel`) with the
    /// wire encoder, widens the timestamp to nanosecond precision and locates every slot.
    static func encode(_ report: HostReport, slots: [PatchSlot],
                       encoder: JSONEncoder) throws(TemplateError) -> EncodedTemplate {
        var body: [UInt8]
        do {
            body = Array(try encoder.encode(report))
        } catch {
            throw TemplateError(description: "cannot encode the host report: \(error)")
        }
        let secondText = RFC3339.format(timestampSentinel)
        let needle = Array("\"timestamp\":\"\(secondText)\"".utf8)
        guard secondText.utf8.count == 20, let found = firstIndex(of: needle, in: body) else {
            throw TemplateError(description: "timestamp \(secondText) not found in the encoded report")
        }
        let valueStart = found + needle.count - 21
        let widened = Array((String(secondText.dropLast()) + ".000000000Z").utf8)
        body.replaceSubrange(valueStart..<(valueStart + 20), with: widened)

        var located = slots
        var lookup: [String: Int] = [:]
        for (index, slot) in slots.enumerated() { lookup[slot.sentinel] = index }
        var index = 0
        var inString = false
        while index < body.count {
            let byte = body[index]
            if inString {
                if byte == UInt8(ascii: "\\") { index += 2; continue }
                if byte == UInt8(ascii: "\"") { inString = false }
                index += 1
                continue
            }
            if byte == UInt8(ascii: "\"") {
                inString = true
                index += 1
                continue
            }
            if byte == UInt8(ascii: "-") || (byte >= 48 && byte <= 57) {
                let start = index
                while index < body.count, isNumberByte(body[index]) { index += 1 }
                let token = String(decoding: body[start..<index], as: UTF8.self)
                if let slot = lookup[token] {
                    guard located[slot].offset < 0 else {
                        throw TemplateError(description: "sentinel \(token) occurs twice in the encoded report")
                    }
                    guard index - start == located[slot].width else {
                        throw TemplateError(description: "sentinel \(token) encoded with the wrong width")
                    }
                    located[slot].offset = start
                }
                continue
            }
            index += 1
        }
        if let missing = located.first(where: { $0.offset < 0 }) {
            throw TemplateError(description: "sentinel \(missing.sentinel) not found in the encoded report")
        }
        let positions = located.map {
            PatchPosition(offset: Int32($0.offset), width: UInt8($0.width), decimals: UInt8($0.decimals))
        }
        return EncodedTemplate(body: body, slots: positions, timestampOffset: valueStart)
    }

    private static func isNumberByte(_ byte: UInt8) -> Bool {
        (byte >= 48 && byte <= 57) || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "-")
            || byte == UInt8(ascii: "+") || byte == UInt8(ascii: "e") || byte == UInt8(ascii: "E")
    }

    private static func firstIndex(of needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard needle.count <= haystack.count else { return nil }
        outer: for start in 0...(haystack.count - needle.count) {
            for offset in 0..<needle.count where haystack[start + offset] != needle[offset] { continue outer }
            return start
        }
        return nil
    }
}

/// Writes numbers and timestamps into a report body in place.
enum SlotWriter {
    /// Writes `value` (scaled by 10^decimals for decimal slots) right-aligned; values that do not fit are clamped
    /// to the largest that does, negative values to 0.
    static func write(_ value: Int64, into body: UnsafeMutableBufferPointer<UInt8>, slot: PatchPosition) {
        let width = Int(slot.width)
        let decimals = Int(slot.decimals)
        let start = Int(slot.offset)
        let digitsAvailable = decimals == 0 ? width : width - 1
        var limit: Int64 = 1
        for _ in 0..<digitsAvailable { limit = limit &* 10 }
        var remaining = min(max(value, 0), limit - 1)
        var position = start + width - 1
        var written = 0
        // Digits from the right; a decimal always gets its fraction and at least one integer digit.
        let minimumDigits = decimals + 1
        while written < minimumDigits || remaining > 0 {
            if decimals > 0, written == decimals {
                body[position] = UInt8(ascii: ".")
                position -= 1
            }
            body[position] = UInt8(48 + remaining % 10)
            remaining /= 10
            position -= 1
            written += 1
        }
        while position >= start {
            body[position] = UInt8(ascii: " ")
            position -= 1
        }
    }

    /// Writes `YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ` for `wallNanos`, reusing the cached seconds text.
    static func writeTimestamp(_ wallNanos: UInt64, into body: UnsafeMutableBufferPointer<UInt8>, at offset: Int,
                               cache: inout TimestampCache) {
        let second = wallNanos / 1_000_000_000
        if second != cache.second {
            let text = RFC3339.format(Date(timeIntervalSince1970: Double(second)))
            cache.prefix = Array(text.utf8.prefix(19))
            cache.second = second
        }
        for index in 0..<19 { body[offset + index] = cache.prefix[index] }
        body[offset + 19] = UInt8(ascii: ".")
        var fraction = wallNanos % 1_000_000_000
        for index in stride(from: offset + 28, through: offset + 20, by: -1) {
            body[index] = UInt8(48 + fraction % 10)
            fraction /= 10
        }
        body[offset + 29] = UInt8(ascii: "Z")
    }
}

/// The formatted `YYYY-MM-DDTHH:MM:SS` of the last second written, per client thread.
struct TimestampCache {
    var second: UInt64 = .max
    var prefix: [UInt8] = []
}
