import Foundation
import PulseCommon
import Testing

/// The host report wire type against a full Pulse 5 agent report.
@Suite struct HostReportTests {
    static func fixture(_ name: String) throws -> Data {
        let url = try #require(Bundle.module.url(forResource: name, withExtension: nil, subdirectory: "Fixtures"))
        return try Data(contentsOf: url)
    }

    @Test func decodesEveryFieldOfAPulse5Report() throws {
        let report = try WireJSON.decoder().decode(HostReport.self, from: Self.fixture("host-report-pulse5.json"))
        #expect(report.agent?.id == "5d41402a-bc4b-2a76-b971-9d911017c592")
        #expect(report.agent?.version == "v5.0.12")
        #expect(report.agent?.type == "unified")
        #expect(report.agent?.intervalSeconds == 30)
        #expect(report.agent?.updatedFrom == "v5.0.11")
        #expect(report.agent?.commandsEnabled == true)
        #expect(report.host?.hostname == "web01.example.com")
        #expect(report.host?.cpuModel == "AMD EPYC 7543P 32-Core Processor")
        #expect(report.host?.cpuCount == 8)
        #expect(report.host?.uptimeSeconds == 1_209_600)
        #expect(report.host?.loadAverage == [0.42, 0.35, 0.3])
        #expect(report.host?.reportIp == "192.0.2.10")
        #expect(report.metrics?.cpuUsagePercent == 12.75)
        #expect(report.metrics?.memory?.swapUsedBytes == 1_048_576)
        #expect(report.disks?.count == 2)
        #expect(report.diskIO?.first?.ioTimeMs == 3333)
        #expect(report.network?.first?.addresses == ["192.0.2.10/24", "fe80::5054:ff:fe12:3456/64"])
        #expect(report.network?.first?.speedMbps == 10_000)
        #expect(report.sensors?.temperatureCelsius?["nvme0"] == 38.85)
        #expect(report.sensors?.powerWatts?["cpu_package"] == 35.2)
        #expect(report.sensors?.smart?.first?.health == "PASSED")
        #expect(report.raid?.first?.devices?.count == 2)
        #expect(report.ceph?.objectValue?["fsid"]?.stringValue == "c0ffee00-0000-4000-8000-000000000001")
        #expect(report.tags == ["prod", "web"])
        #expect(report.sequenceId == "1796396400123")
        let timestamp = try #require(report.timestamp)
        #expect(abs(timestamp.timeIntervalSince1970 - 1_796_396_400.123456789) < 1e-6)
    }

    @Test func reEncodingKeepsEveryKnownFieldAndDropsUnknownOnes() throws {
        let decoder = WireJSON.decoder()
        let report = try decoder.decode(HostReport.self, from: Self.fixture("host-report-pulse5.json"))
        let encoded = try WireJSON.encoder(sorted: true).encode(report)
        let originalObject = try #require(try JSONSerialization.jsonObject(with: Self.fixture("host-report-pulse5.json")) as? [String: Any])
        let again = try #require(try JSONSerialization.jsonObject(with: encoded) as? [String: Any])
        var expectedKeys = Set(originalObject.keys)
        expectedKeys.remove("someFutureField")
        #expect(Set(again.keys) == expectedKeys)
        var decoded = try decoder.decode(HostReport.self, from: encoded)
        let original = try #require(report.timestamp), roundTripped = try #require(decoded.timestamp)
        #expect(abs(original.timeIntervalSince(roundTripped)) < 1e-6)
        decoded.timestamp = report.timestamp
        #expect(decoded == report)
    }

    @Test func encodingIsStableGolden() throws {
        let report = HostReport(
            agent: .init(id: "agent-1", version: "0.1.0", type: "unified", intervalSeconds: 30, hostname: "h1"),
            host: .init(id: "m1", hostname: "h1", displayName: "h1", cpuCount: 2, loadAverage: [1, 0.5, 0.25]),
            metrics: .init(cpuUsagePercent: 5.5, memory: .init(totalBytes: 100, usedBytes: 40, usage: 40)),
            tags: ["a"], timestamp: Date(timeIntervalSince1970: 1_796_396_400.5), sequenceId: "7")
        let text = String(decoding: try WireJSON.encoder(sorted: true).encode(report), as: UTF8.self)
        let golden = #"{"agent":{"hostname":"h1","id":"agent-1","intervalSeconds":30,"type":"unified","version":"0.1.0"},"#
            + #""host":{"cpuCount":2,"displayName":"h1","hostname":"h1","id":"m1","loadAverage":[1,0.5,0.25]},"#
            + #""metrics":{"cpuUsagePercent":5.5,"memory":{"totalBytes":100,"usage":40,"usedBytes":40}},"#
            + #""sequenceId":"7","tags":["a"],"timestamp":"2026-12-04T15:00:00.5Z"}"#
        #expect(text == golden)
    }

    @Test func toleratesAMinimalReport() throws {
        let report = try WireJSON.decoder().decode(HostReport.self, from: Data(#"{"host":{"hostname":"x"}}"#.utf8))
        #expect(report.host?.hostname == "x")
        #expect(report.agent == nil && report.metrics == nil && report.timestamp == nil)
    }

    @Test(arguments: [
        #"{"host":{"cpuCount":"eight"}}"#,
        #"{"diskIO":[{"readBytes":-1}]}"#,
        #"{"timestamp":"yesterday"}"#,
        #"{"host":[]}"#,
        #"{"host":{"hostname":"x"}"#,
    ])
    func rejectsWrongTypesAndMalformedJSON(_ body: String) {
        #expect(throws: (any Error).self) { try WireJSON.decoder().decode(HostReport.self, from: Data(body.utf8)) }
    }
}
