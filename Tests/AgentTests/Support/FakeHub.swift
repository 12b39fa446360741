import Foundation
import Glibc
import Synchronization

/// A loopback HTTP/1.1 server for agent tests: answers every request through `handler`, one connection at a
/// time, with `Connection: close`, and records what it received. Stop it with `stop()` (also on deinit).
final class FakeHub: Sendable {
    struct Request: Sendable {
        var method: String
        var path: String
        var headers: [String: String]
        var body: [UInt8]
        var text: String { String(decoding: body, as: UTF8.self) }
    }

    struct Response: Sendable {
        var status: Int
        var body: String
        var headers: [(String, String)] = []

        static func json(_ status: Int, _ body: String) -> Response { Response(status: status, body: body) }
    }

    let port: Int
    private let listener: Int32
    private let handler: Mutex<@Sendable (Request) -> Response>
    private let received = Mutex<[Request]>([])
    private let stopped = Atomic<Bool>(false)
    private let finished = DispatchSemaphore(value: 0)

    var baseURL: String { "http://127.0.0.1:\(port)" }

    /// Listens on 127.0.0.1 (`port` 0: any free port).
    init(port requested: Int = 0, handler: @escaping @Sendable (Request) -> Response) throws {
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard listener >= 0 else { throw POSIXError(.EIO) }
        var one: Int32 = 1
        setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(requested).bigEndian
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(listener, pointer, length) == 0 && listen(listener, 16) == 0
                    && getsockname(listener, pointer, &length) == 0
            }
        }
        guard bound else { close(listener); throw POSIXError(.EADDRINUSE) }
        self.listener = listener
        port = Int(UInt16(bigEndian: address.sin_port))
        self.handler = Mutex(handler)
        Thread.detachNewThread { [self] in serve() }
    }

    deinit { stop() }

    /// Replaces the handler.
    func respond(with handler: @escaping @Sendable (Request) -> Response) {
        self.handler.withLock { $0 = handler }
    }

    /// Everything received so far.
    var requests: [Request] { received.withLock { $0 } }

    /// Stops accepting and closes the listening socket (idempotent).
    func stop() {
        guard !stopped.exchange(true, ordering: .acquiringAndReleasing) else { return }
        shutdown(listener, Int32(SHUT_RDWR))
        _ = finished.wait(timeout: .now() + 5)
        close(listener)
    }

    private func serve() {
        defer { finished.signal() }
        while !stopped.load(ordering: .acquiring) {
            var descriptor = pollfd(fd: listener, events: Int16(POLLIN), revents: 0)
            guard poll(&descriptor, 1, 100) > 0, !stopped.load(ordering: .acquiring) else { continue }
            let connection = accept(listener, nil, nil)
            guard connection >= 0 else { continue }
            handle(connection)
            close(connection)
        }
    }

    private func handle(_ connection: Int32) {
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(connection, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        var headEnd: Int?
        var contentLength = 0
        while true {
            if headEnd == nil, let range = bytes.firstRange(of: Array("\r\n\r\n".utf8)) {
                headEnd = range.upperBound
                let head = String(decoding: bytes[..<range.lowerBound], as: UTF8.self)
                for line in head.split(separator: "\r\n").dropFirst() {
                    let parts = line.split(separator: ":", maxSplits: 1)
                    if parts.count == 2, parts[0].lowercased() == "content-length" {
                        contentLength = Int(parts[1].trimmingCharacters(in: .whitespaces)) ?? 0
                    }
                }
            }
            if let headEnd, bytes.count - headEnd >= contentLength { break }
            let count = chunk.withUnsafeMutableBytes { recv(connection, $0.baseAddress, $0.count, 0) }
            if count <= 0 { return }
            bytes += chunk[0..<count]
        }
        guard let headEnd else { return }
        let head = String(decoding: bytes[..<(headEnd - 4)], as: UTF8.self)
        let lines = head.split(separator: "\r\n")
        let requestLine = lines.first?.split(separator: " ") ?? []
        var headers: [String: String] = [:]
        for line in lines.dropFirst() {
            let parts = line.split(separator: ":", maxSplits: 1)
            if parts.count == 2 { headers[parts[0].lowercased()] = parts[1].trimmingCharacters(in: .whitespaces) }
        }
        let request = Request(method: requestLine.count > 0 ? String(requestLine[0]) : "",
                              path: requestLine.count > 1 ? String(requestLine[1]) : "",
                              headers: headers, body: Array(bytes[headEnd..<(headEnd + contentLength)]))
        received.withLock { $0.append(request) }
        let response = handler.withLock { $0 }(request)
        var text = "HTTP/1.1 \(response.status) Status\r\nContent-Type: application/json\r\n"
        for (name, value) in response.headers { text += "\(name): \(value)\r\n" }
        text += "Content-Length: \(response.body.utf8.count)\r\nConnection: close\r\n\r\n\(response.body)"
        _ = Array(text.utf8).withUnsafeBytes { send(connection, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    }
}

/// A hub answer to a host report.
enum HubAnswers {
    static func reportAccepted(hostID: String = "host-1", commandsEnabled: Bool? = nil) -> FakeHub.Response {
        var body = #"{"success":true,"hostId":"\#(hostID)","lastSeen":"2024-01-01T00:00:00Z","platform":"debian","osName":"Debian","osVersion":"12""#
        if let commandsEnabled { body += #","config":{"commandsEnabled":\#(commandsEnabled)}"# }
        return .json(200, body + "}")
    }
}
