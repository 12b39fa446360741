/// Compact encodings for time-series chunks: zigzag varints of deltas (timestamps as delta-of-delta, values as
/// deltas of a fixed-point integer with 3 decimals). A chunk of samples at a steady interval costs about 3 bytes
/// per sample. Pure functions; malformed input decodes to `nil`, never traps.
public enum ChunkCodec {
    /// Values are stored to this many units per 1 (3 decimals).
    public static let scale = 1000.0
    /// The largest magnitude stored exactly enough; larger values are clamped.
    static let limit = 9.0e15

    // MARK: Samples

    /// Encodes samples sorted by timestamp with distinct timestamps.
    public static func encode(samples: [(timestamp: Int64, value: Double)]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(samples.count * 3 + 8)
        writeVarint(UInt64(samples.count), &out)
        var previousTimestamp: Int64 = 0, previousDelta: Int64 = 0, previousValue: Int64 = 0
        for (index, sample) in samples.enumerated() {
            let fixed = fixedPoint(sample.value)
            if index == 0 {
                writeSigned(sample.timestamp, &out)
                writeSigned(fixed, &out)
            } else {
                let delta = sample.timestamp &- previousTimestamp
                writeSigned(delta &- previousDelta, &out)
                writeSigned(fixed &- previousValue, &out)
                previousDelta = delta
            }
            previousTimestamp = sample.timestamp
            previousValue = fixed
        }
        return out
    }

    /// Decodes `encode(samples:)` output.
    public static func decodeSamples(_ bytes: [UInt8]) -> [(timestamp: Int64, value: Double)]? {
        var reader = Reader(bytes: bytes)
        guard let count = reader.varint(), count <= UInt64(bytes.count) else { return nil }
        var samples: [(timestamp: Int64, value: Double)] = []
        samples.reserveCapacity(Int(count))
        var timestamp: Int64 = 0, delta: Int64 = 0, value: Int64 = 0
        for index in 0..<Int(count) {
            if index == 0 {
                guard let first = reader.signed(), let fixed = reader.signed() else { return nil }
                timestamp = first
                value = fixed
            } else {
                guard let deltaOfDelta = reader.signed(), let valueDelta = reader.signed() else { return nil }
                delta = delta &+ deltaOfDelta
                timestamp = timestamp &+ delta
                value = value &+ valueDelta
            }
            samples.append((timestamp, Double(value) / scale))
        }
        return reader.atEnd ? samples : nil
    }

    // MARK: Aggregates

    /// One aggregated bucket: average, extremes and the number of raw samples behind it.
    public struct Aggregate: Equatable, Sendable {
        public var timestamp: Int64
        public var average: Double
        public var minimum: Double
        public var maximum: Double
        public var count: Int64

        public init(timestamp: Int64, average: Double, minimum: Double, maximum: Double, count: Int64) {
            self.timestamp = timestamp
            self.average = average
            self.minimum = minimum
            self.maximum = maximum
            self.count = count
        }
    }

    /// Encodes aggregates sorted by timestamp.
    public static func encode(aggregates: [Aggregate]) -> [UInt8] {
        var out: [UInt8] = []
        writeVarint(UInt64(aggregates.count), &out)
        var previousTimestamp: Int64 = 0
        for aggregate in aggregates {
            writeSigned(aggregate.timestamp &- previousTimestamp, &out)
            previousTimestamp = aggregate.timestamp
            let average = fixedPoint(aggregate.average)
            writeSigned(average, &out)
            writeSigned(average &- fixedPoint(aggregate.minimum), &out)
            writeSigned(fixedPoint(aggregate.maximum) &- average, &out)
            writeVarint(UInt64(max(0, aggregate.count)), &out)
        }
        return out
    }

    /// Decodes `encode(aggregates:)` output.
    public static func decodeAggregates(_ bytes: [UInt8]) -> [Aggregate]? {
        var reader = Reader(bytes: bytes)
        guard let count = reader.varint(), count <= UInt64(bytes.count) else { return nil }
        var result: [Aggregate] = []
        result.reserveCapacity(Int(count))
        var timestamp: Int64 = 0
        for _ in 0..<Int(count) {
            guard let delta = reader.signed(), let average = reader.signed(), let belowAverage = reader.signed(),
                  let aboveAverage = reader.signed(), let samples = reader.varint(), samples <= UInt64(Int64.max) else {
                return nil
            }
            timestamp = timestamp &+ delta
            result.append(Aggregate(timestamp: timestamp, average: Double(average) / scale,
                                    minimum: Double(average &- belowAverage) / scale,
                                    maximum: Double(average &+ aboveAverage) / scale, count: Int64(samples)))
        }
        return reader.atEnd ? result : nil
    }

    // MARK: Log batches

    /// Encodes one flush's samples for the durability log: exact values (IEEE bits), any series and time order.
    public static func encode(log samples: [(series: Int64, timestamp: Int64, value: Double)]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(samples.count * 14 + 8)
        writeVarint(UInt64(samples.count), &out)
        let base = samples.first?.timestamp ?? 0
        writeSigned(base, &out)
        for sample in samples {
            writeVarint(UInt64(bitPattern: sample.series), &out)
            writeSigned(sample.timestamp &- base, &out)
            var bits = sample.value.bitPattern
            for _ in 0..<8 {
                out.append(UInt8(truncatingIfNeeded: bits))
                bits >>= 8
            }
        }
        return out
    }

    /// Decodes `encode(log:)` output.
    public static func decodeLog(_ bytes: [UInt8]) -> [(series: Int64, timestamp: Int64, value: Double)]? {
        var reader = Reader(bytes: bytes)
        guard let count = reader.varint(), count <= UInt64(bytes.count), let base = reader.signed() else { return nil }
        var samples: [(series: Int64, timestamp: Int64, value: Double)] = []
        samples.reserveCapacity(Int(count))
        for _ in 0..<Int(count) {
            guard let series = reader.varint(), let offset = reader.signed(), reader.offset + 8 <= bytes.count else { return nil }
            var bits: UInt64 = 0
            for index in 0..<8 { bits |= UInt64(bytes[reader.offset + index]) << (8 * UInt64(index)) }
            reader.offset += 8
            samples.append((Int64(bitPattern: series), base &+ offset, Double(bitPattern: bits)))
        }
        return reader.atEnd ? samples : nil
    }

    // MARK: Primitives

    static func fixedPoint(_ value: Double) -> Int64 {
        guard value.isFinite else { return 0 }
        return Int64((Swift.min(Swift.max(value, -limit / scale), limit / scale) * scale).rounded())
    }

    static func writeVarint(_ value: UInt64, _ out: inout [UInt8]) {
        var rest = value
        while rest >= 0x80 {
            out.append(UInt8(rest & 0x7f) | 0x80)
            rest >>= 7
        }
        out.append(UInt8(rest))
    }

    static func writeSigned(_ value: Int64, _ out: inout [UInt8]) {
        writeVarint(UInt64(bitPattern: (value << 1) ^ (value >> 63)), &out)
    }

    struct Reader {
        let bytes: [UInt8]
        var offset = 0

        var atEnd: Bool { offset == bytes.count }

        mutating func varint() -> UInt64? {
            var result: UInt64 = 0
            var shift: UInt64 = 0
            while offset < bytes.count, shift < 64 {
                let byte = bytes[offset]
                offset += 1
                result |= UInt64(byte & 0x7f) << shift
                if byte & 0x80 == 0 { return result }
                shift += 7
            }
            return nil
        }

        mutating func signed() -> Int64? {
            guard let raw = varint() else { return nil }
            return Int64(bitPattern: (raw >> 1) ^ (0 &- (raw & 1)))
        }
    }
}
