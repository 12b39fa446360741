import Foundation
import PulseCommon
import Testing
@testable import PulseAgent

/// The pure parts of the sensor collectors: value parsing, key naming, chip classification, thermal zones,
/// the VM probe and energy deltas.
struct SensorParserTests {
    static func chip(_ directory: String, _ name: String, device: String? = nil,
                     _ attributes: [String: String]) -> HwmonChip {
        HwmonChip(directory: directory, name: name, device: device, attributes: attributes)
    }

    // MARK: Values and names

    @Test(arguments: [
        ("45000", 45.0), ("-5500", -5.5), ("0", 0.0), (" 41850\n", 41.85), ("", nil), ("N/A", nil), ("45.5", nil),
        ("4500O", nil), ("99999999999999999999", nil),
    ] as [(String, Double?)])
    func millidegrees(_ text: String, _ celsius: Double?) {
        #expect(HwmonChip.celsius(fromMillidegrees: text) == celsius)
    }

    @Test(arguments: [("1200", 1200.0), ("0", 0.0), ("-1", nil), ("", nil), ("fast", nil)] as [(String, Double?)])
    func fanSpeeds(_ text: String, _ rpm: Double?) {
        #expect(HwmonChip.rpm(text) == rpm)
    }

    @Test(arguments: [
        ("CPU Fan", "cpu_fan"), ("System Fan #1", "system_fan_#1"), ("Tccd1", "tccd1"), ("Package id 0", "package_id_0"),
        (" cpu-thermal ", "cpu_thermal"), ("", ""),
    ])
    func keyNormalisation(_ label: String, _ key: String) {
        #expect(SensorKey.normalise(label) == key)
    }

    @Test func naturalOrder() {
        let sorted = ["hwmon10", "hwmon2", "hwmon1", "nvme10", "nvme9", "md127", "md0", "md00", "sda", "hwmon"]
            .sorted(by: NaturalOrder.less)
        #expect(sorted == ["hwmon", "hwmon1", "hwmon2", "hwmon10", "md0", "md00", "md127", "nvme9", "nvme10", "sda"])
        #expect(!NaturalOrder.less("a", "a"))
    }

    @Test func channelsNeedNumberedInputs() {
        let chip = Self.chip("hwmon0", "x", ["temp2_input": "1", "temp10_input": "2", "temp_input": "3",
                                             "tempX_input": "4", "temp1_label": "orphan label", "temp2_label": ""])
        #expect(chip.channels("temp").map(\.sensor) == ["temp2", "temp10"])
        #expect(chip.channels("temp").first?.label == nil, "an empty label is no label")
        #expect(HwmonChip.isRelevant("temp1_input") && HwmonChip.isRelevant("fan3_label"))
        #expect(HwmonChip.isRelevant("name") && HwmonChip.isRelevant("energy17_input"))
        #expect(!HwmonChip.isRelevant("temp1_crit") && !HwmonChip.isRelevant("in0_input")
                && !HwmonChip.isRelevant("temp_input"))
    }

    // MARK: Classification

    @Test func amdWithoutTdieUsesTctlAndThenTheHottestCCD() {
        let tctl = HwmonClassifier.classify([Self.chip("hwmon0", "k10temp", [
            "temp1_label": "Tctl", "temp1_input": "61000", "temp3_label": "Tccd1", "temp3_input": "55000"])])
        #expect(tctl.temperatures == ["cpu_package": 61])
        #expect(tctl.additional == ["k10temp_tccd1": 55])

        let ccdOnly = HwmonClassifier.classify([Self.chip("hwmon0", "k10temp", [
            "temp3_label": "Tccd1", "temp3_input": "55000", "temp4_label": "Tccd2", "temp4_input": "57500"])])
        #expect(ccdOnly.temperatures == ["cpu_package": 57.5])
        #expect(ccdOnly.additional == ["k10temp_tccd1": 55, "k10temp_tccd2": 57.5])

        let unlabelled = HwmonClassifier.classify([Self.chip("hwmon0", "k10temp", ["temp1_input": "40125"])])
        #expect(unlabelled.temperatures == ["cpu_package": 40.125])
    }

    @Test func coresWithoutPackageGiveTheHottestCore() {
        let readings = HwmonClassifier.classify([Self.chip("hwmon0", "coretemp", [
            "temp2_label": "Core 0", "temp2_input": "40000", "temp3_label": "Core 1", "temp3_input": "44000"])])
        #expect(readings.temperatures == ["cpu_package": 44, "cpu_core_0": 40, "cpu_core_1": 44])
        #expect(readings.additional.isEmpty)
    }

    @Test func twoSocketsDoNotOverwriteEachOther() {
        let readings = HwmonClassifier.classify([
            Self.chip("hwmon3", "coretemp", device: "coretemp.1", [
                "temp1_label": "Package id 1", "temp1_input": "61000", "temp2_label": "Core 0", "temp2_input": "58000"]),
            Self.chip("hwmon2", "coretemp", device: "coretemp.0", [
                "temp1_label": "Package id 0", "temp1_input": "55000", "temp2_label": "Core 0", "temp2_input": "50000"]),
        ])
        #expect(readings.temperatures == ["cpu_package": 61, "cpu_package_0": 55, "cpu_package_1": 61,
                                          "cpu_core_0": 50, "cpu_socket1_core_0": 58])
    }

    @Test func fallbacksWithoutACPUDriver() {
        let superIO = HwmonClassifier.classify([
            Self.chip("hwmon1", "acpitz", ["temp1_input": "27800"]),
            Self.chip("hwmon2", "it8688", ["temp1_label": "SYSTIN", "temp1_input": "33000",
                                           "temp2_label": "CPU Temperature", "temp2_input": "47000"]),
        ])
        #expect(superIO.temperatures == ["cpu_package": 47])
        #expect(superIO.additional == ["it8688_systin": 33, "acpitz_temp1": 27.8])

        let acpiOnly = HwmonClassifier.classify([Self.chip("hwmon0", "acpitz", ["temp1_input": "27800"])])
        #expect(acpiOnly.temperatures == ["cpu_package": 27.8])
        #expect(acpiOnly.additional.isEmpty)

        let pi = HwmonClassifier.classify([Self.chip("hwmon0", "cpu_thermal", ["temp1_input": "51540"]),
                                           Self.chip("hwmon1", "rp1_adc", ["temp1_input": "49000"])])
        #expect(pi.temperatures == ["cpu_package": 51.54])
        #expect(pi.additional == ["rp1_adc_temp1": 49])
    }

    @Test func gpusNVMeAndDuplicateChipNames() {
        let readings = HwmonClassifier.classify([
            Self.chip("hwmon4", "amdgpu", device: "0000:0d:00.0", ["temp1_label": "edge", "temp1_input": "45000",
                                                                   "temp2_label": "junction", "temp2_input": "47000"]),
            Self.chip("hwmon5", "amdgpu", device: "0000:0e:00.0", ["temp1_label": "edge", "temp1_input": "40000"]),
            Self.chip("hwmon6", "nouveau", ["temp1_input": "38000", "fan1_input": "900"]),
            Self.chip("hwmon7", "nvme", device: "nvme10", ["temp1_label": "Composite", "temp1_input": "30000"]),
            Self.chip("hwmon8", "nvme", device: "nvme2", ["temp1_input": "35000", "temp2_label": "Sensor 1",
                                                          "temp2_input": "36000"]),
            Self.chip("hwmon9", "drivetemp", device: "1:0:0:0", ["temp1_input": "33000"]),
            Self.chip("hwmon10", "drivetemp", device: "0:0:0:0", ["temp1_input": "31000"]),
        ])
        #expect(readings.temperatures == ["amdgpu_edge": 45, "amdgpu_junction": 47, "amdgpu_1_edge": 40,
                                          "nouveau_temp1": 38, "nvme0": 35, "nvme1": 30])
        #expect(readings.additional == ["nvme0_sensor_1": 36, "drivetemp_temp1": 31, "drivetemp_1_temp1": 33])
        #expect(readings.fans == ["nouveau_fan1": 900])
    }

    @Test func implausibleAndBrokenReadingsAreDropped() {
        let readings = HwmonClassifier.classify([
            Self.chip("hwmon0", "coretemp", ["temp1_label": "Package id 0", "temp1_input": "255000",
                                             "temp2_label": "Core 0", "temp2_input": "garbage"]),
            Self.chip("hwmon1", "nct6775", ["temp1_label": "AUXTIN0", "temp1_input": "-128000",
                                            "temp2_label": "AUXTIN1", "temp2_input": "0",
                                            "temp3_label": "SYSTIN", "temp3_input": "150000",
                                            "fan1_input": "0", "fan2_input": "x", "fan3_input": "733"]),
        ])
        #expect(readings.temperatures.isEmpty, "255 °C is not a CPU temperature")
        #expect(readings.additional == ["nct6775_systin": 150])
        #expect(readings.fans == ["nct6775_fan3": 733])
        #expect(HwmonClassifier.classify([]) == SensorReadings())
    }

    // MARK: Thermal zones

    @Test func thermalZones() {
        let zones = ThermalZones.classify([
            ThermalZone(zone: "thermal_zone0", type: "acpitz", temp: "27800"),
            ThermalZone(zone: "thermal_zone1", type: "x86_pkg_temp", temp: "53000"),
            ThermalZone(zone: "thermal_zone2", type: "iwlwifi_1", temp: "41000"),
            ThermalZone(zone: "thermal_zone3", type: "iwlwifi_1", temp: "42000"),
            ThermalZone(zone: "thermal_zone4", type: nil, temp: "30000"),
            ThermalZone(zone: "thermal_zone5", type: "INT3400 Thermal", temp: "20000"),
            ThermalZone(zone: "thermal_zone6", type: "pch", temp: nil),
            ThermalZone(zone: "thermal_zone7", type: "B0D4", temp: "-273200"),
            ThermalZone(zone: "thermal_zone8", type: "sensor", temp: "x"),
        ])
        #expect(zones.temperatures == ["cpu_package": 53])
        #expect(zones.additional == ["acpitz": 27.8, "iwlwifi_1_2": 41, "iwlwifi_1_3": 42, "thermal_zone4": 30,
                                     "int3400_thermal": 20])

        let arm = ThermalZones.classify([ThermalZone(zone: "thermal_zone0", type: "cpu0-thermal", temp: "45000"),
                                         ThermalZone(zone: "thermal_zone1", type: "cpu1-thermal", temp: "47000"),
                                         ThermalZone(zone: "thermal_zone2", type: "soc-thermal", temp: "50000")])
        #expect(arm.temperatures == ["cpu_package": 47], "the hottest zone of the best kind")
        #expect(arm.additional == ["cpu0_thermal": 45, "soc_thermal": 50])
        #expect(ThermalZones.classify([]) == SensorReadings())
    }

    // MARK: Why no temperature

    @Test(arguments: [
        ("QEMU", "Standard PC (Q35 + ICH9, 2009)", "", nil, true),
        ("VMware, Inc.", "VMware Virtual Platform", "", nil, true),
        ("innotek GmbH", "VirtualBox", "", nil, true),
        ("Microsoft Corporation", "Virtual Machine", "", nil, true),
        ("Microsoft Corporation", "Surface Laptop 5", "", nil, false),
        ("Amazon EC2", "m5.large", "", nil, true),
        ("Google", "Google Compute Engine", "", nil, true),
        ("Xen", "HVM domU", "", nil, true),
        (nil, nil, "", "xen", true),
        (nil, nil, "flags\t\t: fpu vme hypervisor lahf_lm\n", nil, true),
        (nil, nil, "flags\t\t: fpu vme lahf_lm\nmodel name\t: hypervisor-ish CPU\n", nil, false),
        ("Dell Inc.", "PowerEdge R6515", "flags\t: fpu sse2\n", nil, false),
        (nil, nil, "", "", false),
    ] as [(String?, String?, String, String?, Bool)])
    func virtualMachineProbe(_ vendor: String?, _ product: String?, _ cpuinfo: String, _ xen: String?, _ virtual: Bool) {
        #expect(VirtualMachineProbe.isVirtual(sysVendor: vendor, productName: product, cpuinfo: cpuinfo,
                                              xenType: xen) == virtual)
    }

    @Test func unavailableReasons() {
        typealias Reason = TemperatureUnavailableReason
        #expect(Reason.decide(sysfsPresent: false, hwmonChips: 0, isVirtual: { true }) == .noSysfs)
        #expect(Reason.decide(sysfsPresent: true, hwmonChips: 0, isVirtual: { true }).rawValue == "vm-no-hwmon")
        #expect(Reason.decide(sysfsPresent: true, hwmonChips: 0, isVirtual: { false }).rawValue == "no-hwmon")
        #expect(Reason.decide(sysfsPresent: true, hwmonChips: 2, isVirtual: { true }).rawValue == "no-known-chip")
    }

    // MARK: Energy

    @Test(arguments: [
        (100, 250, 1000, 150), (900, 100, 1000, 200), (1000, 0, 1000, 0), (900, 100, nil, nil), (900, 100, 0, nil),
        (2000, 100, 1000, nil), (0, 5000, 1000, nil), (5, 5, nil, 0),
    ] as [(UInt64, UInt64, UInt64?, UInt64?)])
    func energyDelta(_ before: UInt64, _ after: UInt64, _ range: UInt64?, _ delta: UInt64?) {
        #expect(EnergySample.delta(from: before, to: after, wrapsAt: range) == delta)
    }

    @Test(arguments: [
        ("intel-rapl:0", "package-0", "cpu_package"), ("intel-rapl:1", "package-1", "cpu_package"),
        ("intel-rapl:0:0", "core", "cpu_core"), ("intel-rapl:0:2", "dram", "dram"), ("intel-rapl:0:1", "uncore", nil),
        ("intel-rapl:1", "psys", nil), ("intel-rapl:0", nil, "cpu_package"), ("intel-rapl:0:0", nil, nil),
        ("intel-rapl:0", "", "cpu_package"),
    ] as [(String, String?, String?)])
    func raplKeys(_ zone: String, _ name: String?, _ key: String?) {
        #expect(EnergySample.raplKey(zone: zone, name: name) == key)
    }

    @Test func raplCounterNeedsANumber() {
        #expect(EnergySample.raplCounter(zone: "intel-rapl:0", name: "package-0", energy: "12", maxRange: "99")
                == EnergyCounter(key: "cpu_package", microjoules: 12, wrapsAt: 99))
        #expect(EnergySample.raplCounter(zone: "intel-rapl:0", name: "package-0", energy: "12", maxRange: "x")
                == EnergyCounter(key: "cpu_package", microjoules: 12, wrapsAt: nil))
        #expect(EnergySample.raplCounter(zone: "intel-rapl:0", name: "package-0", energy: "-1", maxRange: "9") == nil)
        #expect(EnergySample.raplCounter(zone: "intel-rapl:0", name: "package-0", energy: "", maxRange: "9") == nil)
        #expect(EnergySample.raplCounter(zone: "intel-rapl:0", name: "package-0", energy: nil, maxRange: "9") == nil)
    }

    @Test func wattsSumSocketsAndSkipResets() {
        let start = Date(timeIntervalSince1970: 1_000)
        let before = EnergySample(time: start, counters: [
            "intel-rapl:0": EnergyCounter(key: "cpu_package", microjoules: 1_000_000, wrapsAt: 10_000_000),
            "intel-rapl:1": EnergyCounter(key: "cpu_package", microjoules: 9_000_000, wrapsAt: 10_000_000),
            "intel-rapl:0:2": EnergyCounter(key: "dram", microjoules: 500, wrapsAt: nil),
            "gone": EnergyCounter(key: "cpu_core", microjoules: 1),
        ])
        let after = EnergySample(time: start.addingTimeInterval(2), counters: [
            "intel-rapl:0": EnergyCounter(key: "cpu_package", microjoules: 21_000_000, wrapsAt: 10_000_000),
            "intel-rapl:1": EnergyCounter(key: "cpu_package", microjoules: 1_000_000, wrapsAt: 10_000_000),
            "intel-rapl:0:2": EnergyCounter(key: "dram", microjoules: 100, wrapsAt: nil),
            "new": EnergyCounter(key: "cpu_core", microjoules: 1),
        ])
        // Socket 0 advanced 20 J but its range is 10 J: impossible, left out. Socket 1 wrapped: 2 J in 2 s.
        #expect(EnergySample.watts(from: before, to: after) == ["cpu_package": 1])
        #expect(EnergySample.watts(from: after, to: before).isEmpty, "time went backwards")

        let amd = EnergySample.amdEnergyCounters(Self.chip("hwmon3", "amd_energy", [
            "energy1_label": "Ecore000", "energy1_input": "10", "energy17_label": "Esocket0", "energy17_input": "30",
            "energy18_label": "Esocket1", "energy18_input": "bad", "energy19_label": "Eother", "energy19_input": "5"]))
        #expect(amd == ["hwmon3/energy1": EnergyCounter(key: "cpu_core", microjoules: 10),
                        "hwmon3/energy17": EnergyCounter(key: "cpu_package", microjoules: 30)])
    }
}
