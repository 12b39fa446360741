import Foundation
import PulseHub

/// The reference's metrics schema (Pulse 5 `pkg/metrics`): one row per sample with text keys and two indexes,
/// fed the same samples for a like-for-like size comparison.
final class NaiveStore {
    let database: SQLiteDatabase

    init(path: String) throws {
        database = try SQLiteDatabase(path: path)
        try database.execute("""
            CREATE TABLE IF NOT EXISTS metrics(id INTEGER PRIMARY KEY AUTOINCREMENT, resource_type TEXT NOT NULL,
                resource_id TEXT NOT NULL, metric_type TEXT NOT NULL, value REAL NOT NULL, min_value REAL,
                max_value REAL, timestamp INTEGER NOT NULL, tier TEXT NOT NULL DEFAULT 'raw');
            CREATE INDEX IF NOT EXISTS idx_metrics_lookup ON metrics(resource_type, resource_id, metric_type, tier, timestamp);
            CREATE INDEX IF NOT EXISTS idx_metrics_tier_time ON metrics(tier, timestamp);
            """)
    }

    func insert(_ samples: [MetricSample]) throws {
        try database.transaction { transaction in
            for sample in samples {
                try transaction.run("INSERT INTO metrics(resource_type, resource_id, metric_type, value, timestamp) VALUES(?, ?, ?, ?, ?)",
                                    [.text(sample.series.resourceType), .text(sample.series.resourceID),
                                     .text(sample.series.metric), .real(sample.value), .integer(sample.timestamp)])
            }
        }
    }

    func sizeInBytes() throws -> Int64 { try database.sizeInBytes() }
}
