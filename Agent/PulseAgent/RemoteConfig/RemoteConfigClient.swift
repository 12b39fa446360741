#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import PulseCommon

/// `GET /api/agents/host/lookup?hostname=` then `GET /api/agents/host/{id}/config` (agent-protocol 2.4 and 5).
///
/// Not thread-safe (one `HTTPClient`): used by the poller's thread only.
final class RemoteConfigClient {
    /// The hub's answer to the config request.
    struct ConfigResponse: Decodable, Sendable, Equatable {
        struct Config: Decodable, Sendable, Equatable {
            var commandsEnabled: Bool?
            var settings: [String: JSONValue]?
        }
        var success: Bool?
        var hostId: String?
        var config: Config?
        /// The hub's fingerprint of this config (additive; absent from older hubs).
        var configVersion: String?
    }

    /// What one fetch found.
    enum Outcome: Sendable, Equatable {
        /// The hub's config for this host.
        case config(hostID: String, ConfigResponse)
        /// The hub answered 404 for the config: an older hub without the endpoint, or a host not registered yet.
        case notFound(hostID: String, lookupFound: Bool)
    }

    struct Failure: Error, CustomStringConvertible, Sendable {
        let description: String
    }

    static let timeout = Duration.seconds(10)

    let connection: HubConnection
    let hostname: String
    let agentID: String
    let userAgent: String
    private let client = HTTPClient()
    private let decoder = WireJSON.decoder()

    init(connection: HubConnection, hostname: String, agentID: String, version: String = pulseAgentVersion) {
        self.connection = connection
        self.hostname = hostname
        self.agentID = agentID
        userAgent = "pulse-agent-config-client/\(version)"
    }

    /// Looks the host up, then fetches its config.
    func fetch() throws(Failure) -> Outcome {
        let found = try lookup()
        let hostID = found ?? agentID
        let response = try get("/api/agents/host/\(Self.percentEncoded(hostID))/config")
        if response.status == 404 { return .notFound(hostID: hostID, lookupFound: found != nil) }
        guard response.status == 200 else { throw failure("config", response) }
        do {
            let decoded = try decoder.decode(ConfigResponse.self, from: Data(response.body))
            guard decoded.success != false else { throw Failure(description: "config: the hub answered success:false") }
            return .config(hostID: decoded.hostId ?? hostID, decoded)
        } catch let error as Failure {
            throw error
        } catch {
            throw Failure(description: "config: unreadable answer: \(error)")
        }
    }

    /// The hub's host id for this hostname; `nil` when the hub does not know it (404 or `success:false`).
    func lookup() throws(Failure) -> String? {
        struct LookupResponse: Decodable {
            struct Host: Decodable { var id: String? }
            var success: Bool?
            var host: Host?
        }
        let response = try get("/api/agents/host/lookup?hostname=\(Self.percentEncoded(hostname))")
        if response.status == 404 { return nil }
        guard response.status == 200 else { throw failure("lookup", response) }
        guard let decoded = try? decoder.decode(LookupResponse.self, from: Data(response.body)) else {
            throw Failure(description: "lookup: unreadable answer")
        }
        guard decoded.success != false, let id = decoded.host?.id, !id.isEmpty else { return nil }
        return id
    }

    private func get(_ path: String) throws(Failure) -> HTTPClientResponse {
        let request = connection.request("GET", path, userAgent: userAgent, timeout: Self.timeout)
        do {
            return try client.perform(request)
        } catch {
            throw Failure(description: connection.explain(error))
        }
    }

    private func failure(_ step: String, _ response: HTTPClientResponse) -> Failure {
        let detail = HTTPReportTransport.failure(status: response.status, headers: response.headers,
                                                 body: response.body)
        return Failure(description: "\(step): \(detail)")
    }

    /// RFC 3986 percent-encoding of everything but the unreserved characters (the reference sends the hostname
    /// unencoded: agent-protocol 2.4).
    static func percentEncoded(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
                 UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let hex = [byte].hexString.uppercased()
                out += "%" + hex
            }
        }
        return out
    }
}
