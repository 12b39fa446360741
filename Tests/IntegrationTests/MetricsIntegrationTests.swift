import Foundation
import PulseCommon
import Testing

/// The metrics store inside the real hub process: durability across `kill -9`, the history API, and the
/// unauthenticated Prometheus listener.
@Suite struct MetricsIntegrationTests {
    static func report(hostname: String, at date: Date, cpu: Double) -> [UInt8] {
        let body = #"{"agent":{"id":"agent-\#(hostname)","type":"unified","intervalSeconds":1},"host":{"hostname":"\#(hostname)","id":"\#(hostname)"},"metrics":{"cpuUsagePercent":\#(cpu),"memory":{"totalBytes":1000,"usedBytes":500}},"timestamp":"\#(RFC3339.format(date))"}"#
        return Array(body.utf8)
    }

    @Test func killDashNineLosesNothingFlushed() throws {
        let hub = try HubProcess()
        defer { hub.shutdown() }
        try hub.start()
        let agent = try hub.createToken(name: "agent", scopes: "host-agent:report")
        let reader = try hub.createToken(name: "reader", scopes: "monitoring:read")
        let now = Date()
        for second in 0..<30 {
            let response = try hub.request("POST", "/api/agents/host/report", token: agent,
                                           body: Self.report(hostname: "crashy", at: now.addingTimeInterval(Double(second - 40)), cpu: Double(second)))
            #expect(response.status == 200)
        }
        // The writer flushes every second; wait past one flush, then crash.
        Thread.sleep(forTimeInterval: 1.6)
        hub.killHard()
        try hub.start()
        let history = try hub.request("GET", "/api/metrics-store/history?resourceType=host&resourceId=crashy&metric=cpu&range=1h&maxPoints=3600",
                                      token: reader)
        #expect(history.status == 200)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(history.body)) as? [String: Any])
        let points = try #require(object["points"] as? [[String: Any]])
        #expect(points.count == 30, "expected 30 points after kill -9, got \(points.count): \(history.text)")
        #expect(points.compactMap { $0["value"] as? Double } == (0..<30).map(Double.init))
        let stats = try hub.request("GET", "/api/metrics-store/stats", token: reader)
        let statsObject = try #require(try JSONSerialization.jsonObject(with: Data(stats.body)) as? [String: Any])
        #expect((statsObject["rawCount"] as? Int ?? 0) >= 60)  // cpu and memory for 30 reports
        #expect(!stats.text.contains(hub.dataDirectory))
    }

    @Test func prometheusListenerWithoutAuth() throws {
        let hub = try HubProcess()
        defer { hub.shutdown() }
        let port = try HubProcess.freeLoopbackPort()
        hub.extraEnvironment = ["PULSE_METRICS_ADDR": "127.0.0.1:\(port)"]
        try hub.start()
        let client = HTTPClient()
        let page = try client.perform(HTTPClientRequest(url: "http://127.0.0.1:\(port)/metrics"))
        #expect(page.status == 200)
        #expect(page.text.contains("# TYPE pulse_hub_info gauge"))
        #expect(try client.perform(HTTPClientRequest(url: "http://127.0.0.1:\(port)/api/state")).status == 404)
        #expect(try client.perform(HTTPClientRequest(method: "POST", url: "http://127.0.0.1:\(port)/metrics", body: [])).status == 405)
        // The main port still requires a token for the same page.
        #expect(try hub.request("GET", "/metrics").status == 401)
    }

    @Test func badListenAddressStopsStartupWithAClearMessage() throws {
        let hub = try HubProcess()
        defer { hub.shutdown() }
        hub.extraEnvironment = ["PULSE_METRICS_ADDR": "nonsense"]
        #expect(throws: (any Error).self) { try hub.start(timeout: .seconds(5)) }
        #expect(hub.log.contains("PULSE_METRICS_ADDR"))
    }
}
