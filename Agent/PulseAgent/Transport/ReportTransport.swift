import PulseCommon

/// Why a report was not delivered.
public struct DeliveryFailure: Error, CustomStringConvertible, Sendable, Equatable {
    /// The HTTP status, `nil` for a transport failure (connection refused, timeout, TLS).
    public var status: Int?
    /// The hub's `error` message, or the transport error.
    public var message: String
    /// Whether sending the same report again may succeed (transport errors, 408, 429, 5xx).
    public var retryable: Bool
    /// The hub's `Retry-After`, when it sent one.
    public var retryAfter: Duration?

    public init(status: Int?, message: String, retryable: Bool, retryAfter: Duration? = nil) {
        self.status = status
        self.message = message
        self.retryable = retryable
        self.retryAfter = retryAfter
    }

    public var description: String {
        status.map { "HTTP \($0): \(message)" } ?? message
    }

    /// Whether the hub refused this report itself (400 invalid report, 413 too large, 422), so that sending it
    /// again can never succeed, as opposed to refusing the agent (401, 403, a wrong URL) or being unavailable.
    public var rejectsReport: Bool {
        status == 400 || status == 413 || status == 422
    }

    /// The failure recorded for a report spooled because the agent is stopping.
    static let stopping = DeliveryFailure(status: nil, message: "agent stopping", retryable: true)
}

/// Delivers host reports to the hub. Implementations are used from one thread and need not be thread-safe.
public protocol ReportTransport: AnyObject {
    /// Sends one report; returns the hub's answer when it sent a decodable one.
    func send(_ report: HostReport) throws(DeliveryFailure) -> HostReportResponse?
}

/// Where a report goes when it could not be delivered before the next one was due, and where the run loop
/// replays them from, oldest first, before the live report (agent-protocol 4 and 9.3). `DiskReportSpool` keeps
/// them across restarts, `MemoryReportSpool` when no spool directory is usable.
///
/// A store that only collects (a test double) gets the defaults: nothing to replay.
public protocol UndeliveredReportStore: AnyObject {
    /// Keeps a report for a later replay (bounded: the oldest is dropped when full).
    func keep(_ report: HostReport, failure: DeliveryFailure)
    /// Up to `limit` kept reports, oldest (smallest `sequenceId`) first.
    func oldest(limit: Int) -> [HostReport]
    /// Forgets a kept report: it was delivered (2xx) or permanently refused.
    func remove(_ report: HostReport)
}

extension UndeliveredReportStore {
    public func oldest(limit: Int) -> [HostReport] { [] }
    public func remove(_ report: HostReport) {}
}
