#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import PulseCommon

/// Sends docker and Kubernetes reports and command acks to the hub (both auth headers, no redirects, the agent's
/// TLS options). Not thread-safe: owned by one module's thread.
public final class ModuleReportSender {
    let connection: HubConnection
    let userAgent: String
    let timeout: Duration
    private let client = HTTPClient()
    private let encoder = WireJSON.encoder()

    /// `userAgent` is `pulse-docker-agent/<version>` or `pulse-kubernetes-agent/<version>` (the real version, not
    /// the reference's `dev`).
    public init(connection: HubConnection, userAgent: String, timeout: Duration = .seconds(15)) {
        self.connection = connection
        self.userAgent = userAgent
        self.timeout = timeout
    }

    /// POSTs `body` as JSON to `path`; returns the hub's answer body on 2xx.
    public func post(_ path: String, _ body: some Encodable) throws(DeliveryFailure) -> [UInt8] {
        let bytes: [UInt8]
        do {
            bytes = Array(try encoder.encode(body))
        } catch {
            throw DeliveryFailure(status: nil, message: "cannot encode: \(error)", retryable: false)
        }
        let request = connection.request("POST", path, body: bytes, userAgent: userAgent, timeout: timeout)
        return try HTTPReportTransport.deliver(request, client: client, connection: connection)
    }
}
