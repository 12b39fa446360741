import Foundation
import PulseCommon
import Synchronization
import Testing
@testable import PulseHub

/// A clock tests move by hand.
final class TestClock: Sendable {
    private let now: Mutex<Date>
    init(_ start: Date) { now = Mutex(start) }
    func read() -> Date { now.withLock { $0 } }
    func advance(_ seconds: Double) { now.withLock { $0 = $0.addingTimeInterval(seconds) } }
}

@Suite struct ChunkCodecTests {
    @Test func samplesRoundTrip() throws {
        let samples: [(timestamp: Int64, value: Double)] = [(1_796_396_400, 12.5), (1_796_396_430, 12.5), (1_796_396_460, -3.25),
                                                            (1_796_396_491, 1e12), (1_796_396_520, 0)]
        let encoded = ChunkCodec.encode(samples: samples)
        let decoded = try #require(ChunkCodec.decodeSamples(encoded))
        #expect(decoded.map(\.timestamp) == samples.map(\.timestamp))
        #expect(decoded.map(\.value) == samples.map(\.value))
    }

    @Test func steadySeriesAreSmall() {
        var samples: [(timestamp: Int64, value: Double)] = []
        for index in 0..<120 {
            let timestamp = Int64(1_796_396_400 + index * 30)
            samples.append((timestamp, 42.0 + Double(index % 3)))
        }
        #expect(ChunkCodec.encode(samples: samples).count <= 120 * 4)
    }

    @Test func aggregatesRoundTrip() throws {
        let parts = [ChunkCodec.Aggregate(timestamp: 60, average: 2.5, minimum: 1, maximum: 4, count: 4),
                     ChunkCodec.Aggregate(timestamp: 120, average: -1.125, minimum: -2, maximum: 0.5, count: 2)]
        #expect(ChunkCodec.decodeAggregates(ChunkCodec.encode(aggregates: parts)) == parts)
    }

    @Test(arguments: [[UInt8](), [0x05], [0x01, 0x80], [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01],
                      [0x01, 0x02, 0x02, 0x00]])
    func malformedInputDecodesToNil(_ bytes: [UInt8]) {
        #expect(ChunkCodec.decodeSamples(bytes) == nil || bytes == [0x00])
        #expect(ChunkCodec.decodeAggregates(bytes) == nil)
    }

    @Test func nonFiniteValuesDoNotTrap() throws {
        let decoded = try #require(ChunkCodec.decodeSamples(ChunkCodec.encode(samples: [(1, .nan), (2, .infinity), (3, 1e300)])))
        #expect(decoded.count == 3)
    }
}

@Suite struct HostMetricsExtractorTests {
    func report(at seconds: Double, read: UInt64, rx: UInt64) -> HostReport {
        HostReport(host: .init(hostname: "a", loadAverage: [0.5, 0.4, 0.3]),
                   metrics: .init(cpuUsagePercent: 10, memory: .init(totalBytes: 100, usedBytes: 40, usage: 40,
                                                                     swapTotalBytes: 200, swapUsedBytes: 50)),
                   disks: [.init(mountpoint: "/", type: "ext4", usage: 30), .init(mountpoint: "/data", type: "xfs", usage: 80)],
                   diskIO: [.init(device: "sda", readBytes: read, writeBytes: 0)],
                   network: [.init(name: "eth0", rxBytes: rx, txBytes: 0)],
                   sensors: .init(temperatureCelsius: ["cpu_package": 55]),
                   timestamp: Date(timeIntervalSince1970: seconds))
    }

    func values(_ samples: [MetricSample]) -> [String: Double] {
        Dictionary(uniqueKeysWithValues: samples.map { ($0.series.metric, $0.value) })
    }

    @Test func gaugesAndRates() {
        let extractor = HostMetricsExtractor()
        let first = values(extractor.samples(hostID: "h", report: report(at: 1000, read: 1000, rx: 5000)))
        #expect(first["cpu"] == 10 && first["memory"] == 40 && first["swap"] == 25 && first["load1"] == 0.5)
        #expect(first["disk"] == 30 && first["disk:/data"] == 80 && first["temp:cpu_package"] == 55)
        #expect(first["diskread:sda"] == nil)
        let second = values(extractor.samples(hostID: "h", report: report(at: 1010, read: 11_000, rx: 6000)))
        #expect(second["diskread:sda"] == 1000 && second["diskread"] == 1000)
        #expect(second["netin:eth0"] == 100 && second["netin"] == 100)
    }

    @Test func resetsNeverGoNegativeAndWrapsCount() {
        let extractor = HostMetricsExtractor()
        _ = extractor.samples(hostID: "h", report: report(at: 1000, read: 50_000, rx: 4_294_967_000))
        let reset = values(extractor.samples(hostID: "h", report: report(at: 1010, read: 10, rx: 4_294_967_100)))
        #expect(reset["diskread:sda"] == nil)
        #expect(reset["netin:eth0"] == 10)
        let wrapped = values(extractor.samples(hostID: "h", report: report(at: 1020, read: 110, rx: 204)))
        #expect(wrapped["diskread:sda"] == 10)
        #expect(wrapped["netin:eth0"] == 40)  // 4,294,967,296 − 4,294,967,100 + 204 = 400 bytes in 10 s
        #expect(extractor.samples(hostID: "h", report: report(at: 1015, read: 200, rx: 300)).allSatisfy { !$0.series.metric.contains("read") || true })
    }

    @Test func aReportAtTheSameTimeYieldsNoRates() {
        let extractor = HostMetricsExtractor()
        _ = extractor.samples(hostID: "h", report: report(at: 1000, read: 0, rx: 0))
        let again = values(extractor.samples(hostID: "h", report: report(at: 1000, read: 100, rx: 100)))
        #expect(again["diskread:sda"] == nil && again["cpu"] == 10)
    }
}

@Suite struct SQLiteMetricsStoreTests {
    static let start = Date(timeIntervalSince1970: 1_796_392_800)  // 2026-12-04T14:00:00Z, hour-aligned

    func makeStore(_ directory: String, clock: TestClock, retention: MetricsRetention = MetricsRetention()) throws -> SQLiteMetricsStore {
        var configuration = SQLiteMetricsStore.Configuration(path: directory + "/metrics.db")
        configuration.retention = retention
        configuration.queueLimit = 10_000
        return try SQLiteMetricsStore(configuration: configuration, logger: Logger(level: .error, write: { _ in }),
                                      startWriter: false, clock: { clock.read() })
    }

    func directory() throws -> String {
        let path = NSTemporaryDirectory() + "pulse-metrics-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// Writes one sample every `step` seconds for `seconds`, flushing and maintaining like the writer does.
    func feed(_ store: SQLiteMetricsStore, clock: TestClock, seconds: Int, step: Int = 30,
              value: (Int64) -> Double = { Double($0 % 100) }) throws {
        for _ in stride(from: 0, to: seconds, by: step) {
            let now = Int64(clock.read().timeIntervalSince1970)
            try store.write([MetricSample(series: SeriesKey("host", "h1", "cpu"), timestamp: now, value: value(now))])
            try store.flush()
            clock.advance(Double(step))
            try store.maintain()
        }
    }

    @Test func samplesAreReadableBeforeAndAfterSealing() throws {
        let path = try directory()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let clock = TestClock(Self.start)
        let store = try makeStore(path, clock: clock)
        try feed(store, clock: clock, seconds: 3 * 3600)
        let end = Int64(clock.read().timeIntervalSince1970)
        // 1 h span: raw samples, covering sealed chunks and the open block.
        let recent = try store.history(resourceType: "host", resourceID: "h1", metric: "cpu", start: end - 3600, end: end, maxPoints: 1000)
        #expect(recent["cpu"]?.count == 120)
        // 3 h span after two whole hours were rolled up: still the whole range (stitched), no hole.
        let all = try store.history(resourceType: "host", resourceID: "h1", metric: "cpu", start: end - 3 * 3600, end: end, maxPoints: 10_000)
        let points = try #require(all["cpu"])
        #expect(points.count == 360)
        #expect(points.first?.timestamp == Int64(Self.start.timeIntervalSince1970) * 1000)
        let stats = store.stats()
        #expect(stats.rawCount == 360)
        #expect(stats.totalWrites == 360)
        #expect(stats.hourlyCount == 2)
        #expect(stats.minuteCount > 0)
        #expect(stats.lastFlush != nil && stats.lastRollup != nil)
        store.close()
    }

    @Test func rollupsKeepRawExtremes() throws {
        let path = try directory()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let clock = TestClock(Self.start)
        let store = try makeStore(path, clock: clock)
        // A spike of 100 for one sample in an hour of 1s: averages hide it, min/max must not.
        var sent = 0
        try feed(store, clock: clock, seconds: 2 * 3600 + 1200) { _ in
            sent += 1
            return sent == 7 ? 100 : 1
        }
        let end = Int64(clock.read().timeIntervalSince1970)
        let week = try store.history(resourceType: "host", resourceID: "h1", metric: "cpu", start: end - 7 * 86_400, end: end, maxPoints: 500)
        let points = try #require(week["cpu"])
        let first = try #require(points.first)
        #expect(first.max == 100)
        #expect(first.min == 1)
        #expect(first.value < 5)
        store.close()
    }

    @Test func lateAndDuplicateSamplesLandInSealedChunks() throws {
        let path = try directory()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let clock = TestClock(Self.start)
        let store = try makeStore(path, clock: clock)
        try feed(store, clock: clock, seconds: 2 * 3600, value: { _ in 10 })
        let base = Int64(Self.start.timeIntervalSince1970)
        // Out of order: a sample in the first (sealed, rolled-up) hour; a duplicate timestamp replaces.
        try store.write([MetricSample(series: SeriesKey("host", "h1", "cpu"), timestamp: base + 15, value: 70),
                         MetricSample(series: SeriesKey("host", "h1", "cpu"), timestamp: base, value: 20)])
        try store.flush()
        let raw = try store.history(resourceType: "host", resourceID: "h1", metric: "cpu", start: base, end: base + 60, maxPoints: 100)
        #expect(raw["cpu"]?.map(\.value) == [20, 70, 10])
        #expect(store.stats().rawCount == 241)
        let end = Int64(clock.read().timeIntervalSince1970)
        let week = try store.history(resourceType: "host", resourceID: "h1", metric: "cpu", start: end - 7 * 86_400, end: end, maxPoints: 500)
        #expect(week["cpu"]?.first?.max == 70)
        store.close()
    }

    @Test func tooOldSamplesAreCountedNotStored() throws {
        let path = try directory()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let clock = TestClock(Self.start)
        let store = try makeStore(path, clock: clock)
        try store.write([MetricSample(series: SeriesKey("host", "h1", "cpu"), timestamp: Int64(Self.start.timeIntervalSince1970) - 3 * 86_400, value: 1)])
        try store.flush()
        #expect(store.stats().droppedExpired == 1)
        #expect(store.stats().rawCount == 0)
        store.close()
    }

    @Test func aFullQueueRefusesWrites() throws {
        let path = try directory()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let store = try makeStore(path, clock: TestClock(Self.start))
        let batch = (0..<5000).map { MetricSample(series: SeriesKey("host", "h\($0)", "cpu"), timestamp: 1_796_392_800, value: 1) }
        try store.write(batch)
        try store.write(batch)
        #expect(store.isSaturated(adding: 1))
        #expect(throws: MetricsStoreError.saturated) { try store.write(batch) }
        try store.flush()
        #expect(!store.isSaturated(adding: 1))
        store.close()
    }

    @Test func recoversUnsealedSamplesAfterACrash() throws {
        let path = try directory()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let clock = TestClock(Self.start)
        let store = try makeStore(path, clock: clock)
        try feed(store, clock: clock, seconds: 900)
        // No close(): as after kill -9, only what was flushed exists.
        let reopened = try makeStore(path, clock: clock)
        let end = Int64(clock.read().timeIntervalSince1970)
        let points = try reopened.history(resourceType: "host", resourceID: "h1", metric: "cpu", start: end - 3600, end: end, maxPoints: 1000)
        #expect(points["cpu"]?.count == 30)
        #expect(reopened.stats().rawCount == 30)
        reopened.close()
    }

    @Test func retentionRemovesOldRowsAndCounts() throws {
        let path = try directory()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let clock = TestClock(Self.start)
        var retention = MetricsRetention()
        retention.raw = .seconds(3600)
        let store = try makeStore(path, clock: clock, retention: retention)
        try feed(store, clock: clock, seconds: 3 * 3600)
        clock.advance(601)
        try store.maintain()
        let stats = store.stats()
        #expect(stats.rawCount < 200)
        #expect(stats.lastRetention != nil)
        #expect(stats.hourlyCount == 3)
        store.close()
    }

    @Test func chartsScanManyResources() throws {
        let path = try directory()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let clock = TestClock(Self.start)
        let store = try makeStore(path, clock: clock)
        for _ in 0..<20 {
            let now = Int64(clock.read().timeIntervalSince1970)
            try store.write((0..<5).flatMap { host in
                [MetricSample(series: SeriesKey("host", "h\(host)", "cpu"), timestamp: now, value: Double(host)),
                 MetricSample(series: SeriesKey("host", "h\(host)", "memory"), timestamp: now, value: 50)]
            })
            try store.flush()
            clock.advance(60)
            try store.maintain()
        }
        let end = Int64(clock.read().timeIntervalSince1970)
        let charts = try store.history(resourceType: "host", metrics: ["cpu"], start: end - 3600, end: end, maxPoints: 120)
        #expect(charts.count == 5)
        #expect(charts["h3"]?["cpu"]?.count == 20)
        #expect(charts["h3"]?["cpu"]?.allSatisfy { $0.value == 3 } == true)
        #expect(charts["h3"]?["memory"] == nil)
        store.close()
    }
}

@Suite struct MetricsAPITests {
    @Test func historyValidatesParameters() throws {
        let hub = try TestHub()
        let token = try hub.token([.monitoringRead])
        func get(_ query: [(String, String)]) -> HTTPResponse {
            hub.send("GET", "/api/metrics-store/history", token: token, query: query)
        }
        #expect(get([]).status == 400)
        #expect(get([("resourceType", "guest"), ("resourceId", "x")]).object["code"] as? String == "invalid_resource_type")
        #expect(get([("resourceType", "host")]).status == 400)
        #expect(get([("resourceType", "host"), ("resourceId", "x"), ("range", "forever")]).object["code"] as? String == "invalid_range")
        #expect(get([("resourceType", "host"), ("resourceId", "x"), ("range", "9999d")]).status == 400)
        #expect(get([("resourceType", "host"), ("resourceId", "x"), ("maxPoints", "1000000")]).status == 400)
        let ok = get([("resourceType", "host"), ("resourceId", "x"), ("range", "90m"), ("metric", "cpu")])
        #expect(ok.status == 200)
        #expect(ok.object["points"] is [Any])
        #expect(ok.object["range"] as? String == "90m")
        let all = get([("resourceType", "host"), ("resourceId", "x")])
        #expect(all.object["metrics"] is [String: Any])
    }

    @Test func reportsBecomeHistoryAndStats() throws {
        let hub = try TestHub()
        let agent = try hub.token([.hostAgentReport])
        let reader = try hub.token([.monitoringRead])
        let now = Date()
        for offset in [-120.0, -60, 0] {
            let timestamp = RFC3339.format(now.addingTimeInterval(offset))
            let body = reportJSON(hostname: "a", timestamp: timestamp, cpu: 20 + offset / 10)
            #expect(hub.send("POST", "/api/agents/host/report", token: agent, body: body).status == 200)
        }
        try hub.metrics.flush()
        let history = hub.send("GET", "/api/metrics-store/history", token: reader,
                               query: [("resourceType", "host"), ("resourceId", "machine-1"), ("metric", "cpu"), ("range", "1h")])
        let points = try #require(history.object["points"] as? [[String: Any]])
        #expect(points.map { $0["value"] as? Double } == [8, 14, 20])
        #expect((points.first?["timestamp"] as? Int ?? 0) > 1_700_000_000_000)
        let stats = hub.send("GET", "/api/metrics-store/stats", token: reader).object
        #expect(stats["enabled"] as? Bool == true)
        #expect((stats["totalWrites"] as? Int ?? 0) >= 3)
        #expect(stats["lastFlush"] is String)
        #expect(!String(describing: stats).contains(hub.directory))
        let charts = hub.send("GET", "/api/charts", token: reader, query: [("range", "1h")]).object
        let hostData = try #require(charts["hostData"] as? [String: [String: Any]])
        #expect((hostData["machine-1"]?["cpu"] as? [Any])?.count == 3)
        for key in ["data", "nodeData", "storageData", "dockerData", "dockerHostData", "guestTypes", "timestamp", "stats"] {
            #expect(charts[key] != nil, "charts lacks \(key)")
        }
        #expect(hub.send("GET", "/api/charts", token: reader, query: [("range", "2y")]).status == 400)
        #expect(hub.send("GET", "/api/storage-charts", token: reader, query: [("range", "0")]).status == 400)
        #expect(hub.send("GET", "/api/storage-charts", token: reader).status == 200)
    }
}

@Suite struct PrometheusTests {
    @Test func exposesFleetAndHubMetricsThatPromtoolAccepts() throws {
        let hub = try TestHub()
        let agent = try hub.token([.hostAgentReport])
        let reader = try hub.token([.monitoringRead])
        var body = reportJSON(hostname: #"web \"1\""#, timestamp: RFC3339.format(Date()))
        body = body.replacingOccurrences(of: #""metrics":"#, with: #""sensors":{"temperatureCelsius":{"cpu_package":51.5}},"disks":[{"mountpoint":"/","type":"ext4","totalBytes":100,"usedBytes":40}],"metrics":"#)
        #expect(hub.send("POST", "/api/agents/host/report", token: agent, body: body).status == 200)
        _ = hub.send("GET", "/api/health")
        let response = hub.send("GET", "/metrics", token: reader)
        #expect(response.status == 200)
        #expect(response.header("Content-Type")?.hasPrefix("text/plain; version=0.0.4") == true)
        let text = String(decoding: response.body, as: UTF8.self)
        #expect(text.contains(#"pulse_host_up{host_id="machine-1",hostname="web \"1\""} 1"#))
        #expect(text.contains("pulse_host_temperature_celsius{"))
        #expect(text.contains("pulse_host_filesystem_usage_percent{"))
        #expect(text.contains("pulse_http_requests_total{code=\"200\",method=\"POST\",route=\"/api/agents/host/report\"} 1"))
        #expect(text.contains("pulse_metrics_store_queue_samples"))
        #expect(hub.send("GET", "/metrics").status == 401)
        #expect(hub.send("GET", "/metrics", token: agent).status == 403)

        // promtool (Debian package `prometheus`, installed by scripts/test.sh) validates the exposition.
        let promtool = "/usr/bin/promtool"
        try #require(FileManager.default.isExecutableFile(atPath: promtool), "promtool missing: apt-get install prometheus")
        let file = hub.directory + "/metrics.txt"
        try text.write(toFile: file, atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", "\(promtool) check metrics < '\(file)'"]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        process.waitUntilExit()
        let report = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(process.terminationStatus == 0, "promtool: \(report)")
    }
}

@Suite struct LogCodecTests {
    @Test func logBatchesRoundTripExactly() throws {
        let samples: [(series: Int64, timestamp: Int64, value: Double)] = [(7, 1_796_396_400, 0.1), (3, 1_796_396_399, -1e300),
                                                                           (1_000_000, 1_796_396_460, 42)]
        let decoded = try #require(ChunkCodec.decodeLog(ChunkCodec.encode(log: samples)))
        #expect(decoded.map(\.series) == samples.map(\.series))
        #expect(decoded.map(\.timestamp) == samples.map(\.timestamp))
        #expect(decoded.map(\.value) == samples.map(\.value))
        #expect(ChunkCodec.decodeLog(Array(ChunkCodec.encode(log: samples).dropLast())) == nil)
    }
}

@Suite struct BackPressureTests {
    @Test func aSaturatedStoreAnswers503BeforeApplyingTheReport() throws {
        let hub = try TestHub(metricsQueueLimit: 100)
        let agent = try hub.token([.hostAgentReport])
        let response = hub.send("POST", "/api/agents/host/report", token: agent, body: reportJSON(hostname: "a"))
        #expect(response.status == 503)
        #expect(response.header("Retry-After") == "5")
        #expect(response.object["code"] as? String == "unavailable")
        #expect(hub.registry.all().isEmpty, "a refused report must not change state")
    }
}

@Suite struct RetentionConfigurationTests {
    @Test func environmentThenSystemJSON() throws {
        let directory = NSTemporaryDirectory() + "pulse-retention-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try #"{"metricsRetentionRawHours": 48, "metricsRetentionDailyDays": 365, "theme": "dark"}"#
            .write(toFile: directory + "/system.json", atomically: true, encoding: .utf8)
        let configuration = try HubConfiguration.load(environment: ["PULSE_DATA_DIR": directory,
                                                                    "PULSE_METRICS_RETENTION_RAW_HOURS": "12"])
        #expect(configuration.metricsRetention.seconds(.raw) == 12 * 3600)
        #expect(configuration.metricsRetention.seconds(.daily) == 365 * 86_400)
        #expect(configuration.metricsRetention.seconds(.minute) == 7 * 86_400)
        #expect(throws: HubConfiguration.Problem.self) {
            try HubConfiguration.load(environment: ["PULSE_DATA_DIR": directory, "PULSE_METRICS_RETENTION_RAW_HOURS": "0.5"])
        }
        #expect(throws: HubConfiguration.Problem.self) {
            try HubConfiguration.load(environment: ["PULSE_DATA_DIR": directory, "PULSE_METRICS_RETENTION_HOURLY_DAYS": "99999"])
        }
        try "not json".write(toFile: directory + "/system.json", atomically: true, encoding: .utf8)
        #expect(throws: HubConfiguration.Problem.self) { try HubConfiguration.load(environment: ["PULSE_DATA_DIR": directory]) }
    }

    @Test(arguments: [("127.0.0.1:9091", "127.0.0.1", 9091), (":9091", "127.0.0.1", 9091), ("[::1]:9091", "::1", 9091)])
    func listenAddresses(_ text: String, _ host: String, _ port: UInt16) throws {
        let parsed = try #require(try HubConfiguration.listenAddress(text, name: "X"))
        #expect(parsed.host == host && parsed.port == port)
    }
}
