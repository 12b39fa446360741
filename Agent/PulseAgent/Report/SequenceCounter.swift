import Synchronization

/// `sequenceId`: a counter that only grows, within a run and across restarts.
///
/// Each value is the larger of the previous value + 1 and the current Unix time in milliseconds, so a restarted
/// agent continues above everything it sent before (unless it sent over 1000 reports a second, or the clock
/// was set back by more than the run's report count in milliseconds).
public final class SequenceCounter: Sendable {
    private let last: Mutex<Int64>

    public init(last: Int64 = 0) {
        self.last = Mutex(last)
    }

    /// The next value, given the current time in Unix milliseconds.
    public func next(nowMilliseconds: Int64) -> Int64 {
        last.withLock { last in
            last = max(last &+ 1, nowMilliseconds)
            return last
        }
    }
}
