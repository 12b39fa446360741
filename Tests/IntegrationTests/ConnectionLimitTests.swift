import Foundation
import PulseCommon
import Testing

/// Connection-level protections of the HTTP layer, with raw sockets.
@Suite struct ConnectionLimitTests {
    /// A TCP connection to the hub that speaks bytes, not HTTP.
    final class RawConnection {
        let descriptor: Int32

        init(port: UInt16) throws {
            descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = port.bigEndian
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
            guard connected == 0 else { throw HarnessError("connect failed: errno \(errno)") }
            var timeout = timeval(tv_sec: 5, tv_usec: 0)
            setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        }

        deinit { close(descriptor) }

        func send(_ text: String) {
            let bytes = Array(text.utf8)
            _ = bytes.withUnsafeBytes { Glibc.send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        }

        /// What the server sends until it closes the connection or `limit` bytes arrive; nil on a receive timeout.
        func readUntilClosed(limit: Int = 65536) -> String? {
            var collected: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 4096)
            while collected.count < limit {
                let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
                if count == 0 { return String(decoding: collected, as: UTF8.self) }
                if count < 0 { return errno == ECONNRESET ? String(decoding: collected, as: UTF8.self) : nil }
                collected += buffer[..<count]
            }
            return String(decoding: collected, as: UTF8.self)
        }
    }

    @Test func perAddressConnectionLimit() throws {
        let hub = try HubProcess()
        defer { hub.shutdown() }
        hub.extraEnvironment = ["PULSE_HTTP_MAX_CONNECTIONS_PER_IP": "2"]
        try hub.start()
        // Hold five connections at once; the harness's own keep-alive client may hold one more slot.
        let connections = try (0..<5).map { _ in try RawConnection(port: hub.port) }
        Thread.sleep(forTimeInterval: 0.2)
        var answered = 0, refused = 0
        for connection in connections {
            connection.send("GET /api/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            let answer = connection.readUntilClosed() ?? "<timeout>"
            if answer.hasPrefix("HTTP/1.1 200") { answered += 1 } else if answer.isEmpty { refused += 1 }
        }
        #expect((1...2).contains(answered), "\(answered) of 5 connections from one address were served with a limit of 2")
        #expect(answered + refused == 5)
        // Once those are gone, new connections are served again (the server reaps closed ones asynchronously).
        var servedAgain = false
        for _ in 0..<40 where !servedAgain {
            servedAgain = (try? HTTPClient().perform(HTTPClientRequest(url: hub.baseURL + "/api/health")))?.status == 200
            if !servedAgain { Thread.sleep(forTimeInterval: 0.05) }
        }
        #expect(servedAgain)
        _ = try hub.stop()
    }

    @Test func silentConnectionsTimeOut() throws {
        let hub = try HubProcess()
        defer { hub.shutdown() }
        hub.extraEnvironment = ["PULSE_HTTP_IDLE_TIMEOUT": "1"]
        try hub.start()
        let slow = try RawConnection(port: hub.port)
        slow.send("POST /api/agents/host/report HTTP/1.1\r\nHost: x\r\n")  // headers never finished
        let started = ContinuousClock.now
        let answer = slow.readUntilClosed()
        let elapsed = ContinuousClock.now - started
        #expect(answer != nil, "the server kept a silent connection open past the receive timeout")
        #expect(elapsed < .seconds(4))
        #expect(try hub.request("GET", "/api/health").status == 200)
        _ = try hub.stop()
    }

    @Test func keepAliveServesManyRequestsOnOneConnection() throws {
        let hub = try HubProcess()
        defer { hub.shutdown() }
        try hub.start()
        let connection = try RawConnection(port: hub.port)
        let pipelined = String(repeating: "GET /api/health HTTP/1.1\r\nHost: x\r\n\r\n", count: 5)
            + "GET /api/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        connection.send(pipelined)
        let answer = connection.readUntilClosed(limit: 1 << 20) ?? ""
        #expect(answer.components(separatedBy: "HTTP/1.1 200 OK").count - 1 == 6)
        _ = try hub.stop()
    }
}
