import Foundation
import Synchronization

/// A sliding-window limiter: at most `limit` events per `window` per key, in memory.
///
/// Each key keeps two counters (this fixed window and the previous one) and the estimate weights the previous
/// window by how much of it still overlaps the sliding window, so memory is constant per key however high the
/// limit. Keys idle for two windows are dropped when the table grows.
public final class RateLimiter: Sendable {
    public let limit: Int
    public let window: TimeInterval

    private struct Counter {
        var windowStart: TimeInterval
        var current: Int
        var previous: Int
    }

    private let counters = Mutex([String: Counter]())
    private static let maximumKeys = 200_000

    public init(limit: Int, window: TimeInterval) {
        self.limit = limit
        self.window = window
    }

    /// Records an event for `key` if allowed; otherwise returns the seconds until one is allowed again.
    public func admit(_ key: String, now: Date = Date()) -> TimeInterval? {
        let time = now.timeIntervalSince1970
        return counters.withLock { counters in
            let start = (time / window).rounded(.down) * window
            var counter = counters[key] ?? Counter(windowStart: start, current: 0, previous: 0)
            if counter.windowStart != start {
                counter.previous = counter.windowStart == start - window ? counter.current : 0
                counter.current = 0
                counter.windowStart = start
            }
            let overlap = 1 - (time - start) / window
            let estimate = Double(counter.previous) * overlap + Double(counter.current)
            guard estimate + 1 <= Double(limit) else {
                counters[key] = counter
                // The estimate falls as the previous window slides out; at the latest the next window starts fresh
                // of this one's events only.
                let excess = estimate + 1 - Double(limit)
                let wait = counter.previous > 0 ? excess / Double(counter.previous) * window : start + window - time
                return max(1, min(wait, start + window - time + window))
            }
            counter.current += 1
            if counters.count >= Self.maximumKeys, counters[key] == nil {
                counters = counters.filter { $0.value.windowStart >= start - window }
            }
            counters[key] = counter
            return nil
        }
    }

    /// Forgets every key (tests, and an operator's reset).
    public func reset() {
        counters.withLock { $0.removeAll() }
    }
}
