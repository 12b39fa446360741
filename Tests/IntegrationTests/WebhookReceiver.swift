import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// A minimal HTTP/1.1 server on 127.0.0.1 that records every request and answers with `respond` (200 and no body by
/// default): the audit webhook target, and a deliberately lying "hub" for installer and updater tests. One accept
/// thread; each connection is read to the end of its body, answered and closed.
final class WebhookReceiver: @unchecked Sendable {
    struct Received: Sendable {
        let method: String
        let path: String
        /// Header names lowercased.
        let headers: [String: String]
        let body: [UInt8]
    }

    typealias Responder = @Sendable (Received) -> (status: Int, headers: [(String, String)], body: [UInt8])

    let port: UInt16
    private let listener: Int32
    private let respond: Responder
    private let received = Mutex<[Received]>([])
    private let done = DispatchSemaphore(value: 0)

    /// Listens on `port` (0 picks a free one).
    init(port: UInt16 = 0, respond: @escaping Responder = { _ in (200, [], []) }) throws {
        self.respond = respond
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw HarnessError("socket failed: errno \(errno)") }
        var one: Int32 = 1
        setsockopt(descriptor, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(descriptor, 16) == 0 else {
            close(descriptor)
            throw HarnessError("cannot listen on 127.0.0.1:\(port): errno \(errno)")
        }
        var actual = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &actual) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        self.port = UInt16(bigEndian: actual.sin_port)
        self.listener = descriptor
        let thread = Thread { [self] in acceptLoop() }
        thread.start()
    }

    var requests: [Received] { received.withLock { $0 } }

    /// Waits until `predicate` holds for the requests received, at most `timeout`.
    func wait(timeout: Duration, until predicate: ([Received]) -> Bool) -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if predicate(requests) { return true }
            usleep(100_000)
        }
        return predicate(requests)
    }

    /// Stops listening and waits for the accept thread.
    func stop() {
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
        _ = done.wait(timeout: .now() + 5)
    }

    private func acceptLoop() {
        while true {
            let connection = accept(listener, nil, nil)
            if connection < 0 {
                if errno == EINTR { continue }
                break
            }
            handle(connection)
            close(connection)
        }
        done.signal()
    }

    private func handle(_ connection: Int32) {
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(connection, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var data: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65_536)
        var headerEnd: Int?
        var expected = 0
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(connection, $0.baseAddress, $0.count, 0) }
            if count <= 0 { break }
            data.append(contentsOf: buffer[0..<count])
            if headerEnd == nil, let range = Self.find([13, 10, 13, 10], in: data) {
                headerEnd = range
                let head = String(decoding: data[0..<range], as: UTF8.self)
                for line in head.split(separator: "\r\n") where line.lowercased().hasPrefix("content-length:") {
                    expected = Int(line.split(separator: ":", maxSplits: 1)[1].trimmingCharacters(in: .whitespaces)) ?? 0
                }
            }
            if let headerEnd, data.count >= headerEnd + 4 + expected { break }
        }
        guard let headerEnd else { return }
        let lines = String(decoding: data[0..<headerEnd], as: UTF8.self).split(separator: "\r\n")
        let requestLine = lines.first?.split(separator: " ") ?? []
        var headers: [String: String] = [:]
        for line in lines.dropFirst() {
            let parts = line.split(separator: ":", maxSplits: 1)
            if parts.count == 2 { headers[parts[0].lowercased()] = parts[1].trimmingCharacters(in: .whitespaces) }
        }
        let body = Array(data[(headerEnd + 4)..<min(data.count, headerEnd + 4 + expected)])
        let request = Received(method: requestLine.first.map(String.init) ?? "", path: requestLine.dropFirst().first.map(String.init) ?? "",
                               headers: headers, body: body)
        received.withLock { $0.append(request) }
        let answer = respond(request)
        var head = "HTTP/1.1 \(answer.status) X\r\nContent-Length: \(answer.body.count)\r\nConnection: close\r\n"
        for (name, value) in answer.headers { head += "\(name): \(value)\r\n" }
        var reply = Array((head + "\r\n").utf8)
        if request.method != "HEAD" { reply += answer.body }
        var sent = 0
        while sent < reply.count {
            let count = reply[sent...].withUnsafeBytes { send(connection, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if count <= 0 { break }
            sent += count
        }
    }

    private static func find(_ needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        for index in 0...(haystack.count - needle.count) where Array(haystack[index..<index + needle.count]) == needle {
            return index
        }
        return nil
    }
}
