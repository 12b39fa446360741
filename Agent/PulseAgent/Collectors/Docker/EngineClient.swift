#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif
import PulseCommon

/// Why an engine request failed.
public struct EngineError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The HTTP status; `nil` for a transport failure.
    public var status: Int?
    public var message: String
    public var isTimeout = false

    public init(status: Int?, message: String, isTimeout: Bool = false) {
        self.status = status
        self.message = message
        self.isTimeout = isTimeout
    }

    public var description: String { status.map { "engine answered \($0): \(message)" } ?? message }
}

/// What `/_ping` told about the engine.
public struct EnginePing: Sendable, Equatable {
    /// `Api-Version`, e.g. `1.41`.
    public var apiVersion: String?
    /// Whether the engine is Podman (a `Libpod-Api-Version` header or a `Libpod` server).
    public var podman: Bool
}

/// The Docker Engine API over one endpoint (libcurl through `PulseCommon.HTTPClient`). Not thread-safe: owned by
/// the docker module's thread.
public final class EngineClient {
    /// Newest API version the agent asks for; older engines get their own (from `/_ping`).
    static let maxAPIVersion = (1, 43)
    /// Largest engine answer read (a container list of thousands, a big inspect); beyond it the answer is refused.
    static let maxResponseBytes = 32 << 20

    public let endpoint: DockerEndpoint
    public let timeout: Duration
    /// `/v1.41` once negotiated (or from `DOCKER_API_VERSION`), else empty (the engine's default version).
    public private(set) var versionPrefix = ""
    private let client = HTTPClient()
    private let pinnedVersion: String?

    public init(endpoint: DockerEndpoint, timeout: Duration = .seconds(10), apiVersion: String? = nil) {
        self.endpoint = endpoint
        self.timeout = timeout
        pinnedVersion = apiVersion.flatMap { $0.isEmpty ? nil : $0 }
        if let pinnedVersion { versionPrefix = "/v" + pinnedVersion }
    }

    /// `GET /_ping`: checks the engine answers and negotiates the API version.
    public func ping() throws(EngineError) -> EnginePing {
        let response = try perform(request("GET", "/_ping", versioned: false, timeout: .seconds(5)))
        let version = response.header("api-version")
        if pinnedVersion == nil, let version, let negotiated = Self.negotiate(version) {
            versionPrefix = "/v" + negotiated
        }
        let server = response.header("server")?.lowercased() ?? ""
        return EnginePing(apiVersion: version,
                          podman: response.header("libpod-api-version") != nil || server.contains("libpod"))
    }

    /// The lower of the engine's version and the agent's newest.
    static func negotiate(_ version: String) -> String? {
        let parts = version.split(separator: ".").compactMap { Int($0) }
        guard parts.count == 2 else { return nil }
        let (major, minor) = maxAPIVersion
        if (parts[0], parts[1]) > (major, minor) { return "\(major).\(minor)" }
        return "\(parts[0]).\(parts[1])"
    }

    /// A request to `path` (with its query), versioned unless told otherwise.
    public func request(_ method: String, _ path: String, body: [UInt8]? = nil, versioned: Bool = true,
                        timeout: Duration? = nil) -> HTTPClientRequest {
        var headers = [("Accept", "application/json"), ("User-Agent", "pulse-agent/\(pulseAgentVersion)")]
        if body != nil { headers.append(("Content-Type", "application/json")) }
        var request = HTTPClientRequest(method: method, url: endpoint.baseURL + (versioned ? versionPrefix : "") + path,
                                        headers: headers, body: body, timeout: timeout ?? self.timeout)
        request.maxResponseBytes = Self.maxResponseBytes
        switch endpoint.transport {
        case .unix(let path):
            request.unixSocketPath = path
        case .tcp(_, _, let tls):
            if let tls {
                request.caFile = tls.caFile.flatMap { HostFS().exists($0) ? $0 : nil }
                request.clientCertificateFile = tls.certificateFile.flatMap { HostFS().exists($0) ? $0 : nil }
                request.clientKeyFile = tls.keyFile.flatMap { HostFS().exists($0) ? $0 : nil }
                request.insecureSkipVerify = !tls.verify
            }
        }
        return request
    }

    /// Sends a request; a non-2xx answer is an `EngineError` with the engine's `message`.
    @discardableResult
    public func perform(_ request: HTTPClientRequest) throws(EngineError) -> HTTPClientResponse {
        do {
            return try Self.check(client.perform(request))
        } catch let error as HTTPClientError {
            throw explain(error)
        } catch let error as EngineError {
            throw error
        } catch {
            throw EngineError(status: nil, message: "\(error)")
        }
    }

    /// GETs several paths at once (at most `concurrency` in flight, each with the client's timeout).
    public func getConcurrently(_ paths: [String], concurrency: Int) -> [Result<[UInt8], EngineError>] {
        client.performConcurrently(paths.map { request("GET", $0) }, maxConcurrent: concurrency).map { result in
            switch result {
            case .success(let response):
                do throws(EngineError) {
                    return .success(try Self.check(response).body)
                } catch {
                    return .failure(error)
                }
            case .failure(let error):
                return .failure(explain(error))
            }
        }
    }

    /// GET and decode.
    public func get<T: Decodable>(_ type: T.Type, _ path: String) throws(EngineError) -> T {
        let response = try perform(request("GET", path))
        return try Self.decode(type, response.body, what: path)
    }

    static func decode<T: Decodable>(_ type: T.Type, _ body: [UInt8], what: String) throws(EngineError) -> T {
        do {
            return try JSONDecoder().decode(T.self, from: Data(body))
        } catch {
            throw EngineError(status: nil, message: "malformed engine answer for \(what): \(Self.summary(error))")
        }
    }

    private static func summary(_ error: any Error) -> String {
        switch error as? DecodingError {
        case .typeMismatch(_, let context)?, .valueNotFound(_, let context)?, .dataCorrupted(let context)?:
            let path = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? "." + $0.stringValue }.joined()
            return context.codingPath.isEmpty ? "not JSON" : "unexpected value at \(path)"
        default:
            return "not JSON"
        }
    }

    private static func check(_ response: HTTPClientResponse) throws(EngineError) -> HTTPClientResponse {
        guard (200..<300).contains(response.status) || response.status == 304 else {
            struct Message: Decodable { var message: String? }
            let text = (try? JSONDecoder().decode(Message.self, from: Data(response.body)))?.message
                ?? String(decoding: response.body.prefix(200), as: UTF8.self)
            throw EngineError(status: response.status, message: text.isEmpty ? "empty answer" : text)
        }
        return response
    }

    private func explain(_ error: HTTPClientError) -> EngineError {
        var message = "\(endpoint): \(error.message)"
        if case .unix(let path) = endpoint.transport, error.code == 7,
           DockerEndpoint.probeUnixSocket(path) == EACCES {
            message = DockerEndpoint.permissionHint(path: path, uid: getuid())
        }
        if error.isTimeout { message = "\(endpoint): no answer within the timeout (\(error.message))" }
        return EngineError(status: nil, message: message, isTimeout: error.isTimeout)
    }
}
