import Foundation
import PulseCommon
import Testing
@testable import PulseAgent

/// `/proc/mdstat` and `mdadm --detail` parsing, and the RAID collector with and without mdadm.
struct RAIDTests {
    static let fixtures = TestSupport.fixtures + "/mdstat"

    static func collect(_ fixture: String, mdadm: Bool) throws -> (raid: [HostReport.RAIDArray]?, runner: FakeCommandRunner) {
        let directory = fixtures + "/" + fixture
        var tools: [String: FakeCommandRunner.Handler] = [:]
        if mdadm {
            tools["mdadm"] = { arguments in
                let name = String((arguments.last ?? "").split(separator: "/").last ?? "")
                let path = directory + "/mdadm-detail-\(name).txt"
                guard FileManager.default.fileExists(atPath: path) else {
                    return FakeCommandRunner.output("", status: 1, stderr: "mdadm: cannot open \(arguments.last ?? "")")
                }
                return FakeCommandRunner.file(path)
            }
        }
        let runner = FakeCommandRunner(tools)
        var report = HostReport()
        let context = CollectContext(fs: HostFS(procfs: directory, sysfs: directory, rootfs: directory),
                                     system: TestSupport.system(), now: Date(), logger: TestSupport.logger(),
                                     commands: runner)
        try RAIDCollector().collect(context, into: &report)
        return (report.raid, runner)
    }

    // MARK: mdstat

    @Test func emptyAndArraylessFiles() throws {
        #expect(try MDStat.parse("").isEmpty)
        #expect(try MDStat.parse("Personalities : [raid1]\nunused devices: <none>\n").isEmpty)
    }

    @Test(arguments: [
        ("md0 active raid1 sda1[0]\n", "malformed array line"),
        ("md0 : degraded raid1 sda1[0]\n", "unknown array state"),
        ("md0 : active raid1 sda1\n", "malformed member"),
        ("md0 : active raid1 sda1[x]\n", "malformed member"),
        ("md0 : active raid1 [0]\n", "malformed member"),
        ("md0 : active raid1 sda1[0]\n      12a blocks [2/2] [UU]\n", "non-numeric block count"),
        ("md0 : active raid1 sda1[0]\n      12 blocks [2/x] [UU]\n", "malformed device counts"),
        ("md0 : active raid1 sda1[0]\n      12 blocks [2/2] [UU]\n      [=>..]  recovery = x% (1/2)\n",
         "malformed progress"),
        ("md0 : active raid1 sda1[0]\n      [=>..]  resync = 101.0% (1/2)\n", "malformed progress"),
        ("md0 : active raid1 sda1[0]\n      [=>..]  resync =\n", "malformed progress"),
        ("      12 blocks [2/2] [UU]\n", "detail line before any array"),
    ])
    func malformed(_ text: String, _ reason: String) {
        #expect(throws: ParseError.self) { try MDStat.parse(text) }
        do {
            _ = try MDStat.parse(text)
        } catch {
            #expect(error.reason == reason)
        }
    }

    @Test func truncatedAfterTheArrayLine() throws {
        let arrays = try MDStat.parse("md0 : active raid1 sdb1[1] sda1[0]\n")
        #expect(arrays == [MDStatArray(name: "md0", active: true, level: "raid1",
                                       members: [.init(device: "sdb1", number: 1), .init(device: "sda1", number: 0)])])
        let array = RAIDCollector.array(from: arrays[0])
        #expect(array.state == "clean" && array.activeDevices == 2, "no status line: every non-spare member counts")
    }

    @Test func fixtureShapes() throws {
        let clean = try MDStat.parse(String(contentsOfFile: Self.fixtures + "/raid1-clean/mdstat", encoding: .utf8))
        #expect(clean == [MDStatArray(name: "md0", active: true, level: "raid1",
                                      members: [.init(device: "sdb1", number: 1), .init(device: "sda1", number: 0)],
                                      blocks: 976_630_464, superblock: "1.2", raidDisks: 2, inSyncDisks: 2,
                                      slotStatus: "UU")])
        let recovering = try MDStat.parse(String(contentsOfFile: Self.fixtures + "/raid5-recovering/mdstat",
                                                 encoding: .utf8))
        #expect(recovering.first?.operation == MDStatArray.Operation(kind: "recovery", percent: 21.4,
                                                                     speed: "200823K/sec"))
        #expect(recovering.first?.members.last == .init(device: "sda", number: 0))
        #expect(recovering.first?.members.filter(\.faulty).map(\.device) == ["sdd"])
    }

    // MARK: mdadm --detail

    @Test func mdadmDetail() throws {
        let text = try String(contentsOfFile: Self.fixtures + "/raid5-recovering/mdadm-detail-md1.txt", encoding: .utf8)
        let detail = try MDADMDetail.parse(text)
        #expect(detail == MDADMDetail(
            name: "nas:1", level: "raid5", state: "clean, degraded, recovering", totalDevices: 5, activeDevices: 3,
            workingDevices: 4, failedDevices: 1, spareDevices: 1, uuid: "1f2e3d4c:5b6a7988:99aabbcc:ddeeff00",
            rebuildPercent: 21,
            devices: [.init(device: "/dev/sda", state: "active sync", slot: 0),
                      .init(device: "/dev/sdb", state: "active sync", slot: 1),
                      .init(device: "/dev/sdc", state: "active sync", slot: 2),
                      .init(device: "/dev/sde", state: "spare rebuilding", slot: -1),
                      .init(device: "/dev/sdd", state: "faulty", slot: -1)]))
        #expect(try MDADMDetail.parse("") == MDADMDetail())
        #expect(try MDADMDetail.parse("/dev/md0:\n        Raid Level : raid1\n").level == "raid1")
        #expect(throws: ParseError.self) { try MDADMDetail.parse("   Active Devices : three\n") }
        #expect(throws: ParseError.self) { try MDADMDetail.parse("   Rebuild Status : soon\n") }
        #expect(throws: ParseError.self) {
            try MDADMDetail.parse("    Number   Major   Minor   RaidDevice State\n   0  8  /dev/sda\n")
        }
    }

    // MARK: Collector

    @Test func cleanMirrorWithMdadm() throws {
        let (raid, runner) = try Self.collect("raid1-clean", mdadm: true)
        #expect(raid == [HostReport.RAIDArray(
            device: "/dev/md0", name: "nas:0", level: "raid1", state: "clean", totalDevices: 2, activeDevices: 2,
            workingDevices: 2, failedDevices: 0, spareDevices: 0, uuid: "7c2f1d3e:8a9b0c1d:2e3f4a5b:6c7d8e9f",
            devices: [.init(device: "/dev/sda1", state: "active sync", slot: 0),
                      .init(device: "/dev/sdb1", state: "active sync", slot: 1)],
            rebuildPercent: 0, rebuildSpeed: nil)])
        #expect(runner.invocations == [["mdadm", "--detail", "/dev/md0"]])
    }

    @Test func degradedRAID5WithAndWithoutMdadm() throws {
        let withMdadm = try #require(try Self.collect("raid5-degraded", mdadm: true).raid?.first)
        #expect(withMdadm.state == "clean, degraded" && withMdadm.name == "nas:1")
        #expect(withMdadm.activeDevices == 3 && withMdadm.workingDevices == 3 && withMdadm.failedDevices == 1)
        #expect(withMdadm.devices?.map(\.device) == ["/dev/sda", "/dev/sdb", "/dev/sdc", "/dev/sdd"],
                "the `removed` row has no device")

        let mdstatOnly = try #require(try Self.collect("raid5-degraded", mdadm: false).raid?.first)
        #expect(mdstatOnly == HostReport.RAIDArray(
            device: "/dev/md1", level: "raid5", state: "clean, degraded", totalDevices: 4, activeDevices: 3,
            workingDevices: 3, failedDevices: 1, spareDevices: 0,
            devices: [.init(device: "/dev/sda", state: "active sync", slot: 0),
                      .init(device: "/dev/sdb", state: "active sync", slot: 1),
                      .init(device: "/dev/sdc", state: "active sync", slot: 2),
                      .init(device: "/dev/sdd", state: "faulty", slot: -1)],
            rebuildPercent: 0))
    }

    @Test func recoveringKeepsTheSpeedFromMdstat() throws {
        let array = try #require(try Self.collect("raid5-recovering", mdadm: true).raid?.first)
        #expect(array.state == "clean, degraded, recovering")
        #expect(array.rebuildPercent == 21, "mdadm's figure wins")
        #expect(array.rebuildSpeed == "200823K/sec")
        let mdstatOnly = try #require(try Self.collect("raid5-recovering", mdadm: false).raid?.first)
        #expect(mdstatOnly.state == "clean, degraded, recovering" && mdstatOnly.rebuildPercent == 21.4)
        #expect(mdstatOnly.spareDevices == 0 && mdstatOnly.totalDevices == 5 && mdstatOnly.workingDevices == 4)
    }

    @Test func resyncWhenMdadmFails() throws {
        let (raid, runner) = try Self.collect("raid1-resync", mdadm: true)
        #expect(runner.invocations.count == 1, "mdadm was asked and failed: the mdstat view stays")
        #expect(raid == [HostReport.RAIDArray(
            device: "/dev/md2", level: "raid1", state: "clean, resyncing", totalDevices: 2, activeDevices: 2,
            workingDevices: 2, failedDevices: 0, spareDevices: 0,
            devices: [.init(device: "/dev/nvme0n1p2", state: "active sync", slot: 0),
                      .init(device: "/dev/nvme1n1p2", state: "active sync", slot: 1)],
            rebuildPercent: 37.2, rebuildSpeed: "206208K/sec")])
    }

    @Test func noMdstatNoSection() throws {
        let logs = LogLines()
        var report = HostReport()
        let context = CollectContext(fs: SensorFixtureTests.tree("sensors-vm"), system: TestSupport.system(),
                                     now: Date(), logger: TestSupport.logger(logs), commands: FakeCommandRunner())
        try RAIDCollector().collect(context, into: &report)
        #expect(report.raid == nil)
        #expect(logs.all.contains { $0.contains("no /proc/mdstat") })

        let directory = try TestSupport.temporaryDirectory()
        defer { TestSupport.remove(directory) }
        try TestSupport.write("Personalities : \nunused devices: <none>\n", to: directory + "/mdstat")
        try RAIDCollector().collect(TestSupport.context(fs: HostFS(procfs: directory, sysfs: directory,
                                                                   rootfs: directory)), into: &report)
        #expect(report.raid == nil)
    }
}
