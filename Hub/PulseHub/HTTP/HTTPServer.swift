import CMicroHTTPD
import Foundation
import PulseCommon
import Synchronization

/// What the server asks of the application.
public protocol HTTPResponder: Sendable {
    /// The largest body accepted for a request, decided from its method and path before the body is read.
    func bodyLimit(method: String, path: String) -> Int
    /// Answers a complete request. Runs on a server thread; must not block for long.
    func respond(to request: HTTPRequest) -> HTTPResponse
    /// The answer for a request whose body exceeded `bodyLimit`.
    func payloadTooLarge(_ request: HTTPRequest, limit: Int) -> HTTPResponse
}

/// Listener settings.
public struct HTTPServerConfiguration: Sendable {
    public var host: String
    public var port: UInt16
    public var threads: Int
    public var maxConnections: Int
    public var maxConnectionsPerIP: Int
    /// Idle time after which a connection is closed (slow clients, idle keep-alive).
    public var connectionTimeout: Duration
    /// Per-connection buffer; request headers must fit in it.
    public var connectionMemoryLimit: Int
    /// PEM key and certificate; TLS is on when both are set.
    public var tlsKeyPEM: String?
    public var tlsCertificatePEM: String?

    public init(host: String = "0.0.0.0", port: UInt16 = 7655, threads: Int = 8, maxConnections: Int = 4096,
                maxConnectionsPerIP: Int = 512, connectionTimeout: Duration = .seconds(30),
                connectionMemoryLimit: Int = 128 * 1024, tlsKeyPEM: String? = nil, tlsCertificatePEM: String? = nil) {
        self.host = host
        self.port = port
        self.threads = threads
        self.maxConnections = maxConnections
        self.maxConnectionsPerIP = maxConnectionsPerIP
        self.connectionTimeout = connectionTimeout
        self.connectionMemoryLimit = connectionMemoryLimit
        self.tlsKeyPEM = tlsKeyPEM
        self.tlsCertificatePEM = tlsCertificatePEM
    }
}

/// Why the server could not start.
public struct HTTPServerError: Error, CustomStringConvertible, Sendable {
    public let description: String
}

/// An HTTP/1.1 server on libmicrohttpd (epoll, a pool of polling threads, keep-alive, optional TLS through
/// GnuTLS); the only file that imports it.
///
/// Handlers run synchronously on the pool threads: ingestion is CPU-bound JSON work plus short SQLite
/// transactions, so a thread per core-ish pool is the fastest arrangement and keeps back-pressure natural.
public final class HTTPServer: Sendable {
    private let daemon: DaemonRef
    private let context: Unmanaged<ServerContext>
    /// The port actually bound (useful with port 0).
    public let port: UInt16

    public init(configuration: HTTPServerConfiguration, responder: any HTTPResponder) throws {
        let context = Unmanaged.passRetained(ServerContext(responder: responder))
        var flags = MHD_USE_INTERNAL_POLLING_THREAD.rawValue | MHD_USE_EPOLL.rawValue | MHD_USE_ITC.rawValue
            | MHD_ALLOW_SUSPEND_RESUME.rawValue
        var storage = sockaddr_storage()
        let isIPv6 = configuration.host.contains(":")
        if isIPv6 {
            flags |= MHD_USE_IPv6.rawValue
            var address = sockaddr_in6()
            address.sin6_family = sa_family_t(AF_INET6)
            address.sin6_port = configuration.port.bigEndian
            guard inet_pton(AF_INET6, configuration.host, &address.sin6_addr) == 1 else {
                context.release()
                throw HTTPServerError(description: "BACKEND_HOST \(configuration.host) is not an IPv6 address")
            }
            withUnsafeBytes(of: address) { source in withUnsafeMutableBytes(of: &storage) { $0.copyMemory(from: source) } }
        } else {
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = configuration.port.bigEndian
            guard inet_pton(AF_INET, configuration.host, &address.sin_addr) == 1 else {
                context.release()
                throw HTTPServerError(description: "BACKEND_HOST \(configuration.host) is not an IPv4 address")
            }
            withUnsafeBytes(of: address) { source in withUnsafeMutableBytes(of: &storage) { $0.copyMemory(from: source) } }
        }
        let started = withUnsafePointer(to: &storage) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { address in
                cmhd_start(flags, address, accessHandler, context.toOpaque(), requestCompleted, context.toOpaque(),
                           UInt32(max(1, configuration.threads)), UInt32(configuration.maxConnections),
                           UInt32(configuration.maxConnectionsPerIP),
                           UInt32(configuration.connectionTimeout.components.seconds),
                           configuration.connectionMemoryLimit, configuration.tlsKeyPEM,
                           configuration.tlsCertificatePEM)
            }
        }
        guard let started else {
            context.release()
            throw HTTPServerError(description: "cannot listen on \(configuration.host):\(configuration.port) "
                + "(address in use, not local, or the TLS key/certificate was rejected)")
        }
        daemon = DaemonRef(pointer: started)
        self.context = context
        port = cmhd_bound_port(started)
    }

    /// Requests currently being handled.
    public var inFlight: Int { context.takeUnretainedValue().inFlight.load(ordering: .relaxed) }

    /// Stops accepting, waits for in-flight requests up to `gracePeriod`, then closes everything.
    public func shutdown(gracePeriod: Duration) {
        MHD_quiesce_daemon(daemon.pointer)
        let deadline = ContinuousClock.now + gracePeriod
        while inFlight > 0, ContinuousClock.now < deadline { usleep(10_000) }
        MHD_stop_daemon(daemon.pointer)
        context.release()
    }
}

/// `MHD_Daemon*` crossing threads; MHD's API is thread-safe for the calls made on it.
private struct DaemonRef: @unchecked Sendable { let pointer: OpaquePointer }

/// State shared with the C callbacks.
private final class ServerContext: Sendable {
    let responder: any HTTPResponder
    let inFlight = Atomic<Int>(0)
    init(responder: any HTTPResponder) { self.responder = responder }
}

/// Per-request state, owned through `*req_cls` from the first callback to `requestCompleted`.
private final class RequestState {
    let limit: Int
    var body: [UInt8] = []
    var received = 0
    /// Over the limit: the rest of the body is discarded and a 413 sent.
    var rejected = false
    /// The 413 was already queued (when the declared length was too large).
    var answered = false
    init(limit: Int) { self.limit = limit }
}

private func accessHandler(_ cls: UnsafeMutableRawPointer?, _ connection: OpaquePointer?,
                           _ url: UnsafePointer<CChar>?, _ method: UnsafePointer<CChar>?,
                           _ version: UnsafePointer<CChar>?, _ uploadData: UnsafePointer<CChar>?,
                           _ uploadSize: UnsafeMutablePointer<Int>?,
                           _ requestContext: UnsafeMutablePointer<UnsafeMutableRawPointer?>?) -> MHD_Result {
    guard let cls, let connection, let url, let method, let uploadSize, let requestContext else { return .NO }
    let server = Unmanaged<ServerContext>.fromOpaque(cls).takeUnretainedValue()
    let methodText = String(cString: method)
    let path = String(cString: url)

    guard let existing = requestContext.pointee else {
        // First call: headers are in. Decide the body limit now; refuse a declared oversize body at once.
        server.inFlight.add(1, ordering: .relaxed)
        let limit = server.responder.bodyLimit(method: methodText, path: path)
        let state = RequestState(limit: limit)
        requestContext.pointee = Unmanaged.passRetained(state).toOpaque()
        if let declared = MHD_lookup_connection_value(connection, .HEADER_KIND, "Content-Length"),
           let length = Int(String(cString: declared)), length > limit {
            state.rejected = true
            state.answered = true
            let request = makeRequest(connection, method: methodText, path: path, body: [])
            return queue(connection, server.responder.payloadTooLarge(request, limit: limit))
        }
        // Answering on this first call would make MHD close the connection: return and answer later.
        return .YES
    }
    let state = Unmanaged<RequestState>.fromOpaque(existing).takeUnretainedValue()
    if uploadSize.pointee > 0 {
        let count = uploadSize.pointee
        uploadSize.pointee = 0
        state.received += count
        if state.rejected {
            // MHD cannot answer mid-upload, so an oversize body of unknown length is drained and answered at the
            // end; one that keeps coming far past the limit is cut off.
            return state.received > max(4 * state.limit, 1 << 20) ? .NO : .YES
        }
        if state.body.count + count > state.limit {
            state.rejected = true
            state.body = []
            return .YES
        }
        if let uploadData {
            uploadData.withMemoryRebound(to: UInt8.self, capacity: count) {
                state.body.append(contentsOf: UnsafeBufferPointer(start: $0, count: count))
            }
        }
        return .YES
    }
    if state.rejected {
        if state.answered { return .YES }
        state.answered = true
        let request = makeRequest(connection, method: methodText, path: path, body: [])
        return queue(connection, server.responder.payloadTooLarge(request, limit: state.limit))
    }
    let request = makeRequest(connection, method: methodText, path: path, body: state.body)
    state.body = []
    return queue(connection, server.responder.respond(to: request))
}

private func requestCompleted(_ cls: UnsafeMutableRawPointer?, _ connection: OpaquePointer?,
                              _ requestContext: UnsafeMutablePointer<UnsafeMutableRawPointer?>?,
                              _ reason: MHD_RequestTerminationCode) {
    guard let requestContext, let pointer = requestContext.pointee else { return }
    Unmanaged<RequestState>.fromOpaque(pointer).release()
    requestContext.pointee = nil
    if let cls { Unmanaged<ServerContext>.fromOpaque(cls).takeUnretainedValue().inFlight.subtract(1, ordering: .relaxed) }
}

/// Collects key/value pairs from MHD's iterator.
private final class PairCollector {
    var pairs: [(String, String)] = []
}

private func collectPair(_ cls: UnsafeMutableRawPointer?, _ kind: MHD_ValueKind, _ key: UnsafePointer<CChar>?,
                         _ value: UnsafePointer<CChar>?) -> MHD_Result {
    guard let cls, let key else { return .YES }
    let collector = Unmanaged<PairCollector>.fromOpaque(cls).takeUnretainedValue()
    collector.pairs.append((String(cString: key), value.map { String(cString: $0) } ?? ""))
    return .YES
}

private func makeRequest(_ connection: OpaquePointer, method: String, path: String, body: [UInt8]) -> HTTPRequest {
    let headerCollector = PairCollector()
    let queryCollector = PairCollector()
    _ = MHD_get_connection_values(connection, .HEADER_KIND, collectPair,
                                  Unmanaged.passUnretained(headerCollector).toOpaque())
    _ = MHD_get_connection_values(connection, .GET_ARGUMENT_KIND, collectPair,
                                  Unmanaged.passUnretained(queryCollector).toOpaque())
    var headers: [String: String] = [:]
    for (name, value) in headerCollector.pairs where headers[name.lowercased()] == nil {
        headers[name.lowercased()] = value
    }
    var address = [CChar](repeating: 0, count: 64)
    let client = cmhd_client_address(connection, &address, address.count) == 0
        ? address.withUnsafeBufferPointer { String(cString: $0.baseAddress!) } : "unknown"
    return HTTPRequest(method: method, path: path, query: queryCollector.pairs, headers: headers, body: body,
                       clientAddress: client.hasPrefix("::ffff:") ? String(client.dropFirst(7)) : client)
}

private func queue(_ connection: OpaquePointer, _ response: HTTPResponse) -> MHD_Result {
    if let file = response.file {
        // MHD owns the descriptor from here and closes it with the response (sendfile where possible).
        let descriptor = open(file.path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0,
              let handle = MHD_create_response_from_fd_at_offset64(file.length, descriptor, file.offset) else {
            if descriptor >= 0 { close(descriptor) }
            return queue(connection, APIError.internalError.response())
        }
        defer { MHD_destroy_response(handle) }
        for (name, value) in response.headers where !value.utf8.contains(10) && !value.utf8.contains(13) {
            _ = MHD_add_response_header(handle, name, value)
        }
        return MHD_queue_response(connection, UInt32(response.status), handle)
    }
    return response.body.withUnsafeBytes { buffer in
        guard let handle = MHD_create_response_from_buffer(buffer.count, UnsafeMutableRawPointer(mutating: buffer.baseAddress),
                                                           .RESPMEM_MUST_COPY) else { return .NO }
        defer { MHD_destroy_response(handle) }
        for (name, value) in response.headers {
            // MHD rejects header values with line breaks; never let one through.
            guard !value.utf8.contains(10), !value.utf8.contains(13) else { continue }
            _ = MHD_add_response_header(handle, name, value)
        }
        return MHD_queue_response(connection, UInt32(response.status), handle)
    }
}
