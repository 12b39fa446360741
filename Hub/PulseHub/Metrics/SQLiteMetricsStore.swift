import Foundation
import PulseCommon
import Synchronization

/// The embedded metrics store: `<data>/metrics.db`.
///
/// Layout, chosen so every write is an append and every query a bounded number of index lookups:
/// - `series`: integer ids for (resource type, resource id, metric).
/// - `ingest_log(id, max_ts, data)`: the durability log, one packed row per one-second flush; the samples also sit
///   in memory (the open block) until their 10-minute block is sealed, then the rows they came in are deleted.
/// - `raw_chunks` / `minute_chunks` keyed `(block_start, series_id)`: when a block is sealed, each series' samples
///   of that block become one compressed chunk (about 3 bytes per sample), and its per-minute aggregates another.
/// - `rollup_hourly` / `rollup_daily` keyed `(bucket_start, series_id)`: avg, min, max and count, computed from the
///   minute aggregates, whose min and max come from raw samples (so no tier ever averages averages).
/// Time-major keys make sealing and retention sequential; a one-series query does one lookup per block or bucket.
public final class SQLiteMetricsStore: MetricsStore, @unchecked Sendable {
    // @unchecked: mutable state lives in `state` (a Mutex); the two connections serialize themselves.

    public struct Configuration: Sendable {
        public var path: String
        public var retention = MetricsRetention()
        /// Seconds per sealed block.
        public var blockSeconds: Int64 = 600
        /// How long after a block ends it is sealed, so slightly late samples still land in it.
        public var sealGrace: Int64 = 30
        public var flushInterval: Duration = .seconds(1)
        /// Samples queued for the writer before writes are refused (back-pressure).
        public var queueLimit = 1_000_000

        public init(path: String) { self.path = path }
    }

    /// Samples handed over by request threads; its own lock so ingestion never waits for the writer or queries.
    struct Inbox {
        var samples: [MetricSample] = []
        var rejectedBusy: Int64 = 0
        var closed = false
    }

    struct State {
        var seriesIDs: [SeriesKey: Int64] = [:]
        var seriesByResource: [String: [String: Int64]] = [:]
        var seriesKeys: [Int64: SeriesKey] = [:]
        var nextSeriesID: Int64 = 1
        /// Samples not yet sealed, by series.
        var open: [Int64: [(timestamp: Int64, value: Double)]] = [:]
        var openCount = 0
        var sealedUntil: Int64 = 0
        var hourlyUntil: Int64 = 0
        var dailyUntil: Int64 = 0
        var counts = TierCounts()
        var totalWrites: Int64 = 0
        var droppedExpired: Int64 = 0
        var lastFlush: Date?
        var lastRollup: Date?
        var lastRetention: Date?
    }

    struct TierCounts {
        var raw: Int64 = 0
        var minute: Int64 = 0
        var hourly: Int64 = 0
        var daily: Int64 = 0
    }

    let configuration: Configuration
    let writer: SQLiteDatabase
    let reader: SQLiteDatabase
    let state = Mutex(State())
    let inbox = Mutex(Inbox())
    let logger: Logger
    let clock: @Sendable () -> Date
    private let stopRequested = Atomic<Bool>(false)
    private let writerDone = Atomic<Bool>(false)
    private var thread: Thread?

    /// Opens the store and, unless `startWriter` is false (tests drive `flush`/`maintain` by hand), starts the
    /// writer thread.
    public init(configuration: Configuration, logger: Logger, startWriter: Bool = true,
                clock: @escaping @Sendable () -> Date = { Date() }) throws {
        self.configuration = configuration
        self.logger = logger
        self.clock = clock
        writer = try SQLiteDatabase(path: configuration.path)
        try writer.execute("PRAGMA cache_size = -65536")
        try Self.migrate(writer)
        reader = try SQLiteDatabase(path: configuration.path)
        try load()
        if startWriter {
            let thread = Thread { [self] in runWriter() }
            thread.name = "pulse-metrics-writer"
            self.thread = thread
            thread.start()
        }
    }

    // MARK: Schema

    static func migrate(_ database: SQLiteDatabase) throws {
        let version = try database.query("PRAGMA user_version").first?.first?.int64 ?? 0
        guard version < 1 else { return }
        try database.transaction { transaction in
            for statement in [
                "CREATE TABLE series(id INTEGER PRIMARY KEY, resource_type TEXT NOT NULL, resource_id TEXT NOT NULL, metric TEXT NOT NULL, UNIQUE(resource_type, resource_id, metric))",
                "CREATE TABLE ingest_log(id INTEGER PRIMARY KEY, max_ts INTEGER NOT NULL, data BLOB NOT NULL)",
                "CREATE TABLE raw_chunks(block_start INTEGER NOT NULL, series_id INTEGER NOT NULL, count INTEGER NOT NULL, data BLOB NOT NULL, PRIMARY KEY(block_start, series_id)) WITHOUT ROWID",
                "CREATE TABLE minute_chunks(block_start INTEGER NOT NULL, series_id INTEGER NOT NULL, count INTEGER NOT NULL, data BLOB NOT NULL, PRIMARY KEY(block_start, series_id)) WITHOUT ROWID",
                "CREATE TABLE rollup_hourly(bucket_start INTEGER NOT NULL, series_id INTEGER NOT NULL, avg REAL NOT NULL, min REAL NOT NULL, max REAL NOT NULL, count INTEGER NOT NULL, PRIMARY KEY(bucket_start, series_id)) WITHOUT ROWID",
                "CREATE TABLE rollup_daily(bucket_start INTEGER NOT NULL, series_id INTEGER NOT NULL, avg REAL NOT NULL, min REAL NOT NULL, max REAL NOT NULL, count INTEGER NOT NULL, PRIMARY KEY(bucket_start, series_id)) WITHOUT ROWID",
                "CREATE TABLE meta(key TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID",
                "PRAGMA user_version = 1",
            ] {
                try transaction.run(statement)
            }
        }
    }

    private func load() throws {
        var loaded = State()
        for row in try writer.query("SELECT id, resource_type, resource_id, metric FROM series") {
            guard let id = row[0].int64, let type = row[1].string, let resource = row[2].string,
                  let metric = row[3].string else { continue }
            Self.register(SeriesKey(type, resource, metric), id: id, in: &loaded)
        }
        var meta: [String: Int64] = [:]
        for row in try writer.query("SELECT key, value FROM meta") {
            if let key = row[0].string, let value = row[1].int64 { meta[key] = value }
        }
        let now = Int64(clock().timeIntervalSince1970)
        let block = configuration.blockSeconds
        loaded.sealedUntil = meta["sealed_until"] ?? (now / block) * block
        loaded.hourlyUntil = meta["hourly_until"] ?? (now / 3600) * 3600
        loaded.dailyUntil = meta["daily_until"] ?? (now / 86_400) * 86_400
        loaded.counts = TierCounts(raw: meta["raw_count"] ?? 0, minute: meta["minute_count"] ?? 0,
                                   hourly: meta["hourly_count"] ?? 0, daily: meta["daily_count"] ?? 0)
        loaded.totalWrites = meta["total_writes"] ?? 0
        // Samples logged but not sealed before the last stop come back into the open block.
        var recovered = 0
        for row in try writer.query("SELECT data FROM ingest_log WHERE max_ts >= ? ORDER BY id", [.integer(loaded.sealedUntil)]) {
            guard case .blob(let data) = row[0], let samples = ChunkCodec.decodeLog(data) else {
                logger.warn("skipping an unreadable metrics log entry")
                continue
            }
            for sample in samples where sample.timestamp >= loaded.sealedUntil {
                loaded.open[sample.series, default: []].append((sample.timestamp, sample.value))
                recovered += 1
            }
        }
        loaded.openCount = recovered
        state.withLock { $0 = loaded }
        if recovered > 0 { logger.info("recovered unsealed metric samples", ["samples": String(recovered)]) }
    }

    static func register(_ key: SeriesKey, id: Int64, in state: inout State) {
        state.seriesIDs[key] = id
        state.seriesKeys[id] = key
        state.seriesByResource[key.resourceType + "\u{1F}" + key.resourceID, default: [:]][key.metric] = id
        state.nextSeriesID = max(state.nextSeriesID, id + 1)
    }

    // MARK: MetricsStore

    public func isSaturated(adding count: Int) -> Bool {
        inbox.withLock { $0.samples.count + count > configuration.queueLimit }
    }

    public func write(_ samples: [MetricSample]) throws(MetricsStoreError) {
        guard !samples.isEmpty else { return }
        try inbox.withLock { inbox throws(MetricsStoreError) in
            if inbox.closed { throw .closed }
            // Admission is checked with `isSaturated` before a report is applied; the hard limit leaves room for
            // the requests already past that check, so an applied report's samples are not refused.
            guard inbox.samples.count + samples.count <= configuration.queueLimit + configuration.queueLimit / 10 else {
                inbox.rejectedBusy += Int64(samples.count)
                throw .saturated
            }
            inbox.samples.append(contentsOf: samples)
        }
    }

    public func stats() -> MetricsStoreStats {
        let size = (try? reader.sizeInBytes()) ?? 0
        let (queued, rejected) = inbox.withLock { ($0.samples.count, $0.rejectedBusy) }
        return state.withLock { state in
            MetricsStoreStats(databaseBytes: size, rawCount: state.counts.raw + Int64(state.openCount),
                              minuteCount: state.counts.minute, hourlyCount: state.counts.hourly,
                              dailyCount: state.counts.daily, seriesCount: Int64(state.seriesIDs.count),
                              totalWrites: state.totalWrites, bufferSize: queued,
                              droppedExpired: state.droppedExpired, rejectedBusy: rejected,
                              lastFlush: state.lastFlush, lastRollup: state.lastRollup,
                              lastRetention: state.lastRetention)
        }
    }

    public func close() {
        guard !inbox.withLock({ inbox -> Bool in defer { inbox.closed = true }; return inbox.closed }) else { return }
        stopRequested.store(true, ordering: .releasing)
        if thread != nil {
            while !writerDone.load(ordering: .acquiring) { usleep(5_000) }
        } else {
            do { try flush() } catch { logger.error("final metrics flush failed", ["error": "\(error)"]) }
        }
    }

    // MARK: Writer

    private func runWriter() {
        var lastMaintenance = ContinuousClock.now
        while !stopRequested.load(ordering: .acquiring) {
            let started = ContinuousClock.now
            do { try flush() } catch { logger.error("metrics flush failed; samples stay queued", ["error": "\(error)"]) }
            if ContinuousClock.now - lastMaintenance >= .seconds(10) {
                lastMaintenance = ContinuousClock.now
                do { try maintain() } catch { logger.error("metrics maintenance failed", ["error": "\(error)"]) }
            }
            let elapsed = ContinuousClock.now - started
            if elapsed < configuration.flushInterval {
                let rest = configuration.flushInterval - elapsed
                usleep(UInt32(max(1_000, rest.components.seconds * 1_000_000 + rest.components.attoseconds / 1_000_000_000_000)))
            }
        }
        do { try flush() } catch { logger.error("final metrics flush failed", ["error": "\(error)"]) }
        writerDone.store(true, ordering: .releasing)
    }

    /// Writes queued samples to the log (and late ones into their sealed chunks). Called once a second.
    public func flush() throws {
        let queued = inbox.withLock { inbox -> [MetricSample] in
            defer { inbox.samples = [] }
            return inbox.samples
        }
        let (batch, newSeries, sealedUntil) = state.withLock { state -> ([(Int64, Int64, Double)], [(Int64, SeriesKey)], Int64) in
            var rows: [(Int64, Int64, Double)] = []
            rows.reserveCapacity(queued.count)
            var created: [(Int64, SeriesKey)] = []
            for sample in queued where sample.value.isFinite {
                let id: Int64
                if let existing = state.seriesIDs[sample.series] {
                    id = existing
                } else {
                    id = state.nextSeriesID
                    Self.register(sample.series, id: id, in: &state)
                    created.append((id, sample.series))
                }
                rows.append((id, sample.timestamp, sample.value))
            }
            return (rows, created, state.sealedUntil)
        }
        guard !batch.isEmpty || !newSeries.isEmpty else {
            state.withLock { $0.lastFlush = clock() }
            return
        }
        let oldest = Int64(clock().timeIntervalSince1970) - configuration.retention.seconds(.raw)
        var live: [(Int64, Int64, Double)] = []
        var late: [(Int64, Int64, Double)] = []
        var expired = 0
        for row in batch {
            if row.1 >= sealedUntil { live.append(row) } else if row.1 >= oldest { late.append(row) } else { expired += 1 }
        }
        let rawDelta = try writer.transaction { transaction -> Int64 in
            for (id, key) in newSeries {
                try transaction.run("INSERT OR IGNORE INTO series(id, resource_type, resource_id, metric) VALUES(?, ?, ?, ?)",
                                    [.integer(id), .text(key.resourceType), .text(key.resourceID), .text(key.metric)])
            }
            if !live.isEmpty {
                let packed = ChunkCodec.encode(log: live.map { (series: $0.0, timestamp: $0.1, value: $0.2) })
                try transaction.run("INSERT INTO ingest_log(max_ts, data) VALUES(?, ?)",
                                    [.integer(live.map(\.1).max()!), .blob(packed)])
            }
            let delta = try mergeLate(late, transaction)
            try Self.addMeta("total_writes", Int64(live.count + late.count), transaction)
            return delta
        }
        state.withLock { state in
            for (id, ts, value) in live { state.open[id, default: []].append((ts, value)) }
            state.openCount += live.count
            state.counts.raw += rawDelta
            state.totalWrites += Int64(live.count + late.count)
            state.droppedExpired += Int64(expired)
            state.lastFlush = clock()
        }
        if expired > 0 { logger.debug("dropped samples older than raw retention", ["samples": String(expired)]) }
    }

    static func addMeta(_ key: String, _ delta: Int64, _ transaction: SQLiteDatabase.Transaction) throws {
        guard delta != 0 else { return }
        try transaction.run("INSERT INTO meta(key, value) VALUES(?, ?) ON CONFLICT(key) DO UPDATE SET value = value + excluded.value",
                            [.text(key), .integer(delta)])
    }

    static func setMeta(_ key: String, _ value: Int64, _ transaction: SQLiteDatabase.Transaction) throws {
        try transaction.run("INSERT INTO meta(key, value) VALUES(?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                            [.text(key), .integer(value)])
    }
}
