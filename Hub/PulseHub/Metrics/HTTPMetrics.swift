import Foundation
import Synchronization

/// Request counts and latency histograms per route, for the hub's own Prometheus metrics.
public final class HTTPMetrics: Sendable {
    /// Upper bounds of the latency buckets, in seconds.
    static let bounds: [Double] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5]

    struct Series {
        var count: UInt64 = 0
        var sum: Double = 0
        var buckets = [UInt64](repeating: 0, count: HTTPMetrics.bounds.count)
    }

    struct Key: Hashable, Comparable {
        var route: String
        var method: String
        var code: Int

        static func < (lhs: Key, rhs: Key) -> Bool { (lhs.route, lhs.method, lhs.code) < (rhs.route, rhs.method, rhs.code) }
    }

    private let series = Mutex([Key: Series]())

    public init() {}

    /// Records one answered request. `route` is the route's pattern (bounded cardinality), or `other`.
    public func record(route: String, method: String, status: Int, seconds: Double) {
        series.withLock { all in
            var entry = all[Key(route: route, method: method, code: status)] ?? Series()
            entry.count += 1
            entry.sum += seconds
            for (index, bound) in Self.bounds.enumerated() where seconds <= bound { entry.buckets[index] += 1 }
            all[Key(route: route, method: method, code: status)] = entry
        }
    }

    /// A consistent copy for exposition.
    func snapshot() -> [(Key, Series)] {
        series.withLock { all in all.sorted { $0.key < $1.key }.map { ($0.key, $0.value) } }
    }
}
