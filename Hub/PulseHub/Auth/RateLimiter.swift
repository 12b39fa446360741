import Foundation
import Synchronization

/// A sliding-window limiter: at most `limit` events per `window` per key, in memory.
public final class RateLimiter: Sendable {
    public let limit: Int
    public let window: TimeInterval
    private let events = Mutex([String: [Date]]())

    public init(limit: Int, window: TimeInterval) {
        self.limit = limit
        self.window = window
    }

    /// Records an event for `key` if allowed; otherwise returns the seconds until one is allowed again.
    public func admit(_ key: String, now: Date = Date()) -> TimeInterval? {
        events.withLock { events in
            var recent = (events[key] ?? []).filter { now.timeIntervalSince($0) < window }
            if events.count > 100_000 { events = events.filter { !$0.value.isEmpty && now.timeIntervalSince($0.value.last!) < window } }
            guard recent.count < limit else {
                events[key] = recent
                return max(1, window - now.timeIntervalSince(recent[0]))
            }
            recent.append(now)
            events[key] = recent
            return nil
        }
    }
}
