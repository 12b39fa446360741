import Foundation
import PulseCommon
import Testing
@testable import PulseAgent

/// The sensor and power collectors on whole sysfs trees (`Fixtures/sensors-*`), key by key.
struct SensorFixtureTests {
    static let now = Date(timeIntervalSince1970: 1_700_000_000)

    static func tree(_ name: String) -> HostFS {
        let root = TestSupport.fixtures + "/" + name
        return HostFS(procfs: root + "/proc", sysfs: root + "/sys", rootfs: root)
    }

    static func sensors(_ fs: HostFS, logs: LogLines? = nil) throws -> HostReport.Sensors? {
        var report = HostReport()
        let context = CollectContext(fs: fs, system: TestSupport.system(), now: now, logger: TestSupport.logger(logs),
                                     commands: FakeCommandRunner())
        try SensorsCollector().collect(context, into: &report)
        return report.sensors
    }

    /// Power from two reports: `fixture`, then the same tree with `update` applied, `seconds` later.
    static func power(_ fixture: String, seconds: Double, update: (_ sysfs: String) throws -> Void)
        throws -> (first: [String: Double]?, second: [String: Double]?) {
        let tree = try FixtureTree(fixture)
        let fs = tree.fs
        let collector = PowerCollector()
        var first = HostReport()
        try collector.collect(CollectContext(fs: fs, system: TestSupport.system(), now: now,
                                             logger: TestSupport.logger(), commands: FakeCommandRunner()), into: &first)
        try update(tree.root + "/sys")
        var second = HostReport()
        try collector.collect(CollectContext(fs: fs, system: TestSupport.system(), now: now.addingTimeInterval(seconds),
                                             logger: TestSupport.logger(), commands: FakeCommandRunner()), into: &second)
        return (first.sensors?.powerWatts, second.sensors?.powerWatts)
    }

    @Test func intelHost() throws {
        let tree = try FixtureTree("sensors-intel")
        let sensors = try #require(try Self.sensors(tree.fs))
        #expect(sensors.temperatureCelsius == [
            "cpu_package": 52, "cpu_core_0": 48, "cpu_core_1": 50, "cpu_core_2": 49, "cpu_core_3": 51,
            "nvme0": 36.85, "nvme1": 41.85,
        ])
        #expect(sensors.additional == ["nvme1_sensor_1": 41.85, "nvme1_sensor_2": 45.85, "acpitz_temp1": 27.8,
                                       "iwlwifi_1_temp1": 39, "pch_cannonlake_temp1": 54])
        #expect(sensors.fanRpm == ["dell_smm_processor_fan": 2450])
        #expect(sensors.temperatureUnavailableReason == nil)
        #expect(sensors.powerWatts == nil && sensors.smart == nil)
    }

    @Test func intelRAPLAcrossACounterWrap() throws {
        let watts = try Self.power("sensors-intel", seconds: 10) { sysfs in
            try "150000000\n".write(toFile: sysfs + "/class/powercap/intel-rapl:0/energy_uj", atomically: true,
                                    encoding: .utf8)
            try "180000000\n".write(toFile: sysfs + "/class/powercap/intel-rapl:0:0/energy_uj", atomically: true,
                                    encoding: .utf8)
            try "25000000\n".write(toFile: sysfs + "/class/powercap/intel-rapl:0:2/energy_uj", atomically: true,
                                   encoding: .utf8)
        }
        #expect(watts.first == nil, "the first report only takes the baseline")
        // package-0: 328 850 µJ up to max_energy_range_uj, then 150 J after the wrap, in 10 s.
        #expect(watts.second == ["cpu_package": 15.03, "cpu_core": 8, "dram": 2])
    }

    @Test func amdHost() throws {
        let tree = try FixtureTree("sensors-amd")
        let sensors = try #require(try Self.sensors(tree.fs))
        #expect(sensors.temperatureCelsius == ["cpu_package": 55.25, "amdgpu_edge": 45, "amdgpu_junction": 47,
                                               "amdgpu_mem": 52])
        #expect(sensors.additional == ["k10temp_tctl": 65.25, "k10temp_tccd1": 58.5, "k10temp_tccd2": 60.25,
                                       "nct6687_cpu": 56, "nct6687_system": 35])
        #expect(sensors.fanRpm == ["amdgpu_fan1": 1200, "nct6687_cpu_fan": 1100, "nct6687_pump_fan": 2400])
        #expect(sensors.temperatureUnavailableReason == nil)
    }

    @Test func amdEnergyWithoutRAPL() throws {
        let watts = try Self.power("sensors-amd", seconds: 10) { sysfs in
            let chip = sysfs + "/class/hwmon/hwmon3/"
            try "1050000000".write(toFile: chip + "energy1_input", atomically: true, encoding: .utf8)
            try "2030000000".write(toFile: chip + "energy2_input", atomically: true, encoding: .utf8)
            try "9650000000".write(toFile: chip + "energy17_input", atomically: true, encoding: .utf8)
        }
        #expect(watts.first == nil)
        #expect(watts.second == ["cpu_core": 8, "cpu_package": 65])
    }

    @Test func raspberryPiThermalZoneOnly() throws {
        let sensors = try #require(try Self.sensors(Self.tree("sensors-rpi")))
        #expect(sensors == HostReport.Sensors(temperatureCelsius: ["cpu_package": 48.312]))
    }

    @Test func virtualMachineWithoutHwmon() throws {
        let logs = LogLines()
        let sensors = try #require(try Self.sensors(Self.tree("sensors-vm"), logs: logs))
        #expect(sensors == HostReport.Sensors(temperatureUnavailableReason: "vm-no-hwmon"))
        #expect(logs.all.contains { $0.contains("\"level\":\"debug\"") && $0.contains("vm-no-hwmon") })
    }

    @Test func containerWithoutSys() throws {
        let sensors = try #require(try Self.sensors(Self.tree("sensors-container")))
        #expect(sensors == HostReport.Sensors(temperatureUnavailableReason: "no-sysfs"))
        var report = HostReport()
        try PowerCollector().collect(TestSupport.context(fs: Self.tree("sensors-container")), into: &report)
        #expect(report.sensors == nil)
    }

    @Test func bareMetalWithoutDriversAndUnknownChips() throws {
        let directory = try TestSupport.temporaryDirectory()
        defer { TestSupport.remove(directory) }
        let fs = HostFS(procfs: directory + "/proc", sysfs: directory + "/sys", rootfs: directory)
        try TestSupport.write("Dell Inc.\n", to: directory + "/sys/class/dmi/id/sys_vendor")
        try TestSupport.write("flags\t\t: fpu vme sse2\n", to: directory + "/proc/cpuinfo")
        #expect(try Self.sensors(fs)?.temperatureUnavailableReason == "no-hwmon")

        try TestSupport.write("BAT0\n", to: directory + "/sys/class/hwmon/hwmon0/name")
        try TestSupport.write("12600000\n", to: directory + "/sys/class/hwmon/hwmon0/in0_input")
        try TestSupport.write("nct6775\n", to: directory + "/sys/class/hwmon/hwmon1/name")
        try TestSupport.write("-128000\n", to: directory + "/sys/class/hwmon/hwmon1/temp1_input")
        let sensors = try Self.sensors(fs)
        #expect(sensors?.temperatureUnavailableReason == "no-known-chip")
        #expect(sensors?.temperatureCelsius == nil && sensors?.additional == nil)
    }

    @Test func theMachineRunningTheTests() throws {
        // This CI machine is a VM without hwmon; elsewhere there may be real sensors. Never a crash either way.
        let sensors = try #require(try Self.sensors(HostFS()))
        if sensors.temperatureCelsius == nil && sensors.additional == nil {
            #expect(["vm-no-hwmon", "no-hwmon", "no-known-chip"].contains(sensors.temperatureUnavailableReason ?? ""))
        } else {
            #expect(sensors.temperatureUnavailableReason == nil)
        }
        var report = HostReport()
        try PowerCollector().collect(TestSupport.context(fs: HostFS()), into: &report)
    }

    @Test func hwmonReaderFollowsLinksAndDeviceDirectories() throws {
        let hardware = try FixtureTree("node_exporter_hardware")
        let scan = HwmonReader.scan(hardware.fs)
        #expect(scan.present)
        #expect(scan.chips.map(\.directory) == (0...10).map { "hwmon\($0)" }, "natural order")
        let applesmc = try #require(scan.chips.first { $0.directory == "hwmon2" })
        #expect(applesmc.name == "applesmc", "name and fans live in device/ for this driver")
        #expect(applesmc.device == "applesmc.768")
        #expect(applesmc.attributes["fan2_label"] == "Right side")
        let unnamed = try #require(scan.chips.first { $0.directory == "hwmon4" })
        #expect(unnamed.name == "hwmon4" && unnamed.device == nil)
        let intelTree = try FixtureTree("sensors-intel")
        let intel = HwmonReader.scan(intelTree.fs).chips
        #expect(intel.filter { $0.name == "nvme" }.map(\.device) == ["nvme1", "nvme0"])
        #expect(HwmonReader.scan(Self.tree("sensors-vm")) == HwmonScan(present: false, chips: []))
    }

    @Test func thermalZoneReaderUsesTheFixture() {
        #expect(ThermalZones.read(Self.tree("sensors-rpi")) == [
            ThermalZone(zone: "thermal_zone0", type: "cpu-thermal", temp: "48312"),
        ])
        #expect(ThermalZones.read(Self.tree("sensors-container")).isEmpty)
    }
}
