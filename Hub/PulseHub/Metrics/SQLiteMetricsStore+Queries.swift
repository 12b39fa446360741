import Foundation
import PulseCommon

/// History queries: choose the tier for the span, stitch finer tiers after it so the whole range is covered,
/// then bucket to the requested point count.
extension SQLiteMetricsStore {
    /// The coarsest tier a span is read from (finer tiers fill in what it has not rolled up yet).
    func tier(forSpan span: Int64, start: Int64, now: Int64) -> MetricsTier {
        var candidate: MetricsTier
        switch span {
        case ...(6 * 3600): candidate = .raw
        case ...(3 * 86_400): candidate = .minute
        case ...(60 * 86_400): candidate = .hourly
        default: candidate = .daily
        }
        // Data older than a tier's retention lives only in coarser tiers.
        let order = MetricsTier.allCases
        var index = order.firstIndex(of: candidate)!
        while index < order.count - 1, start < now - configuration.retention.seconds(order[index]) { index += 1 }
        candidate = order[index]
        return candidate
    }

    public func history(resourceType: String, resourceID: String, metric: String?, start: Int64, end: Int64,
                        maxPoints: Int) throws -> [String: [MetricPoint]] {
        let series = state.withLock { state -> [String: Int64] in
            state.seriesByResource[resourceType + "\u{1F}" + resourceID] ?? [:]
        }.filter { metric == nil || $0.key == metric }
        let now = Int64(clock().timeIntervalSince1970)
        let tier = tier(forSpan: end - start, start: start, now: now)
        var result: [String: [MetricPoint]] = [:]
        for (name, id) in series {
            let parts = try stitched(from: tier, start: start, end: end) { tier, from, to in
                try fetch(id: id, tier: tier, from: from, to: to)
            }
            result[name] = Self.bucket(parts, start: start, end: end, tier: tier, maxPoints: maxPoints)
        }
        return result
    }

    public func metricNames(resourceType: String, resourceID: String) -> [String] {
        state.withLock { state in
            (state.seriesByResource[resourceType + "\u{1F}" + resourceID] ?? [:]).keys.sorted()
        }
    }

    public func history(resourceType: String, metrics: [String], start: Int64, end: Int64,
                        maxPoints: Int) throws -> [String: [String: [MetricPoint]]] {
        let wanted = state.withLock { state -> [Int64: SeriesKey] in
            var ids: [Int64: SeriesKey] = [:]
            for (key, id) in state.seriesIDs where key.resourceType == resourceType && metrics.contains(key.metric) {
                ids[id] = key
            }
            return ids
        }
        guard !wanted.isEmpty else { return [:] }
        let now = Int64(clock().timeIntervalSince1970)
        let tier = tier(forSpan: end - start, start: start, now: now)
        var collected: [Int64: [ChunkCodec.Aggregate]] = [:]
        _ = try stitched(from: tier, start: start, end: end) { tier, from, to in
            try scan(ids: Set(wanted.keys), tier: tier, from: from, to: to, into: &collected)
            return []
        }
        var result: [String: [String: [MetricPoint]]] = [:]
        for (id, parts) in collected {
            guard let key = wanted[id] else { continue }
            let sorted = parts.sorted { $0.timestamp < $1.timestamp }
            result[key.resourceID, default: [:]][key.metric] = Self.bucket(sorted, start: start, end: end, tier: tier,
                                                                           maxPoints: maxPoints)
        }
        return result
    }

    /// Runs `fetch` for each tier from `coarsest` down to raw over the part of the range that tier covers.
    private func stitched(from coarsest: MetricsTier, start: Int64, end: Int64,
                          fetch: (MetricsTier, Int64, Int64) throws -> [ChunkCodec.Aggregate]) throws -> [ChunkCodec.Aggregate] {
        let (sealed, hourly, daily) = state.withLock { ($0.sealedUntil, $0.hourlyUntil, $0.dailyUntil) }
        let order: [MetricsTier] = [.daily, .hourly, .minute, .raw]
        var cursor = start
        var parts: [ChunkCodec.Aggregate] = []
        for tier in order.drop(while: { $0 != coarsest }) {
            let covered: Int64
            switch tier {
            case .daily: covered = daily
            case .hourly: covered = hourly
            case .minute: covered = sealed
            case .raw: covered = end
            }
            let segmentEnd = min(end, covered)
            guard segmentEnd > cursor else { continue }
            parts += try fetch(tier, cursor, segmentEnd)
            cursor = segmentEnd
        }
        return parts
    }

    /// One series' stored values in `[from, to)` from one tier (point lookups on time-major keys).
    private func fetch(id: Int64, tier: MetricsTier, from: Int64, to: Int64) throws -> [ChunkCodec.Aggregate] {
        let block = configuration.blockSeconds
        var result: [ChunkCodec.Aggregate] = []
        switch tier {
        case .raw, .minute:
            let sealed = state.withLock { $0.sealedUntil }
            let table = tier == .raw ? "raw_chunks" : "minute_chunks"
            var start = Self.floor(from, block)
            while start < min(to, sealed) {
                if let row = try reader.query("SELECT data FROM \(table) WHERE block_start = ? AND series_id = ?",
                                              [.integer(start), .integer(id)]).first, case .blob(let data) = row[0] {
                    result += Self.decode(data, tier: tier).filter { $0.timestamp >= from && $0.timestamp < to }
                }
                start += block
            }
            if tier == .raw, to > sealed {
                let open = state.withLock { $0.open[id] ?? [] }
                result += Self.sortedUnique(open.filter { $0.timestamp >= max(from, sealed) && $0.timestamp < to })
                    .map { ChunkCodec.Aggregate(timestamp: $0.timestamp, average: $0.value, minimum: $0.value, maximum: $0.value, count: 1) }
            }
        case .hourly, .daily:
            let size = tier.resolution
            let table = tier == .hourly ? "rollup_hourly" : "rollup_daily"
            var bucket = Self.floor(from, size)
            while bucket < to {
                if let row = try reader.query("SELECT bucket_start, avg, min, max, count FROM \(table) WHERE bucket_start = ? AND series_id = ?",
                                              [.integer(bucket), .integer(id)]).first,
                   let aggregate = Self.aggregate(fromRow: row[...]) {
                    result.append(aggregate)
                }
                bucket += size
            }
        }
        return result
    }

    /// Every wanted series' values in `[from, to)` from one tier, by range scans (for charts of many resources).
    private func scan(ids: Set<Int64>, tier: MetricsTier, from: Int64, to: Int64,
                      into collected: inout [Int64: [ChunkCodec.Aggregate]]) throws {
        switch tier {
        case .raw, .minute:
            let table = tier == .raw ? "raw_chunks" : "minute_chunks"
            for row in try reader.query("SELECT series_id, data FROM \(table) WHERE block_start >= ? AND block_start < ?",
                                        [.integer(Self.floor(from, configuration.blockSeconds)), .integer(to)]) {
                guard let id = row[0].int64, ids.contains(id), case .blob(let data) = row[1] else { continue }
                collected[id, default: []] += Self.decode(data, tier: tier).filter { $0.timestamp >= from && $0.timestamp < to }
            }
            if tier == .raw {
                let open = state.withLock { state in state.open.filter { ids.contains($0.key) } }
                for (id, samples) in open {
                    collected[id, default: []] += Self.sortedUnique(samples.filter { $0.timestamp >= from && $0.timestamp < to })
                        .map { ChunkCodec.Aggregate(timestamp: $0.timestamp, average: $0.value, minimum: $0.value, maximum: $0.value, count: 1) }
                }
            }
        case .hourly, .daily:
            let table = tier == .hourly ? "rollup_hourly" : "rollup_daily"
            for row in try reader.query("SELECT series_id, bucket_start, avg, min, max, count FROM \(table) WHERE bucket_start >= ? AND bucket_start < ?",
                                        [.integer(Self.floor(from, tier.resolution)), .integer(to)]) {
                guard let id = row[0].int64, ids.contains(id), let aggregate = Self.aggregate(fromRow: row.dropFirst()) else { continue }
                collected[id, default: []].append(aggregate)
            }
        }
    }

    private static func decode(_ data: [UInt8], tier: MetricsTier) -> [ChunkCodec.Aggregate] {
        if tier == .raw {
            return (ChunkCodec.decodeSamples(data) ?? []).map {
                ChunkCodec.Aggregate(timestamp: $0.timestamp, average: $0.value, minimum: $0.value, maximum: $0.value, count: 1)
            }
        }
        return ChunkCodec.decodeAggregates(data) ?? []
    }

    static func floor(_ value: Int64, _ size: Int64) -> Int64 {
        value >= 0 ? (value / size) * size : ((value - size + 1) / size) * size
    }

    /// Groups values into buckets of at least the tier's resolution, about `maxPoints` over the range.
    static func bucket(_ parts: [ChunkCodec.Aggregate], start: Int64, end: Int64, tier: MetricsTier,
                       maxPoints: Int) -> [MetricPoint] {
        let span = max(1, end - start)
        let size = max(max(1, tier.resolution), (span + Int64(max(1, maxPoints)) - 1) / Int64(max(1, maxPoints)))
        var buckets: [Int64: ChunkCodec.Aggregate] = [:]
        for part in parts where part.count > 0 {
            let key = floor(part.timestamp, size)
            if let existing = buckets[key] {
                buckets[key] = combine([existing, part], at: key)
            } else {
                buckets[key] = ChunkCodec.Aggregate(timestamp: key, average: part.average, minimum: part.minimum,
                                                    maximum: part.maximum, count: part.count)
            }
        }
        return buckets.keys.sorted().map { key in
            let value = buckets[key]!
            return MetricPoint(timestamp: key * 1000, value: value.average, min: value.minimum, max: value.maximum)
        }
    }
}
