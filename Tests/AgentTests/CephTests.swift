import Foundation
import PulseCommon
import Testing
@testable import PulseAgent

/// The `ceph` section from `ceph status` / `ceph df` JSON (Reef and Luminous layouts) and the collector's
/// handling of a missing or failing CLI.
struct CephTests {
    static let fixtures = TestSupport.fixtures + "/ceph"
    static let now = Date(timeIntervalSince1970: 1_716_887_561)

    static func document(_ file: String) throws -> JSONCursor {
        let data = try #require(FileManager.default.contents(atPath: fixtures + "/" + file))
        return try #require(JSONCursor.parse(Array(data)))
    }

    static func collect(status: Result<CommandResult, CommandError>?, df: Result<CommandResult, CommandError>? = nil,
                        logs: LogLines? = nil) throws -> (ceph: JSONValue?, runner: FakeCommandRunner) {
        var tools: [String: FakeCommandRunner.Handler] = [:]
        if let status {
            let df = df ?? FakeCommandRunner.output("", status: 1)
            tools["ceph"] = { arguments in arguments.first == "status" ? status : df }
        }
        let runner = FakeCommandRunner(tools)
        var report = HostReport()
        try CephCollector().collect(CollectContext(fs: TestSupport.hostFS, system: TestSupport.system(), now: now,
                                                   logger: TestSupport.logger(logs), commands: runner),
                                    into: &report)
        return (report.ceph, runner)
    }

    @Test func reefStatusAndDf() throws {
        let report = CephReport.build(status: try Self.document("status-reef.json"),
                                      df: try Self.document("df-reef.json"), collectedAt: Self.now)
        let expected: JSONValue = .object([
            "fsid": .string("5c0d7b2e-9a4f-11ee-8f3c-0242ac120002"),
            "health": .object([
                "status": .string("HEALTH_WARN"),
                "checks": .object([
                    "OSD_DOWN": .object(["severity": .string("HEALTH_WARN"), "message": .string("1 osds down")]),
                    "PG_DEGRADED": .object([
                        "severity": .string("HEALTH_WARN"),
                        "message": .string("Degraded data redundancy: 1245/37350 objects degraded (3.333%), 21 pgs degraded"),
                    ]),
                ]),
            ]),
            "monMap": .object([
                "epoch": .number(3), "numMons": .number(3),
                "monitors": .array([
                    .object(["name": .string("pve1"), "rank": .number(0), "status": .string("quorum")]),
                    .object(["name": .string("pve2"), "rank": .number(1), "status": .string("quorum")]),
                    .object(["name": .string("pve3"), "rank": .number(2), "status": .string("quorum")]),
                ]),
            ]),
            "mgrMap": .object(["available": .bool(true), "numMgrs": .number(3), "standbys": .number(2)]),
            "osdMap": .object(["epoch": .number(1532), "numOsds": .number(6), "numUp": .number(5), "numIn": .number(6),
                               "numDown": .number(1), "numOut": .number(0)]),
            "pgMap": .object([
                "numPgs": .number(129), "bytesTotal": .number(6_001_319_731_200), "bytesUsed": .number(145_849_098_240),
                "bytesAvailable": .number(5_855_470_632_960), "dataBytes": .number(48_318_382_080),
                "usagePercent": .number(2.43), "degradedRatio": .number(0.033333333333333333),
                "readBytesPerSec": .number(1_258_291), "writeBytesPerSec": .number(4_404_019),
                "readOpsPerSec": .number(42), "writeOpsPerSec": .number(187),
            ]),
            "pools": .array([
                .object(["id": .number(1), "name": .string(".mgr"), "bytesUsed": .number(4_128_768),
                         "bytesAvailable": .number(1_873_614_389_248), "objects": .number(2),
                         "percentUsed": .number(0)]),
                .object(["id": .number(2), "name": .string("vm-disks"), "bytesUsed": .number(144_904_814_592),
                         "bytesAvailable": .number(1_873_614_389_248), "objects": .number(12398),
                         "percentUsed": .number(2.51)]),
            ]),
            "services": .array([
                .object(["type": .string("mon"), "running": .number(3), "total": .number(3)]),
                .object(["type": .string("mgr"), "running": .number(3), "total": .number(3)]),
                .object(["type": .string("osd"), "running": .number(5), "total": .number(6)]),
            ]),
            "collectedAt": .string("2024-05-28T09:12:41Z"),
        ])
        #expect(report == expected)
    }

    @Test func luminousLayout() throws {
        let report = CephReport.build(status: try Self.document("status-luminous.json"), df: nil, collectedAt: Self.now)
        let cursor = JSONCursor(report)
        #expect(cursor["monMap"]["numMons"].int == 3)
        #expect(cursor["monMap"]["monitors"][2]["name"].string == "c")
        #expect(cursor["monMap"]["monitors"][2]["status"].string == "out of quorum")
        #expect(cursor["monMap"]["monitors"][0]["addr"].string == "10.0.0.1:6789/0")
        #expect(cursor["mgrMap"]["activeMgr"].string == "a" && cursor["mgrMap"]["numMgrs"].int == 2)
        #expect(cursor["osdMap"]["numOsds"].int == 3 && cursor["osdMap"]["epoch"].int == 210)
        #expect(cursor["health"]["checks"]["MON_DOWN"]["detail"][0].string
                == "mon.c (rank 2) addr 10.0.0.3:6789/0 is down (out of quorum)")
        #expect(cursor["services"][0]["running"].int == 2 && cursor["services"][0]["total"].int == 3)
        #expect(!cursor["pools"].exists, "no ceph df")
        #expect(cursor["pgMap"]["usagePercent"].double == 3.23)
    }

    @Test func minimalAndPreLuminousHealth() throws {
        let status = try #require(JSONCursor.parse(Array("""
        {"health": {"overall_status": "HEALTH_ERR", "summary": [{"severity": "HEALTH_ERR", "summary": "2 pgs inconsistent"}]}}
        """.utf8)))
        let report = JSONCursor(CephReport.build(status: status, df: nil, collectedAt: Self.now))
        #expect(report["health"]["status"].string == "HEALTH_ERR")
        #expect(report["health"]["summary"][0]["message"].string == "2 pgs inconsistent")
        #expect(!report["fsid"].exists)
        #expect(report["pgMap"]["usagePercent"].double == 0 && report["osdMap"]["numOsds"].int == 0)
        #expect(report["mgrMap"]["available"].bool == false)
    }

    @Test func collectorRunsBothCommands() throws {
        let status = FakeCommandRunner.file(Self.fixtures + "/status-reef.json")
        let df = FakeCommandRunner.file(Self.fixtures + "/df-reef.json")
        let (ceph, runner) = try Self.collect(status: status, df: df)
        #expect(runner.invocations == [["ceph", "status", "--format", "json"], ["ceph", "df", "--format", "json"]])
        #expect(runner.concurrencies == [2])
        #expect(JSONCursor(ceph)["pools"].array.count == 2)
        #expect(JSONCursor(ceph)["collectedAt"].string == "2024-05-28T09:12:41Z")

        let withoutDf = try Self.collect(status: status, df: FakeCommandRunner.timedOut).ceph
        #expect(JSONCursor(withoutDf)["health"]["status"].string == "HEALTH_WARN")
        #expect(!JSONCursor(withoutDf)["pools"].exists)
    }

    @Test func missingOrFailingCLI() throws {
        let logs = LogLines()
        #expect(try Self.collect(status: nil, logs: logs).ceph == nil)
        #expect(logs.all.contains { $0.contains("ceph not found") && $0.contains("\"level\":\"debug\"") })

        #expect(throws: CephCollector.Failure.self) {
            try Self.collect(status: FakeCommandRunner.output("", status: 1, stderr: "[errno 2] RADOS object not found"))
        }
        #expect(throws: CephCollector.Failure.self) { try Self.collect(status: FakeCommandRunner.output("not json")) }
        #expect(throws: CommandError.self) {
            try Self.collect(status: .failure(CommandError(executable: "ceph", call: "posix_spawn", errno: EACCES)))
        }
    }
}
