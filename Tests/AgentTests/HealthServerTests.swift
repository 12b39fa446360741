import Foundation
import Glibc
import PulseCommon
import Testing
@testable import PulseAgent

/// The health server over a real loopback socket, and its request parsing.
struct HealthServerTests {
    /// Sends raw bytes to 127.0.0.1:port and returns everything the server answers until it closes.
    static func exchange(_ port: UInt16, _ request: [UInt8]) throws -> String {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw POSIXError(.ECONNREFUSED) }
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        _ = request.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        var answer: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count <= 0 { break }
            answer += chunk[..<count]
        }
        return String(decoding: answer, as: UTF8.self)
    }

    static func get(_ port: UInt16, _ path: String, method: String = "GET") throws -> String {
        try exchange(port, Array("\(method) \(path) HTTP/1.1\r\nHost: localhost\r\nUser-Agent: test\r\n\r\n".utf8))
    }

    static func withServer(_ metrics: AgentMetrics, _ body: (UInt16) throws -> Void) throws {
        let server = try HealthServer(address: HealthAddress(host: "127.0.0.1", port: 0), metrics: metrics,
                                      logger: TestSupport.logger())
        try server.start()
        defer { server.shutdown() }
        try body(server.port)
    }

    @Test func endpointsOverLoopback() throws {
        let spool = ReportSpool.inMemory(bounds: SpoolBounds(), logger: TestSupport.logger())
        let metrics = AgentMetrics(version: "9.9.9", spool: spool)
        try Self.withServer(metrics) { port in
            let health = try Self.get(port, "/healthz")
            #expect(health.hasPrefix("HTTP/1.1 200 OK\r\n") && health.hasSuffix("\r\n\r\nok\n"))
            #expect(health.contains("Connection: close\r\n"))

            #expect(try Self.get(port, "/readyz").hasPrefix("HTTP/1.1 503 Service Unavailable\r\n"))
            #expect(try Self.get(port, "/readyz").hasSuffix("not ready\n"))
            metrics.reportDelivered(replayed: false, at: Date(timeIntervalSince1970: 1_700_000_000.5))
            #expect(try Self.get(port, "/readyz").hasPrefix("HTTP/1.1 200 OK\r\n"))

            spool.keep(SpoolTests.report(1), failure: SpoolTests.failure)
            metrics.collectorFinished("host.cpu", duration: .milliseconds(3), success: true)
            metrics.collectorFinished("sensors.smart", duration: .milliseconds(250), success: false)
            metrics.sendFailed()
            let text = try Self.get(port, "/metrics?name[]=x")
            #expect(text.hasPrefix("HTTP/1.1 200 OK\r\n"))
            #expect(text.contains("Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n"))
            for line in ["pulse_agent_info{version=\"9.9.9\"} 1", "pulse_agent_up 1", "pulse_agent_ready 1",
                         "pulse_agent_reports_sent_total 1", "pulse_agent_reports_failed_total 1",
                         "pulse_agent_reports_spooled_total 1", "pulse_agent_spool_reports 1",
                         "pulse_agent_collector_duration_seconds{collector=\"host.cpu\"} 0.003",
                         "pulse_agent_collector_success{collector=\"sensors.smart\"} 0",
                         "pulse_agent_collector_success{collector=\"host.cpu\"} 1",
                         "pulse_agent_last_report_success_timestamp_seconds 1700000000.5",
                         "# TYPE pulse_agent_reports_sent_total counter", "# TYPE pulse_agent_spool_bytes gauge"] {
                #expect(text.contains("\n" + line + "\n"), "missing \(line)")
            }
            let body = try #require(text.components(separatedBy: "\r\n\r\n").last)
            #expect(text.contains("Content-Length: \(body.utf8.count)\r\n"))
            for line in body.split(separator: "\n") where !line.hasPrefix("#") {
                #expect(line.split(separator: " ").count == 2, "sample line: \(line)")
            }
        }
    }

    @Test func everythingElseIsRefused() throws {
        try Self.withServer(AgentMetrics()) { port in
            #expect(try Self.get(port, "/").hasPrefix("HTTP/1.1 404 Not Found\r\n"))
            #expect(try Self.get(port, "/metrics/../etc/passwd").hasPrefix("HTTP/1.1 404 "))
            let post = try Self.get(port, "/healthz", method: "POST")
            #expect(post.hasPrefix("HTTP/1.1 405 Method Not Allowed\r\n") && post.contains("Allow: GET\r\n"))
            #expect(try Self.exchange(port, Array("garbage\r\n\r\n".utf8)).hasPrefix("HTTP/1.1 400 "))
            let huge = Array("GET /healthz HTTP/1.1\r\nX: \(String(repeating: "a", count: 9000))\r\n\r\n".utf8)
            #expect(try Self.exchange(port, huge).hasPrefix("HTTP/1.1 431 "))
            // The server keeps serving after bad requests.
            #expect(try Self.get(port, "/healthz").hasPrefix("HTTP/1.1 200 "))
        }
    }

    @Test func aSilentClientDoesNotBlockTheServerForever() throws {
        try Self.withServer(AgentMetrics()) { (port: UInt16) throws -> Void in
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            defer { close(fd) }
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = port.bigEndian
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            _ = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            let started = ContinuousClock.now
            #expect(try Self.get(port, "/healthz").hasPrefix("HTTP/1.1 200 "))
            #expect(started.duration(to: .now) < .seconds(4), "served after the silent client's 2 s timeout")
        }
    }

    @Test(arguments: [
        ("GET /healthz HTTP/1.1\r\n\r\n", HealthRequest.Outcome.serve(.healthz)),
        ("GET /readyz?x=1 HTTP/1.0\r\n\r\n", .serve(.readyz)),
        ("GET /metrics HTTP/1.1\n\n", .serve(.metrics)),
        ("HEAD /metrics HTTP/1.1\r\n\r\n", .reject(405)),
        ("GET /metricsx HTTP/1.1\r\n\r\n", .reject(404)),
        ("GET  /healthz HTTP/1.1\r\n\r\n", .reject(400)),
        ("get /healthz HTTP/1.1\r\n\r\n", .reject(400)),
        ("GET /healthz HTTP/2.0\r\n\r\n", .reject(400)),
        ("GET healthz HTTP/1.1\r\n\r\n", .reject(400)),
        ("\r\n\r\n", .reject(400)),
    ])
    func requestLines(_ head: String, _ expected: HealthRequest.Outcome) {
        #expect(HealthRequest.classify(Array(head.utf8)) == expected, "\(head.debugDescription)")
    }

    @Test func headEnd() {
        #expect(HealthRequest.headEnd(in: Array("GET / HTTP/1.1\r\nA: b\r\n\r\nrest".utf8)) == 24)
        #expect(HealthRequest.headEnd(in: Array("GET / HTTP/1.1\n\n".utf8)) == 16)
        #expect(HealthRequest.headEnd(in: Array("GET / HTTP/1.1\r\nA: b\r\n".utf8)) == nil)
    }

    @Test func addresses() {
        #expect(HealthAddress("127.0.0.1:9191") == HealthAddress(host: "127.0.0.1", port: 9191))
        #expect(HealthAddress(":9191") == HealthAddress(host: "0.0.0.0", port: 9191))
        #expect(HealthAddress("localhost:8080") == HealthAddress(host: "127.0.0.1", port: 8080))
        #expect(HealthAddress("[::1]:9191")?.isIPv6 == true)
        #expect(HealthAddress("[::1]:9191")?.description == "[::1]:9191")
        for bad in ["9191", "::1:9191", "host.example:9191", "127.0.0.1:99999", "127.0.0.1:", ""] {
            #expect(HealthAddress(bad) == nil, "\(bad)")
        }
    }

    @Test func prometheusFormatting() {
        #expect(PrometheusText.format(3) == "3" && PrometheusText.format(0.25) == "0.25")
        #expect(PrometheusText.format(.nan) == "NaN" && PrometheusText.format(-.infinity) == "-Inf")
        #expect(PrometheusText.escape("a\"b\\c\nd") == "a\\\"b\\\\c\\nd")
    }
}
