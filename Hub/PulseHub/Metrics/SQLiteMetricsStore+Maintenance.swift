import Foundation
import PulseCommon

/// Sealing blocks, rolling up tiers, late samples and retention. All run on the writer thread.
extension SQLiteMetricsStore {
    typealias Sample = (timestamp: Int64, value: Double)

    /// Seals finished blocks, rolls up finished hours and days, and applies retention (at most every 10 min).
    public func maintain() throws {
        try sealFinishedBlocks()
        try rollUp()
        let due = state.withLock { state in
            state.lastRetention.map { clock().timeIntervalSince($0) >= 600 } ?? true
        }
        if due { try applyRetention() }
    }

    // MARK: Sealing

    func sealFinishedBlocks() throws {
        let block = configuration.blockSeconds
        let now = Int64(clock().timeIntervalSince1970)
        while true {
            let next = state.withLock { state -> (start: Int64, samples: [Int64: [Sample]])? in
                var start = state.sealedUntil
                // Skip empty blocks in one step (after downtime, or with no samples at all).
                let earliest = state.open.values.lazy.compactMap { $0.map(\.timestamp).min() }.min()
                if let earliest {
                    start = max(start, (earliest / block) * block)
                } else {
                    start = max(start, ((now - configuration.sealGrace) / block) * block)
                }
                state.sealedUntil = start
                guard start + block + configuration.sealGrace <= now else { return nil }
                var samples: [Int64: [Sample]] = [:]
                for (id, values) in state.open {
                    let inBlock = values.filter { $0.timestamp < start + block }
                    if !inBlock.isEmpty { samples[id] = inBlock }
                }
                return (start, samples)
            }
            guard let next else { break }
            try seal(block: next.start, samples: next.samples)
        }
        // Persist a skipped-ahead marker too.
        let marker = state.withLock { $0.sealedUntil }
        try writer.transaction { try Self.setMeta("sealed_until", marker, $0) }
    }

    private func seal(block start: Int64, samples: [Int64: [Sample]]) throws {
        let end = start + configuration.blockSeconds
        var rawAdded: Int64 = 0, minuteAdded: Int64 = 0
        try writer.transaction { transaction in
            for (id, values) in samples {
                let clean = Self.sortedUnique(values)
                let minutes = Self.aggregate(clean, bucket: 60)
                try transaction.run("INSERT OR REPLACE INTO raw_chunks(block_start, series_id, count, data) VALUES(?, ?, ?, ?)",
                                    [.integer(start), .integer(id), .integer(Int64(clean.count)),
                                     .blob(ChunkCodec.encode(samples: clean))])
                try transaction.run("INSERT OR REPLACE INTO minute_chunks(block_start, series_id, count, data) VALUES(?, ?, ?, ?)",
                                    [.integer(start), .integer(id), .integer(Int64(minutes.count)),
                                     .blob(ChunkCodec.encode(aggregates: minutes))])
                rawAdded += Int64(clean.count)
                minuteAdded += Int64(minutes.count)
            }
            try transaction.run("DELETE FROM ingest_log WHERE max_ts < ?", [.integer(end)])
            try Self.setMeta("sealed_until", end, transaction)
            try Self.addMeta("raw_count", rawAdded, transaction)
            try Self.addMeta("minute_count", minuteAdded, transaction)
        }
        state.withLock { state in
            var removed = 0
            for id in samples.keys {
                let before = state.open[id]?.count ?? 0
                state.open[id]?.removeAll { $0.timestamp < end }
                removed += before - (state.open[id]?.count ?? 0)
                if state.open[id]?.isEmpty == true { state.open[id] = nil }
            }
            state.openCount -= removed
            state.sealedUntil = end
            state.counts.raw += rawAdded
            state.counts.minute += minuteAdded
            state.lastRollup = clock()
        }
    }

    // MARK: Rollups

    func rollUp() throws {
        let (sealed, hourlyFrom, dailyFrom) = state.withLock { ($0.sealedUntil, $0.hourlyUntil, $0.dailyUntil) }
        var hour = hourlyFrom
        if let first = try reader.query("SELECT MIN(block_start) FROM minute_chunks WHERE block_start >= ?", [.integer(hour)]).first?.first?.int64 {
            hour = max(hour, (first / 3600) * 3600)
        } else {
            hour = max(hour, (sealed / 3600) * 3600)
        }
        while hour + 3600 <= sealed {
            try rollUpHour(hour)
            hour += 3600
        }
        state.withLock { $0.hourlyUntil = max($0.hourlyUntil, hour) }
        try writer.transaction { try Self.setMeta("hourly_until", hour, $0) }

        let hourlyDone = state.withLock { $0.hourlyUntil }
        var day = dailyFrom
        if let first = try reader.query("SELECT MIN(bucket_start) FROM rollup_hourly WHERE bucket_start >= ?", [.integer(day)]).first?.first?.int64 {
            day = max(day, (first / 86_400) * 86_400)
        } else {
            day = max(day, (hourlyDone / 86_400) * 86_400)
        }
        while day + 86_400 <= hourlyDone {
            try rollUpDay(day)
            day += 86_400
        }
        state.withLock { $0.dailyUntil = max($0.dailyUntil, day) }
        try writer.transaction { try Self.setMeta("daily_until", day, $0) }
    }

    private func rollUpHour(_ hour: Int64) throws {
        var perSeries: [Int64: [ChunkCodec.Aggregate]] = [:]
        for row in try reader.query("SELECT series_id, data FROM minute_chunks WHERE block_start >= ? AND block_start < ?",
                                    [.integer(hour), .integer(hour + 3600)]) {
            guard let id = row[0].int64, case .blob(let data) = row[1], let minutes = ChunkCodec.decodeAggregates(data) else { continue }
            perSeries[id, default: []].append(contentsOf: minutes)
        }
        var added: Int64 = 0
        try writer.transaction { transaction in
            for (id, minutes) in perSeries {
                guard let combined = Self.combine(minutes, at: hour) else { continue }
                try Self.putRollup("rollup_hourly", combined, id: id, transaction)
                added += 1
            }
            try Self.addMeta("hourly_count", added, transaction)
        }
        state.withLock { state in
            state.counts.hourly += added
            state.lastRollup = clock()
        }
    }

    private func rollUpDay(_ day: Int64) throws {
        var perSeries: [Int64: [ChunkCodec.Aggregate]] = [:]
        for row in try reader.query("SELECT series_id, bucket_start, avg, min, max, count FROM rollup_hourly WHERE bucket_start >= ? AND bucket_start < ?",
                                    [.integer(day), .integer(day + 86_400)]) {
            guard let id = row[0].int64, let aggregate = Self.aggregate(fromRow: row.dropFirst()) else { continue }
            perSeries[id, default: []].append(aggregate)
        }
        var added: Int64 = 0
        try writer.transaction { transaction in
            for (id, hours) in perSeries {
                guard let combined = Self.combine(hours, at: day) else { continue }
                try Self.putRollup("rollup_daily", combined, id: id, transaction)
                added += 1
            }
            try Self.addMeta("daily_count", added, transaction)
        }
        state.withLock { $0.counts.daily += added }
    }

    static func putRollup(_ table: String, _ aggregate: ChunkCodec.Aggregate, id: Int64,
                          _ transaction: SQLiteDatabase.Transaction) throws {
        try transaction.run("INSERT OR REPLACE INTO \(table)(bucket_start, series_id, avg, min, max, count) VALUES(?, ?, ?, ?, ?, ?)",
                            [.integer(aggregate.timestamp), .integer(id), .real(aggregate.average),
                             .real(aggregate.minimum), .real(aggregate.maximum), .integer(aggregate.count)])
    }

    static func aggregate(fromRow row: ArraySlice<SQLiteValue>) -> ChunkCodec.Aggregate? {
        let values = Array(row)
        guard values.count == 5, let ts = values[0].int64, let average = values[1].double, let low = values[2].double,
              let high = values[3].double, let count = values[4].int64 else { return nil }
        return ChunkCodec.Aggregate(timestamp: ts, average: average, minimum: low, maximum: high, count: count)
    }

    // MARK: Late samples

    /// Merges samples older than the open block into their sealed chunks and recomputes the aggregates above
    /// them. Returns the change in stored raw samples.
    func mergeLate(_ late: [(Int64, Int64, Double)], _ transaction: SQLiteDatabase.Transaction) throws -> Int64 {
        guard !late.isEmpty else { return 0 }
        let block = configuration.blockSeconds
        var groups: [Int64: [Int64: [Sample]]] = [:]
        for (id, ts, value) in late { groups[(ts / block) * block, default: [:]][id, default: []].append((ts, value)) }
        let (hourlyUntil, dailyUntil) = state.withLock { ($0.hourlyUntil, $0.dailyUntil) }
        var rawDelta: Int64 = 0, minuteDelta: Int64 = 0
        for (start, bySeries) in groups {
            for (id, samples) in bySeries {
                var existing: [Sample] = []
                var existingMinutes: Int64 = 0
                if let row = try transaction.query("SELECT data FROM raw_chunks WHERE block_start = ? AND series_id = ?",
                                                   [.integer(start), .integer(id)]).first, case .blob(let data) = row[0] {
                    existing = ChunkCodec.decodeSamples(data) ?? []
                }
                if let row = try transaction.query("SELECT count FROM minute_chunks WHERE block_start = ? AND series_id = ?",
                                                   [.integer(start), .integer(id)]).first {
                    existingMinutes = row[0].int64 ?? 0
                }
                let merged = Self.sortedUnique(existing + samples)
                let minutes = Self.aggregate(merged, bucket: 60)
                try transaction.run("INSERT OR REPLACE INTO raw_chunks(block_start, series_id, count, data) VALUES(?, ?, ?, ?)",
                                    [.integer(start), .integer(id), .integer(Int64(merged.count)),
                                     .blob(ChunkCodec.encode(samples: merged))])
                try transaction.run("INSERT OR REPLACE INTO minute_chunks(block_start, series_id, count, data) VALUES(?, ?, ?, ?)",
                                    [.integer(start), .integer(id), .integer(Int64(minutes.count)),
                                     .blob(ChunkCodec.encode(aggregates: minutes))])
                rawDelta += Int64(merged.count - existing.count)
                minuteDelta += Int64(minutes.count) - existingMinutes
                let hour = (start / 3600) * 3600
                if hour < hourlyUntil { try recomputeHourly(hour, id: id, transaction) }
                let day = (start / 86_400) * 86_400
                if day < dailyUntil { try recomputeDaily(day, id: id, transaction) }
            }
        }
        try Self.addMeta("raw_count", rawDelta, transaction)
        try Self.addMeta("minute_count", minuteDelta, transaction)
        state.withLock { $0.counts.minute += minuteDelta }
        return rawDelta
    }

    private func recomputeHourly(_ hour: Int64, id: Int64, _ transaction: SQLiteDatabase.Transaction) throws {
        var minutes: [ChunkCodec.Aggregate] = []
        var start = hour
        while start < hour + 3600 {
            if let row = try transaction.query("SELECT data FROM minute_chunks WHERE block_start = ? AND series_id = ?",
                                               [.integer(start), .integer(id)]).first,
               case .blob(let data) = row[0], let decoded = ChunkCodec.decodeAggregates(data) {
                minutes += decoded
            }
            start += configuration.blockSeconds
        }
        guard let combined = Self.combine(minutes, at: hour) else { return }
        let existed = try !transaction.query("SELECT 1 FROM rollup_hourly WHERE bucket_start = ? AND series_id = ?",
                                             [.integer(hour), .integer(id)]).isEmpty
        try Self.putRollup("rollup_hourly", combined, id: id, transaction)
        if !existed {
            try Self.addMeta("hourly_count", 1, transaction)
            state.withLock { $0.counts.hourly += 1 }
        }
    }

    private func recomputeDaily(_ day: Int64, id: Int64, _ transaction: SQLiteDatabase.Transaction) throws {
        var hours: [ChunkCodec.Aggregate] = []
        for row in try transaction.query("SELECT bucket_start, avg, min, max, count FROM rollup_hourly WHERE bucket_start >= ? AND bucket_start < ? AND series_id = ?",
                                         [.integer(day), .integer(day + 86_400), .integer(id)]) {
            if let aggregate = Self.aggregate(fromRow: row[...]) { hours.append(aggregate) }
        }
        guard let combined = Self.combine(hours, at: day) else { return }
        let existed = try !transaction.query("SELECT 1 FROM rollup_daily WHERE bucket_start = ? AND series_id = ?",
                                             [.integer(day), .integer(id)]).isEmpty
        try Self.putRollup("rollup_daily", combined, id: id, transaction)
        if !existed {
            try Self.addMeta("daily_count", 1, transaction)
            state.withLock { $0.counts.daily += 1 }
        }
    }

    // MARK: Retention

    func applyRetention() throws {
        let now = Int64(clock().timeIntervalSince1970)
        let retention = configuration.retention
        var removed = TierCounts()
        try writer.transaction { transaction in
            let rawCutoff = now - retention.seconds(.raw)
            removed.raw = try transaction.query("SELECT COALESCE(SUM(count), 0) FROM raw_chunks WHERE block_start < ?",
                                                [.integer(rawCutoff)]).first?.first?.int64 ?? 0
            try transaction.run("DELETE FROM raw_chunks WHERE block_start < ?", [.integer(rawCutoff)])
            let minuteCutoff = now - retention.seconds(.minute)
            removed.minute = try transaction.query("SELECT COALESCE(SUM(count), 0) FROM minute_chunks WHERE block_start < ?",
                                                   [.integer(minuteCutoff)]).first?.first?.int64 ?? 0
            try transaction.run("DELETE FROM minute_chunks WHERE block_start < ?", [.integer(minuteCutoff)])
            let hourlyCutoff = now - retention.seconds(.hourly)
            removed.hourly = try transaction.run("DELETE FROM rollup_hourly WHERE bucket_start < ?", [.integer(hourlyCutoff)]).int64
            let dailyCutoff = now - retention.seconds(.daily)
            removed.daily = try transaction.run("DELETE FROM rollup_daily WHERE bucket_start < ?", [.integer(dailyCutoff)]).int64
            try Self.addMeta("raw_count", -removed.raw, transaction)
            try Self.addMeta("minute_count", -removed.minute, transaction)
            try Self.addMeta("hourly_count", -removed.hourly, transaction)
            try Self.addMeta("daily_count", -removed.daily, transaction)
        }
        state.withLock { state in
            state.counts.raw -= removed.raw
            state.counts.minute -= removed.minute
            state.counts.hourly -= removed.hourly
            state.counts.daily -= removed.daily
            state.lastRetention = clock()
        }
        if removed.raw + removed.minute + removed.hourly + removed.daily > 0 {
            logger.debug("metrics retention applied", ["raw": String(removed.raw), "minute": String(removed.minute),
                                                       "hourly": String(removed.hourly), "daily": String(removed.daily)])
        }
    }

    // MARK: Pure helpers

    /// Sorted by time; of samples with the same timestamp the last one written wins.
    static func sortedUnique(_ samples: [Sample]) -> [Sample] {
        var byTime: [Int64: Double] = [:]
        for sample in samples { byTime[sample.timestamp] = sample.value }
        return byTime.keys.sorted().map { ($0, byTime[$0]!) }
    }

    /// Aggregates samples into aligned buckets of `bucket` seconds.
    static func aggregate(_ samples: [Sample], bucket: Int64) -> [ChunkCodec.Aggregate] {
        var result: [ChunkCodec.Aggregate] = []
        var sum = 0.0
        for sample in samples {
            let start = sample.timestamp >= 0 ? (sample.timestamp / bucket) * bucket
                                              : ((sample.timestamp - bucket + 1) / bucket) * bucket
            if var last = result.last, last.timestamp == start {
                sum += sample.value
                last.count += 1
                last.minimum = min(last.minimum, sample.value)
                last.maximum = max(last.maximum, sample.value)
                last.average = sum / Double(last.count)
                result[result.count - 1] = last
            } else {
                sum = sample.value
                result.append(ChunkCodec.Aggregate(timestamp: start, average: sample.value, minimum: sample.value,
                                                   maximum: sample.value, count: 1))
            }
        }
        return result
    }

    /// One aggregate from several: count-weighted average, min of minimums, max of maximums.
    static func combine(_ parts: [ChunkCodec.Aggregate], at timestamp: Int64) -> ChunkCodec.Aggregate? {
        guard !parts.isEmpty else { return nil }
        var count: Int64 = 0, sum = 0.0, low = Double.infinity, high = -Double.infinity
        for part in parts where part.count > 0 {
            count += part.count
            sum += part.average * Double(part.count)
            low = min(low, part.minimum)
            high = max(high, part.maximum)
        }
        guard count > 0 else { return nil }
        return ChunkCodec.Aggregate(timestamp: timestamp, average: sum / Double(count), minimum: low, maximum: high,
                                    count: count)
    }
}

extension Int {
    var int64: Int64 { Int64(self) }
}
