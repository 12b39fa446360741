#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import PulseCommon

/// The loopback diagnostics endpoint: `GET /healthz` (200 ok), `GET /readyz` (200 once a report was delivered,
/// else 503 not ready) and `GET /metrics` (Prometheus text). Anything else is 404 or 405.
///
/// Plain POSIX sockets on one thread: poll for a connection (or the stop signal), read one request head of at most
/// 8 KiB with a short timeout, answer, close. Not the product's HTTP server (that is the hub's libmicrohttpd); it
/// serves a scraper and `curl`, one connection at a time.
public final class HealthServer: Sendable {
    /// How long a connection may take to send its request head, and to take the answer.
    static let ioTimeout = Duration.seconds(2)

    public let address: HealthAddress
    /// The bound port (the requested one, or the kernel's choice for port 0).
    public let port: UInt16
    private let listener: Int32
    private let metrics: AgentMetrics
    private let logger: Logger
    private let stop = StopSignal()
    private let finished = StopSignal()

    /// Binds and listens; `start` serves.
    public init(address: HealthAddress, metrics: AgentMetrics, logger: Logger) throws(SystemCallError) {
        let family = address.isIPv6 ? AF_INET6 : AF_INET
        let listener = socket(family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard listener >= 0 else { throw SystemCallError(call: "socket", errno: errno) }
        var one: Int32 = 1
        setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var boundPort: UInt16 = 0
        let result: Int32
        if address.isIPv6 {
            var socketAddress = sockaddr_in6()
            socketAddress.sin6_family = sa_family_t(AF_INET6)
            socketAddress.sin6_port = address.port.bigEndian
            inet_pton(AF_INET6, address.host, &socketAddress.sin6_addr)
            result = Self.bindAndListen(listener, &socketAddress)
            boundPort = UInt16(bigEndian: socketAddress.sin6_port)
        } else {
            var socketAddress = sockaddr_in()
            socketAddress.sin_family = sa_family_t(AF_INET)
            socketAddress.sin_port = address.port.bigEndian
            inet_pton(AF_INET, address.host, &socketAddress.sin_addr)
            result = Self.bindAndListen(listener, &socketAddress)
            boundPort = UInt16(bigEndian: socketAddress.sin_port)
        }
        guard result == 0 else {
            let error = errno
            close(listener)
            throw SystemCallError(call: "listen on \(address)", errno: error)
        }
        self.listener = listener
        self.address = address
        port = boundPort
        self.metrics = metrics
        self.logger = logger
    }

    deinit {
        close(listener)
    }

    /// Binds, listens and reads back the bound address (for port 0).
    private static func bindAndListen<Address>(_ fd: Int32, _ address: inout Address) -> Int32 {
        let size = socklen_t(MemoryLayout<Address>.size)
        return withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
                guard bind(fd, socketAddress, size) == 0, listen(fd, 16) == 0 else { return -1 }
                var length = size
                return getsockname(fd, socketAddress, &length)
            }
        }
    }

    /// Serves on a new thread until `shutdown`.
    public func start() throws(SystemCallError) {
        _ = try WorkerThread { [self] in
            serve()
            finished.request()
        }
        logger.info("health server listening", ["addr": HealthAddress(host: address.host, port: port).description])
    }

    /// Stops serving and waits (briefly) for the thread.
    public func shutdown() {
        stop.request()
        _ = finished.wait(for: .seconds(3))
    }

    private func serve() {
        while !stop.isRequested {
            var descriptors = [pollfd(fd: listener, events: Int16(POLLIN), revents: 0),
                               pollfd(fd: stop.pollDescriptor, events: Int16(POLLIN), revents: 0)]
            let ready = poll(&descriptors, 2, 1000)
            if ready < 0 && errno != EINTR {
                logger.error("health server poll failed; stopping it", ["error": String(cString: strerror(errno))])
                return
            }
            guard ready > 0, descriptors[0].revents & Int16(POLLIN) != 0, !stop.isRequested else { continue }
            let connection = accept(listener, nil, nil)
            guard connection >= 0 else { continue }
            _ = fcntl(connection, F_SETFD, FD_CLOEXEC)
            handle(connection)
            close(connection)
        }
    }

    /// Reads one request head and answers it.
    func handle(_ connection: Int32) {
        var timeout = timeval(tv_sec: Int(Self.ioTimeout.components.seconds), tv_usec: 0)
        setsockopt(connection, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(connection, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var head: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 2048)
        let deadline = ContinuousClock.now.advanced(by: Self.ioTimeout)
        var outcome: HealthRequest.Outcome?
        while outcome == nil {
            if let end = HealthRequest.headEnd(in: head) {
                outcome = HealthRequest.classify(Array(head[..<end]))
                break
            }
            if head.count >= HealthRequest.maximumHeadBytes {
                outcome = .reject(431)
                break
            }
            guard ContinuousClock.now < deadline else { return }  // a client that never finishes: just close
            let wanted = min(chunk.count, HealthRequest.maximumHeadBytes - head.count)
            let count = chunk.withUnsafeMutableBytes { recv(connection, $0.baseAddress, wanted, 0) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { return }
            head += chunk[..<count]
        }
        guard let outcome else { return }
        let response: [UInt8]
        switch outcome {
        case .serve(.healthz):
            response = HealthRequest.response(status: 200, body: "ok\n")
        case .serve(.readyz):
            response = metrics.isReady ? HealthRequest.response(status: 200, body: "ok\n")
                : HealthRequest.response(status: 503, body: "not ready\n")
        case .serve(.metrics):
            response = HealthRequest.response(status: 200, body: metrics.render(),
                                              contentType: "text/plain; version=0.0.4; charset=utf-8")
        case .reject(let status):
            response = HealthRequest.response(status: status, body: HealthRequest.reason(status).lowercased() + "\n")
        }
        var offset = 0
        while offset < response.count {
            let sent = response[offset...].withUnsafeBytes {
                send(connection, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL))
            }
            if sent < 0 && errno == EINTR { continue }
            guard sent > 0 else { return }
            offset += sent
        }
        _ = Glibc.shutdown(connection, Int32(SHUT_WR))
    }
}
