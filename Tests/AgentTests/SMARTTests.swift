import Foundation
import PulseCommon
import Testing
@testable import PulseAgent

/// `smartctl --json` interpretation (real outputs in `Fixtures/smartctl`), disk discovery and the collector.
struct SMARTTests {
    static let fixtures = TestSupport.fixtures + "/smartctl"

    static func result(_ file: String, status: Int32) throws -> CommandResult {
        let data = try #require(FileManager.default.contents(atPath: fixtures + "/" + file))
        return CommandResult(termination: .exited(status), stdout: Array(data))
    }

    static func disk(_ file: String, status: Int32 = 0, device: String = "sda") throws -> HostReport.SMARTDisk {
        guard case .disk(let disk) = SMARTParser.interpret(device: device, result: try result(file, status: status)) else {
            Issue.record("\(file) gave no disk")
            return HostReport.SMARTDisk()
        }
        return disk
    }

    // MARK: Parsing real outputs

    @Test func sataSSD() throws {
        let disk = try Self.disk("sda.json", status: 64)
        #expect(disk == HostReport.SMARTDisk(
            device: "sda", model: "P3-2TB", serial: "9C40918040082", wwn: nil, type: "sata", temperature: 31,
            health: "PASSED", standby: nil,
            attributes: .object(["powerOnHours": .number(7344), "powerCycles": .number(104),
                                 "reallocatedSectors": .number(0), "pendingSectors": .number(0),
                                 "offlineUncorrectable": .number(0), "udmaCrcErrors": .number(131)])))
    }

    @Test func nvme() throws {
        let disk = try Self.disk("nvme0.json", device: "nvme0n1")
        #expect(disk == HostReport.SMARTDisk(
            device: "nvme0n1", model: "PELADN 512GB", serial: "2024031600129", type: "nvme", temperature: 61,
            health: "PASSED",
            attributes: .object(["powerOnHours": .number(4399), "powerCycles": .number(430),
                                 "percentageUsed": .number(0), "availableSpare": .number(100),
                                 "mediaErrors": .number(0), "unsafeShutdowns": .number(44)])))
        let apple = try Self.disk("apple_nvme.json", status: 4, device: "disk0")
        #expect(apple.model == "APPLE SSD AP0256Q" && apple.temperature == 42 && apple.health == "PASSED")
        #expect(apple.type == "nvme")
    }

    @Test func sasDisk() throws {
        let disk = try Self.disk("scsi.json", device: "sde")
        #expect(disk == HostReport.SMARTDisk(
            device: "sde", model: "YADRO WUH721414AL4204", serial: "9YHSDH9B", wwn: "5-cca-29063dc00", type: "sas",
            temperature: 34, health: "PASSED",
            attributes: .object(["powerOnHours": .number(458), "powerCycles": .number(2),
                                 "reallocatedSectors": .number(0)])))
    }

    @Test func usbBridgeWithoutSmartStatusIsUnknown() throws {
        let disk = try Self.disk("usb-bridge.json", status: 4, device: "sdc")
        #expect(disk == HostReport.SMARTDisk(
            device: "sdc", model: "WDC WD40EFRX-68N32N0", serial: "WD-WCC7K4KLZ3Z8", wwn: "5-14ee-2dfdc1c35",
            type: "sata", temperature: 0, health: "UNKNOWN",
            attributes: .object(["powerOnHours": .number(31250), "powerCycles": .number(87)])))
    }

    @Test func standbyAndOpenFailures() throws {
        let standby = SMARTParser.interpret(device: "sdb", result: try Self.result("standby.json", status: 2))
        #expect(standby == .disk(HostReport.SMARTDisk(device: "sdb", temperature: 0, standby: true)))

        let nothing = SMARTParser.interpret(device: "sdb", result: CommandResult(termination: .exited(2)))
        #expect(nothing == .disk(HostReport.SMARTDisk(device: "sdb", temperature: 0, standby: true)),
                "exit bit 1 with no usable JSON is the reference's standby entry")

        let openFailed = SMARTParser.interpret(device: "sdd", result: try Self.result("open-failed.json", status: 2))
        #expect(openFailed == .skipped("exit status 2: Smartctl open device: /dev/sdd failed: No such device"))
    }

    @Test(arguments: [
        (CommandResult(termination: .timedOut), "smartctl timed out"),
        (CommandResult(termination: .signalled(9)), "smartctl was killed"),
        (CommandResult(termination: .exited(1), stdout: Array("{}".utf8)), "exit status 1: smartctl rejected its command line"),
        (CommandResult(termination: .exited(1), stdout: Array("""
         {"smartctl": {"messages": [{"string": "/dev/vda: Unable to detect device type", "severity": "error"}]}}
         """.utf8)), "exit status 1: /dev/vda: Unable to detect device type"),
        (CommandResult(termination: .exited(0)), "exit status 0: no JSON output"),
        (CommandResult(termination: .exited(4), stdout: Array("{\"smartctl\": {\"exit_status\": 4".utf8)),
         "exit status 4: no JSON output"),
        (CommandResult(termination: .exited(0), stdout: Array("{\"smartctl\":{},\"device\":{}}".utf8)),
         "exit status 0: no device information"),
    ])
    func unusableOutput(_ result: CommandResult, _ reason: String) {
        #expect(SMARTParser.interpret(device: "sda", result: result) == .skipped(reason))
    }

    @Test func oddValuesReadAsAbsent() {
        let json = """
        {"model_name": "  ", "serial_number": 42, "smart_status": {"passed": false},
         "temperature": {"current": "hot"}, "nvme_smart_health_information_log": {"temperature": 45.5},
         "wwn": {"naa": 5, "oui": -1, "id": 3}, "logical_unit_id": "0x6000cca29063dc00",
         "device": {"protocol": "SCSI"}, "ata_smart_attributes": {"table": [{"id": 5, "raw": {"value": "x"}}, {}]}}
        """
        let outcome = SMARTParser.interpret(device: "sdx", result: CommandResult(termination: .exited(8),
                                                                                 stdout: Array(json.utf8)))
        #expect(outcome == .disk(HostReport.SMARTDisk(device: "sdx", type: "sas", temperature: 0, health: "FAILED")))
    }

    @Test(arguments: [("NVMe", "nvme"), ("SCSI", "sas"), ("ATA", "sata"), (nil, "sata"), ("USB", "sata")]
          as [(String?, String)])
    func diskTypes(_ protocolName: String?, _ type: String) {
        #expect(SMARTParser.diskType(protocolName) == type)
    }

    // MARK: Disks

    @Test(arguments: [
        ("sda", true), ("sdaa", true), ("nvme0n1", true), ("nvme10n2", true), ("hdb", true), ("mmcblk0", true),
        ("sda1", false), ("nvme0n1p1", false), ("loop0", false), ("ram0", false), ("zram0", false), ("dm-3", false),
        ("md127", false), ("sr0", false), ("fd0", false), ("nbd3", false), ("rbd0", false), ("drbd1", false),
        ("zd16", false), ("vda", false), ("xvda", false), ("mmcblk0boot0", false), ("mmcblk0rpmb", false),
        ("", false), ("../sda", false),
    ])
    func smartCandidates(_ name: String, _ candidate: Bool) {
        #expect(BlockDevices.isSMARTCandidate(name) == candidate)
    }

    /// A sysfs tree with `block/<name>/size` for each disk.
    static func blockTree(_ disks: [String: String]) throws -> String {
        let directory = try TestSupport.temporaryDirectory()
        for (name, size) in disks { try TestSupport.write(size + "\n", to: directory + "/sys/block/\(name)/size") }
        return directory
    }

    @Test func diskDiscoveryHonoursExclusionsAndEmptyDevices() throws {
        let directory = try Self.blockTree(["sda": "3907029168", "sdb": "0", "sdc": "7814037168", "nvme0n1": "1000215216",
                                            "nvme10n1": "1000215216", "loop0": "8", "md0": "100", "sr0": "2097151",
                                            "sdd": "x"])
        defer { TestSupport.remove(directory) }
        let fs = HostFS(procfs: directory + "/proc", sysfs: directory + "/sys", rootfs: directory)
        #expect(BlockDevices.read(fs, exclusions: ExclusionPatterns([])) == ["nvme0n1", "nvme10n1", "sda", "sdc", "sdd"])
        #expect(BlockDevices.read(fs, exclusions: ExclusionPatterns(["/dev/sdc", "nvme1*"]))
                == ["nvme0n1", "sda", "sdd"])
        #expect(BlockDevices.read(SensorFixtureTests.tree("sensors-container"), exclusions: ExclusionPatterns([])) == nil)
    }

    // MARK: Collector

    @Test func collectorRunsSmartctlPerDisk() throws {
        let directory = try Self.blockTree(["sda": "1", "sdb": "1", "sdc": "1", "sdd": "1", "nvme0n1": "1",
                                            "sde": "1"])
        defer { TestSupport.remove(directory) }
        let answers: [String: (String, Int32)] = ["/dev/sda": ("sda.json", 64), "/dev/sdb": ("standby.json", 2),
                                                  "/dev/sdc": ("usb-bridge.json", 4), "/dev/sdd": ("open-failed.json", 2),
                                                  "/dev/nvme0n1": ("nvme0.json", 0)]
        let runner = FakeCommandRunner(["smartctl": { arguments in
            guard let (file, status) = answers[arguments.last ?? ""] else { return FakeCommandRunner.timedOut }
            return FakeCommandRunner.file(Self.fixtures + "/" + file, status: status)
        }])
        let logs = LogLines()
        var report = HostReport(sensors: HostReport.Sensors(temperatureCelsius: ["cpu_package": 40]))
        let context = CollectContext(fs: HostFS(procfs: directory, sysfs: directory + "/sys", rootfs: directory),
                                     system: TestSupport.system(), now: Date(), logger: TestSupport.logger(logs),
                                     commands: runner)
        try SMARTCollector(exclusions: ExclusionPatterns(["sdf"])).collect(context, into: &report)

        #expect(runner.invocations.first == ["smartctl", "-n", "standby", "-i", "-A", "-H", "--json=o", "/dev/nvme0n1"])
        #expect(runner.invocations.map { $0.last ?? "" } == ["/dev/nvme0n1", "/dev/sda", "/dev/sdb", "/dev/sdc",
                                                             "/dev/sdd", "/dev/sde"])
        #expect(runner.concurrencies == [4])
        let smart = try #require(report.sensors?.smart)
        #expect(smart.map(\.device) == ["nvme0n1", "sda", "sdb", "sdc"], "sdd could not be opened, sde timed out")
        #expect(smart[2] == HostReport.SMARTDisk(device: "sdb", temperature: 0, standby: true))
        #expect(smart[3].health == "UNKNOWN")
        #expect(report.sensors?.temperatureCelsius == ["cpu_package": 40], "other sensor fields are kept")
        #expect(logs.all.contains { $0.contains("\"device\":\"sde\"") && $0.contains("timed out") })
    }

    @Test(.enabled(if: SystemCommandRunner().locate("smartctl") != nil, "smartctl is not installed"))
    func realSmartctlOnAMissingDeviceIsNotStandby() throws {
        let directory = try Self.blockTree(["sdzz": "1"])
        defer { TestSupport.remove(directory) }
        let logs = LogLines()
        var report = HostReport()
        let context = CollectContext(fs: HostFS(procfs: directory, sysfs: directory + "/sys", rootfs: directory),
                                     system: TestSupport.system(), now: Date(), logger: TestSupport.logger(logs),
                                     commands: SystemCommandRunner())
        try SMARTCollector().collect(context, into: &report)
        #expect(report.sensors?.smart == nil, "an open failure is not a sleeping disk")
        #expect(logs.all.contains { $0.contains("\"device\":\"sdzz\"") && $0.contains("open device") })
    }

    @Test func withoutSmartctlOrDisksTheSectionIsOmitted() throws {
        let directory = try Self.blockTree(["sda": "1"])
        defer { TestSupport.remove(directory) }
        let logs = LogLines()
        var report = HostReport()
        let fs = HostFS(procfs: directory, sysfs: directory + "/sys", rootfs: directory)
        try SMARTCollector().collect(CollectContext(fs: fs, system: TestSupport.system(), now: Date(),
                                                    logger: TestSupport.logger(logs), commands: FakeCommandRunner()),
                                     into: &report)
        #expect(report.sensors == nil)
        #expect(logs.all.contains { $0.contains("smartctl not found") && $0.contains("\"level\":\"debug\"") })

        let runner = FakeCommandRunner(["smartctl": { _ in FakeCommandRunner.output("{}") }])
        try SMARTCollector(exclusions: ExclusionPatterns(["sd*"])).collect(
            CollectContext(fs: fs, system: TestSupport.system(), now: Date(), logger: TestSupport.logger(),
                           commands: runner), into: &report)
        #expect(report.sensors == nil && runner.invocations.isEmpty)
    }
}
