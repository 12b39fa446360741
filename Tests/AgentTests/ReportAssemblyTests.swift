import Foundation
import PulseCommon
import Testing
@testable import PulseAgent

/// A whole report from the fixture tree, its JSON encoding and failure isolation between collectors.
struct ReportAssemblyTests {
    static let gib: UInt64 = 1 << 30
    static let now = Date(timeIntervalSince1970: 1_700_000_000.25)

    static let identity = AgentIdentity(agentID: "4c4c4544-004d-3510-804c-b8c04f533532", hostname: "fixture-host",
                                        machineID: "4c4c4544-004d-3510-804c-b8c04f533532")

    static func system() -> SystemProbes {
        let root = TestSupport.hostTree
        return TestSupport.system(
            stats: [root: FilesystemStats(totalBytes: 100 * gib, freeBytes: 40 * gib, availableBytes: 35 * gib),
                    root + "/boot": FilesystemStats(totalBytes: gib, freeBytes: gib / 2, availableBytes: gib / 2)],
            addresses: ["lo": ["127.0.0.1/8"], "eth0": ["192.168.1.5/24", "fe80::1/64"], "bond0": ["10.0.0.2/16"],
                        "dmz": ["172.16.0.1/12"]])
    }

    static func builder(collectors: [any HostCollector] = HostReportBuilder.standardCollectors(diskExclude: []),
                        tags: [String] = ["prod", "eu"], logs: LogLines? = nil) -> HostReportBuilder {
        HostReportBuilder(metadata: .init(identity: identity, version: "0.1.0", intervalSeconds: 30, tags: tags,
                                          reportIP: "192.168.1.5"),
                          collectors: collectors, fs: TestSupport.hostFS, system: system(),
                          logger: TestSupport.logger(logs), sequence: SequenceCounter())
    }

    @Test func reportFromFixtureTree() throws {
        let logs = LogLines()
        let report = Self.builder(logs: logs).build(now: Self.now)

        #expect(report.agent == HostReport.Agent(id: Self.identity.agentID, version: "0.1.0", type: "unified",
                                                 intervalSeconds: 30, hostname: "fixture-host"))
        #expect(report.host == HostReport.Host(
            id: "4c4c4544-004d-3510-804c-b8c04f533532", hostname: "fixture-host", displayName: "fixture-host",
            machineId: "4c4c4544-004d-3510-804c-b8c04f533532", platform: "ubuntu", osName: "Ubuntu",
            osVersion: "20.04", kernelVersion: "5.4.0-74-generic", architecture: "x86_64",
            cpuModel: "Intel(R) Core(TM) i7-8650U CPU @ 1.90GHz", cpuCount: 8, uptimeSeconds: 1_603_245,
            loadAverage: [0.21, 0.37, 0.39], reportIp: "192.168.1.5"))

        // The fixture's /proc/stat never changes, so CPU usage cannot be computed: that section alone is missing.
        #expect(report.metrics?.cpuUsagePercent == nil)
        #expect(logs.all.contains { $0.contains("\"collector\":\"host.cpu\"") && $0.contains("\"level\":\"warn\"") })
        let memory = try #require(report.metrics?.memory)
        #expect(memory.totalBytes == 3_831_959_552 && memory.freeBytes == 230_883_328)
        #expect(memory.usedBytes == 2_579_431_424 && memory.swapTotalBytes == 4_294_963_200)
        #expect(memory.swapUsedBytes == 1_063_874_560)

        // statvfs answers only for / and /boot: the kubelet volumes are measured-and-failed, the rest filtered.
        #expect(report.disks?.map(\.mountpoint) == ["/", "/boot"])
        #expect(report.disks?.first?.usedBytes == Int64(60 * Self.gib))

        #expect(report.diskIO?.map(\.device) == ["fd0", "mmcblk0", "nvme0n1", "sda", "sdb", "sdc", "sr0", "vda"])
        #expect(report.diskIO?[3] == HostReport.DiskIO(device: "sda", readBytes: 513_713_216_512,
                                                       writeBytes: 258_916_880_384, readOps: 25_354_637,
                                                       writeOps: 28_444_756, readTimeMs: 18_492_372,
                                                       writeTimeMs: 63_877_960, ioTimeMs: 9_653_880))

        // lo is skipped, int has no address; speed -1 (bond0) is omitted.
        #expect(report.network == [
            HostReport.NetworkInterface(name: "bond0", mac: "01:01:01:01:01:01", addresses: ["10.0.0.2/16"],
                                        rxBytes: 1_228_392_031, txBytes: 90_213_887, speedMbps: nil),
            HostReport.NetworkInterface(name: "dmz", mac: "01:01:01:01:01:01", addresses: ["172.16.0.1/12"],
                                        rxBytes: 57_304_871, txBytes: 11_738_912, speedMbps: 1000),
            HostReport.NetworkInterface(name: "eth0", mac: "01:01:01:01:01:01",
                                        addresses: ["192.168.1.5/24", "fe80::1/64"], rxBytes: 2_834_917_561,
                                        txBytes: 487_327_311, speedMbps: 1000),
        ])
        // The fixture tree has a /sys without hwmon on what looks like real hardware.
        #expect(report.sensors == HostReport.Sensors(temperatureUnavailableReason: "no-hwmon"))
        #expect(report.tags == ["prod", "eu"])
        #expect(report.timestamp == Self.now)
        #expect(report.sequenceId == "1700000000250")
    }

    @Test func withoutAddressesEveryInterfaceButLoopbackIsKept() throws {
        var context = TestSupport.context()
        context.system.interfaceAddresses = nil
        var report = HostReport()
        try NetworkCollector().collect(context, into: &report)
        #expect(report.network?.map(\.name) == ["bond0", "dmz", "eth0", "int"])
        #expect(report.network?.allSatisfy { $0.addresses == nil } == true)
    }

    @Test func jsonRoundTripWithTheWireKeys() throws {
        let report = Self.builder().build(now: Self.now)
        let data = try WireJSON.encoder().encode(report)
        #expect(try WireJSON.decoder().decode(HostReport.self, from: data) == report)

        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(Set(object.keys) == ["agent", "host", "metrics", "disks", "diskIO", "network", "sensors", "tags",
                                     "timestamp", "sequenceId"])
        #expect(object["timestamp"] as? String == "2023-11-14T22:13:20.25Z")
        #expect(object["sequenceId"] as? String == "1700000000250")
        let agent = try #require(object["agent"] as? [String: Any])
        #expect(Set(agent.keys) == ["id", "version", "type", "intervalSeconds", "hostname"])
        let host = try #require(object["host"] as? [String: Any])
        #expect(Set(host.keys) == ["id", "hostname", "displayName", "machineId", "platform", "osName", "osVersion",
                                   "kernelVersion", "architecture", "cpuModel", "cpuCount", "uptimeSeconds",
                                   "loadAverage", "reportIp"])
        let metrics = try #require(object["metrics"] as? [String: Any])
        let memory = try #require(metrics["memory"] as? [String: Any])
        #expect(Set(memory.keys) == ["totalBytes", "usedBytes", "freeBytes", "usage", "swapTotalBytes",
                                     "swapUsedBytes"])
        let diskIO = try #require((object["diskIO"] as? [[String: Any]])?.first)
        #expect(Set(diskIO.keys) == ["device", "readBytes", "writeBytes", "readOps", "writeOps", "readTimeMs",
                                     "writeTimeMs", "ioTimeMs"])
        let disk = try #require((object["disks"] as? [[String: Any]])?.first)
        #expect(Set(disk.keys) == ["device", "mountpoint", "filesystem", "type", "totalBytes", "usedBytes",
                                   "freeBytes", "usage"])
        let network = try #require((object["network"] as? [[String: Any]])?.last)
        #expect(Set(network.keys) == ["name", "mac", "addresses", "rxBytes", "txBytes", "speedMbps"])
    }

    struct Failing: HostCollector {
        let name = "test.failing"
        func collect(_ context: CollectContext, into report: inout HostReport) throws {
            report.host?.hostname = "corrupted"
            report.tags = ["half-written"]
            throw ParseError("/test", "boom")
        }
    }

    @Test func aFailingCollectorLosesOnlyItsOwnSection() {
        let logs = LogLines()
        let builder = Self.builder(collectors: [Failing(), MemoryCollector()], tags: [], logs: logs)
        let report = builder.build(now: Self.now)
        #expect(report.host?.hostname == "fixture-host", "the failed collector's writes are discarded")
        #expect(report.tags == nil)
        #expect(report.metrics?.memory?.totalBytes == 3_831_959_552)
        #expect(logs.all.filter { $0.contains("\"level\":\"warn\"") && $0.contains("test.failing") }.count == 1)

        _ = builder.build(now: Self.now)
        #expect(logs.all.filter { $0.contains("\"level\":\"warn\"") && $0.contains("test.failing") }.count == 1,
                "a repeated identical failure is logged at debug")
        #expect(logs.all.filter { $0.contains("\"level\":\"debug\"") && $0.contains("test.failing") }.count == 1)
    }

    @Test func missingFilesOmitSectionsButKeepIdentity() throws {
        let directory = try TestSupport.temporaryDirectory()
        defer { TestSupport.remove(directory) }
        let builder = HostReportBuilder(
            metadata: .init(identity: Self.identity, version: "0.1.0", intervalSeconds: 30, tags: [], reportIP: nil),
            collectors: HostReportBuilder.standardCollectors(diskExclude: []),
            fs: HostFS(procfs: directory, sysfs: directory, rootfs: directory),
            system: TestSupport.system(uname: nil), logger: TestSupport.logger())
        let report = builder.build(now: Self.now)
        #expect(report.host?.hostname == "fixture-host")
        #expect(report.metrics == HostReport.Metrics())
        #expect(report.disks == nil && report.diskIO == nil && report.network == nil)
    }

    @Test func cpuUsageFromTwoSamples() throws {
        let directory = try TestSupport.temporaryDirectory()
        defer { TestSupport.remove(directory) }
        let statPath = directory + "/stat"
        try TestSupport.write("cpu  100 0 100 800 0 0 0 0 0 0\ncpu0 100 0 100 800 0 0 0 0 0 0\n", to: statPath)
        var context = TestSupport.context(fs: HostFS(procfs: directory, sysfs: directory, rootfs: directory))
        let slept = LogLines()
        // The first report has no previous sample: it sleeps briefly and samples again.
        context.system.sleep = { duration in
            slept.append("\(duration)")
            try? TestSupport.write("cpu  150 0 150 900 0 0 0 0 0 0\n", to: statPath)
        }
        let collector = CPUUsageCollector()
        var report = HostReport()
        try collector.collect(context, into: &report)
        #expect(slept.all.count == 1)
        #expect(report.metrics?.cpuUsagePercent == 50)

        // Later reports compare with the previous report's sample and never sleep.
        try TestSupport.write("cpu  150 0 150 1200 0 0 0 0 0 0\n", to: statPath)
        try collector.collect(context, into: &report)
        #expect(slept.all.count == 1)
        #expect(report.metrics?.cpuUsagePercent == 0)
    }
}
