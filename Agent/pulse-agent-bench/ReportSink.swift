#if canImport(Glibc)
import Glibc
#endif
import PulseAgent
import PulseCommon
import Synchronization

/// A minimal stand-in hub on loopback for the process measurement: answers every request `200` with a host
/// report response, so the agent runs its normal path (collect, encode, POST over libcurl).
final class ReportSink: Sendable {
    let port: UInt16
    private let listener: Int32
    private let received = Atomic<Int>(0)
    private let stopSignal = StopSignal()

    init?() {
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard listener >= 0 else { return nil }
        var one: Int32 = 1
        setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(listener, $0, length) == 0 && listen(listener, 16) == 0 && getsockname(listener, $0, &length) == 0
            }
        }
        guard ok else {
            close(listener)
            return nil
        }
        self.listener = listener
        port = UInt16(bigEndian: address.sin_port)
        guard (try? WorkerThread { [self] in serve() }) != nil else { return nil }
    }

    deinit { close(listener) }

    /// Reports received.
    var count: Int { received.load(ordering: .relaxed) }

    func stop() { stopSignal.request() }

    private func serve() {
        let body = #"{"success":true,"hostId":"bench","lastSeen":"2024-01-01T00:00:00Z","platform":"debian","#
            + #""osName":"Debian","osVersion":"12"}"#
        let head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n"
            + "Connection: close\r\n\r\n"
        let response = Array((head + body).utf8)
        while !stopSignal.isRequested {
            var descriptor = pollfd(fd: listener, events: Int16(POLLIN), revents: 0)
            guard poll(&descriptor, 1, 200) > 0 else { continue }
            let connection = accept(listener, nil, nil)
            guard connection >= 0 else { continue }
            var timeout = timeval(tv_sec: 5, tv_usec: 0)
            setsockopt(connection, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            var bytes: [UInt8] = []
            var chunk = [UInt8](repeating: 0, count: 65536)
            while !Self.complete(bytes) {
                let count = chunk.withUnsafeMutableBytes { recv(connection, $0.baseAddress, $0.count, 0) }
                if count <= 0 { break }
                bytes += chunk[..<count]
            }
            if Self.complete(bytes) {
                received.add(1, ordering: .relaxed)
                _ = response.withUnsafeBytes { send(connection, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            }
            close(connection)
        }
    }

    /// Whether `bytes` hold a request head and its whole `Content-Length` body.
    static func complete(_ bytes: [UInt8]) -> Bool {
        let separator: [UInt8] = [13, 10, 13, 10]
        guard bytes.count >= 4,
              let end = (0...(bytes.count - 4)).first(where: { bytes[$0..<($0 + 4)].elementsEqual(separator) }) else {
            return false
        }
        let head = String(decoding: bytes[..<end], as: UTF8.self).lowercased()
        let length = head.split(separator: "\r\n").first { $0.hasPrefix("content-length:") }
            .flatMap { Int($0.dropFirst("content-length:".count).trimmingWhitespace()) } ?? 0
        return bytes.count - (end + 4) >= length
    }
}
