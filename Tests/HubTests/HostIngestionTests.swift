import Foundation
import PulseCommon
import Testing
@testable import PulseHub

@Suite struct HostIdentityTests {
    @Test(arguments: [("  web-01.example.com ", "web-01.example.com"), ("a b/c", "a-b-c"), ("", nil), ("   ", nil),
                      ("//", nil), ("9f86d081-884c-7d65", "9f86d081-884c-7d65")])
    func sanitize(_ raw: String, _ expected: String?) {
        #expect(HostIdentity.sanitize(raw) == expected)
    }

    @Test func candidateOrder() {
        var report = HostReport(agent: .init(id: "agent"), host: .init(id: "host-id", hostname: "h", machineId: "machine"))
        #expect(HostIdentity.candidate(for: report, hostname: "h") == "host-id")
        report.host?.id = nil
        #expect(HostIdentity.candidate(for: report, hostname: "h") == "machine")
        report.host?.machineId = " "
        #expect(HostIdentity.candidate(for: report, hostname: "h") == "agent")
        report.agent = nil
        #expect(HostIdentity.candidate(for: report, hostname: "h") == "h")
        #expect(HostIdentity.candidate(for: HostReport(), hostname: "//").hasPrefix("host-"))
    }

    @Test func disambiguatedShape() {
        let id = HostIdentity.disambiguated(base: String(repeating: "a", count: 60), tokenID: "t", hostname: "h")
        #expect(id.count == 49)
        #expect(id.hasPrefix(String(repeating: "a", count: 40) + "-"))
        #expect(id == HostIdentity.disambiguated(base: String(repeating: "a", count: 60), tokenID: "t", hostname: "h"))
    }

    @Test(arguments: [(nil, 360.0), (30, 180.0), (5, 60.0), (200, 600.0), (0, 360.0)])
    func offlineWindow(_ interval: Int?, _ window: Double) {
        #expect(HostIdentity.offlineWindow(intervalSeconds: interval) == window)
    }
}

@Suite struct HostRegistryTests {
    func decode(_ json: String) throws -> HostReport {
        try WireJSON.decoder().decode(HostReport.self, from: Data(json.utf8))
    }

    @Test func bindingIsStableAndCollisionsGetASuffix() throws {
        let hub = try TestHub()
        let first = try hub.registry.ingest(decode(reportJSON(hostname: "a")), tokenID: "t1")
        #expect(first.host.id == "machine-1" && first.created)
        let again = try hub.registry.ingest(decode(reportJSON(hostname: "a", timestamp: "2026-12-04T15:01:00Z")), tokenID: "t1")
        #expect(again.host.id == "machine-1" && !again.created)
        let other = try hub.registry.ingest(decode(reportJSON(hostname: "b")), tokenID: "t2")
        #expect(other.host.id == HostIdentity.disambiguated(base: "machine-1", tokenID: "t2", hostname: "b"))
        let sameHostnameOtherToken = try hub.registry.ingest(decode(reportJSON(hostname: "a")), tokenID: "t3")
        #expect(sameHostnameOtherToken.host.id != "machine-1")
        #expect(hub.registry.all().count == 3)
    }

    @Test func missingHostnameIsRefused() throws {
        let hub = try TestHub()
        #expect(throws: HostIngestError.missingHostname) { try hub.registry.ingest(HostReport(), tokenID: "t") }
        #expect(throws: HostIngestError.missingHostname) {
            try hub.registry.ingest(HostReport(host: .init(hostname: "  ")), tokenID: "t")
        }
    }

    @Test func olderReportsNeverRollStateBack() throws {
        let hub = try TestHub()
        _ = try hub.registry.ingest(decode(reportJSON(hostname: "a", timestamp: "2026-12-04T15:00:00Z", cpu: 50)), tokenID: "t")
        let stale = try hub.registry.ingest(decode(reportJSON(hostname: "a", timestamp: "2026-12-04T14:59:00Z", cpu: 1)), tokenID: "t")
        #expect(!stale.applied)
        #expect(hub.registry.host(id: "machine-1")?.report.metrics?.cpuUsagePercent == 50)
    }

    @Test func sequenceIdsOrderReportsFromTheSameAgent() throws {
        let hub = try TestHub()
        _ = try hub.registry.ingest(decode(reportJSON(hostname: "a", timestamp: "2026-12-04T15:00:00Z", cpu: 50, sequence: "10")), tokenID: "t")
        // Clock went backwards but the sequence moved on: applied.
        let newer = try hub.registry.ingest(decode(reportJSON(hostname: "a", timestamp: "2026-12-04T14:00:00Z", cpu: 7, sequence: "11")), tokenID: "t")
        #expect(newer.applied)
        let replay = try hub.registry.ingest(decode(reportJSON(hostname: "a", timestamp: "2026-12-04T16:00:00Z", cpu: 9, sequence: "9")), tokenID: "t")
        #expect(!replay.applied)
        #expect(hub.registry.host(id: "machine-1")?.report.metrics?.cpuUsagePercent == 7)
    }

    @Test func normalizationDerivesAndFilters() throws {
        let now = Date(timeIntervalSince1970: 1_796_396_400)
        var report = try decode(reportJSON(hostname: "a", timestamp: "2030-01-01T00:00:00Z"))
        report.disks = [.init(mountpoint: "/", type: "ext4", totalBytes: 200, usedBytes: 50),
                        .init(mountpoint: "/run", type: "tmpfs", totalBytes: 10, usedBytes: 1)]
        let normalized = HostRegistry.normalized(report, hostname: "a", now: now)
        #expect(normalized.timestamp == now)
        #expect(normalized.metrics?.memory?.usage == 25)
        #expect(normalized.disks?.count == 1)
        #expect(normalized.disks?.first?.usage == 25)
        var zero = report
        zero.timestamp = RFC3339.parse("0001-01-01T00:00:00Z")
        #expect(HostRegistry.normalized(zero, hostname: "a", now: now).timestamp == now)
    }

    @Test func survivesARestart() throws {
        let hub = try TestHub()
        _ = try hub.registry.ingest(decode(reportJSON(hostname: "a", cpu: 42)), tokenID: "t1")
        _ = try hub.registry.ingest(decode(reportJSON(hostname: "b")), tokenID: "t2")
        _ = try hub.registry.ingest(decode(reportJSON(hostname: "a", timestamp: "2026-12-04T15:02:00Z", cpu: 43)), tokenID: "t1")
        try hub.registry.flush()
        let reopened = try HostRegistry(store: ControlStore(dataDirectory: hub.directory), logger: hub.logger)
        #expect(reopened.all().map(\.id).sorted() == hub.registry.all().map(\.id).sorted())
        let restored = try #require(reopened.host(id: "machine-1"))
        #expect(restored.status(now: Date()) == "offline")
        #expect(restored.report.metrics?.cpuUsagePercent == 43)
        // The binding survives too: the second token's host keeps its suffixed id.
        let again = try reopened.ingest(decode(reportJSON(hostname: "b", timestamp: "2026-12-04T15:03:00Z")), tokenID: "t2")
        #expect(again.host.id == HostIdentity.disambiguated(base: "machine-1", tokenID: "t2", hostname: "b"))
        #expect(!again.created)
    }

    @Test func removingTheLastHostOfATokenRevokesIt() throws {
        let hub = try TestHub()
        let shared = try hub.tokens.create(name: "shared", scopes: [.hostAgentReport])
        let single = try hub.tokens.create(name: "single", scopes: [.hostAgentReport])
        let a = try hub.registry.ingest(decode(reportJSON(hostname: "a", id: "ha")), tokenID: shared.record.id)
        _ = try hub.registry.ingest(decode(reportJSON(hostname: "b", id: "hb")), tokenID: shared.record.id)
        let c = try hub.registry.ingest(decode(reportJSON(hostname: "c", id: "hc")), tokenID: single.record.id)
        #expect(try hub.registry.remove(id: a.host.id, revokeUnusedToken: true).revokedTokenID == nil)
        #expect(try hub.registry.remove(id: c.host.id, revokeUnusedToken: true).revokedTokenID == single.record.id)
        try hub.tokens.reloadIfChanged()
        #expect(hub.tokens.authenticate(single.raw) == nil)
        #expect(hub.tokens.authenticate(shared.raw) != nil)
    }
}
