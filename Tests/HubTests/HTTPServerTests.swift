import Foundation
import PulseCommon
import Testing
@testable import PulseHub

/// The libmicrohttpd server with the real router, over real loopback sockets.
@Suite struct HTTPServerTests {
    @Test func servesOverLoopbackWithKeepAliveAndLimits() throws {
        let hub = try TestHub()
        let server = try HTTPServer(configuration: HTTPServerConfiguration(host: "127.0.0.1", port: 0, threads: 2),
                                    responder: hub.router)
        defer { server.shutdown(gracePeriod: .seconds(2)) }
        #expect(server.port > 0)
        let client = HTTPClient()
        let base = "http://127.0.0.1:\(server.port)"
        for _ in 0..<20 {
            let health = try client.perform(HTTPClientRequest(url: base + "/api/health"))
            #expect(health.status == 200)
        }
        let token = try hub.token([.hostAgentReport])
        let headers = [("X-API-Token", token), ("Content-Type", "application/json")]
        let accepted = try client.perform(HTTPClientRequest(method: "POST", url: base + "/api/agents/host/report",
                                                            headers: headers, body: Array(reportJSON(hostname: "a").utf8)))
        #expect(accepted.status == 200)
        // Declared oversize body: refused before it is read.
        let tooLarge = try client.perform(HTTPClientRequest(method: "POST", url: base + "/api/agents/host/report",
                                                            headers: headers, body: [UInt8](repeating: 0x20, count: 300 * 1024)))
        #expect(tooLarge.status == 413)
        #expect(tooLarge.text.contains("request_too_large"))
        // Chunked upload without a length: counted while it streams in.
        let chunked = try client.perform(HTTPClientRequest(method: "POST", url: base + "/api/agents/host/report",
                                                           headers: headers + [("Transfer-Encoding", "chunked")],
                                                           body: [UInt8](repeating: 0x20, count: 300 * 1024)))
        #expect(chunked.status == 413)
        // Still serving afterwards.
        #expect(try HTTPClient().perform(HTTPClientRequest(url: base + "/api/health")).status == 200)
        // Percent-encoded traversal is decoded before the check.
        let traversal = try client.perform(HTTPClientRequest(url: base + "/api/%2e%2e/state", pathAsIs: true))
        #expect(traversal.status == 401)
    }

    @Test func refusesAnAddressItCannotBind() throws {
        let hub = try TestHub()
        #expect(throws: HTTPServerError.self) {
            _ = try HTTPServer(configuration: HTTPServerConfiguration(host: "not-an-ip", port: 0), responder: hub.router)
        }
    }

    @Test func servesTLS() throws {
        let hub = try TestHub()
        let key = hub.directory + "/key.pem", cert = hub.directory + "/cert.pem"
        let openssl = Process()
        openssl.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        openssl.arguments = ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1", "-days", "1",
                             "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", key, "-out", cert]
        openssl.standardError = FileHandle.nullDevice
        openssl.standardOutput = FileHandle.nullDevice
        try openssl.run()
        openssl.waitUntilExit()
        try #require(openssl.terminationStatus == 0)
        let server = try HTTPServer(configuration: HTTPServerConfiguration(
            host: "127.0.0.1", port: 0, threads: 1, tlsKeyPEM: try String(contentsOfFile: key, encoding: .utf8),
            tlsCertificatePEM: try String(contentsOfFile: cert, encoding: .utf8)), responder: hub.router)
        defer { server.shutdown(gracePeriod: .seconds(2)) }
        let client = HTTPClient()
        let verified = try client.perform(HTTPClientRequest(url: "https://127.0.0.1:\(server.port)/api/health", caFile: cert))
        #expect(verified.status == 200)
        #expect(throws: HTTPClientError.self) {
            _ = try HTTPClient().perform(HTTPClientRequest(url: "https://127.0.0.1:\(server.port)/api/health"))
        }
    }
}
