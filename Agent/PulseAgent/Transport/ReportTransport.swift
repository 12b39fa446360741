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
}

/// Delivers host reports to the hub. Implementations are used from one thread and need not be thread-safe.
public protocol ReportTransport: AnyObject {
    /// Sends one report; returns the hub's answer when it sent a decodable one.
    func send(_ report: HostReport) throws(DeliveryFailure) -> HostReportResponse?
}

/// Where a report goes when it could not be delivered before the next one was due.
///
/// This is the seam for the durable spool (agent-protocol 4, section 9 item 3): a spool keeps the report and
/// the run loop replays the oldest first before the live one. Until then, `DiscardingReportStore` drops it.
public protocol UndeliveredReportStore: AnyObject {
    func keep(_ report: HostReport, failure: DeliveryFailure)
}

/// Drops undelivered reports (no spool yet): the next report carries fresh values and cumulative counters, so
/// the hub loses only the intermediate points.
public final class DiscardingReportStore: UndeliveredReportStore {
    let logger: Logger

    public init(logger: Logger) { self.logger = logger }

    public func keep(_ report: HostReport, failure: DeliveryFailure) {
        logger.debug("undelivered report dropped", ["sequenceId": report.sequenceId ?? "", "error": "\(failure)"])
    }
}
