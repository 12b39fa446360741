import PulseCommon
import Synchronization

/// The report being sent right now, so that a stop can spool it if the send does not finish in time.
///
/// The host module calls `begin` before a send and `end` after it; the stopping main thread calls `take`. A
/// report is spooled by exactly one of them: `end` returns `false` when `take` got there first.
public final class InFlightReport: Sendable {
    private let report = Mutex<HostReport?>(nil)

    public init() {}

    func begin(_ value: HostReport) { report.withLock { $0 = value } }

    /// Clears the report; `false` if `take` already took it.
    @discardableResult
    func end() -> Bool { report.withLock { $0.take() != nil } }

    /// Takes the report in flight, if any, away from the sender.
    public func take() -> HostReport? { report.withLock { $0.take() } }
}
