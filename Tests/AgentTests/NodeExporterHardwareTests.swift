import Foundation
import PulseCommon
import Testing
@testable import PulseAgent

/// The sensor and RAID collectors on node_exporter's fixture tree agree with node_exporter's own output for it
/// (`Fixtures/node_exporter_hardware/e2e-output-hwmon-md.txt`).
///
/// Deliberate differences, all from agent-protocol 3.2 / 3.4 rather than node_exporter:
/// - Keys: node_exporter labels readings `{chip, sensor}`; the report uses `cpu_package`, `cpu_core_<n>` and
///   `<chip>_<label>` (mapped below). The two `coretemp` chips are two sockets: `cpu_package_0`/`_1` and
///   `cpu_core_<n>` / `cpu_socket1_core_<n>`, with `cpu_package` the hotter package.
/// - A fan at 0 RPM (`applesmc` `fan1`) is not reported (the reference skips stopped fans too).
/// - md: node_exporter's `active` state for an array with a queued or running operation is our `resyncing`, …;
///   `node_md_blocks` and the sysfs-only `node_md_degraded` / `node_md_raid_disks` have no report field.
struct NodeExporterHardwareTests {
    static let root = TestSupport.fixtures + "/node_exporter_hardware"

    /// One exposition line: metric name, labels, value.
    struct Sample {
        var metric: String
        var labels: [String: String]
        var value: Double
    }

    static func samples() throws -> [Sample] {
        let text = try String(contentsOfFile: root + "/e2e-output-hwmon-md.txt", encoding: .utf8)
        return try text.split(separator: "\n").map { line in
            let open = try #require(line.firstIndex(of: "{"))
            let close = try #require(line.lastIndex(of: "}"))
            var labels: [String: String] = [:]
            for pair in line[line.index(after: open)..<close].split(separator: ",") {
                let parts = pair.split(separator: "=", maxSplits: 1)
                labels[String(parts[0])] = String(parts[1].dropFirst().dropLast())
            }
            let value = try #require(Double(line[line.index(after: close)...].trimmingCharacters(in: .whitespaces)))
            return Sample(metric: String(line[..<open]), labels: labels, value: value)
        }
    }

    /// node_exporter `{chip, sensor}` → where the report carries the same reading.
    static let temperatureKeys: [String: (section: String, key: String)] = {
        var keys: [String: (String, String)] = [
            "hwmon4/temp1": ("additional", "hwmon4_foosensor_temp1"),
            "hwmon4/temp2": ("additional", "hwmon4_foosensor_temp2"),
        ]
        for index in 0...2 {
            keys["ieee80211_phy0_mt7996_phy0_\(index)/temp1"] = ("additional", "mt7996_phy0_\(index)_temp1")
        }
        for socket in 0...1 {
            keys["platform_coretemp_\(socket)/temp1"] = ("temperatureCelsius", "cpu_package_\(socket)")
            for core in 0...3 {
                keys["platform_coretemp_\(socket)/temp\(core + 2)"] =
                    ("temperatureCelsius", socket == 0 ? "cpu_core_\(core)" : "cpu_socket1_core_\(core)")
            }
        }
        return keys
    }()

    @Test func hwmonTemperaturesAndFans() throws {
        let tree = try FixtureTree("node_exporter_hardware")
        var report = HostReport()
        let context = CollectContext(fs: tree.fs, system: TestSupport.system(), now: Date(),
                                     logger: TestSupport.logger(), commands: FakeCommandRunner())
        try SensorsCollector().collect(context, into: &report)
        let sensors = try #require(report.sensors)

        let temperatures = try Self.samples().filter { $0.metric == "node_hwmon_temp_celsius" }
        #expect(temperatures.count == 15)
        for sample in temperatures {
            let name = "\(sample.labels["chip"] ?? "")/\(sample.labels["sensor"] ?? "")"
            let target = try #require(Self.temperatureKeys[name], "unmapped node_exporter reading \(name)")
            let section = target.section == "additional" ? sensors.additional : sensors.temperatureCelsius
            #expect(section?[target.key] == sample.value, "\(name) → \(target.key)")
        }
        #expect(sensors.temperatureCelsius?.count == 11, "the 10 socket readings plus cpu_package")
        #expect(sensors.temperatureCelsius?["cpu_package"] == 55)
        #expect(sensors.additional?.count == 5)

        let fans = try Self.samples().filter { $0.metric == "node_hwmon_fan_rpm" }
        let fanKeys = ["nct6779/fan2": "nct6779_fan2", "platform_applesmc_768/fan2": "applesmc_right_side"]
        for sample in fans where sample.value > 0 {
            let name = "\(sample.labels["chip"] ?? "")/\(sample.labels["sensor"] ?? "")"
            let key = try #require(fanKeys[name], "unmapped fan \(name)")
            #expect(sensors.fanRpm?[key] == sample.value)
        }
        #expect(sensors.fanRpm?.count == 2, "applesmc fan1 stands still")
    }

    @Test func mdArrays() throws {
        let tree = try FixtureTree("node_exporter_hardware")
        var report = HostReport()
        let context = CollectContext(fs: tree.fs, system: TestSupport.system(), now: Date(),
                                     logger: TestSupport.logger(), commands: FakeCommandRunner())
        try RAIDCollector().collect(context, into: &report)
        let arrays = try #require(report.raid)
        let byName = Dictionary(uniqueKeysWithValues: arrays.map { (String(($0.device ?? "").dropFirst(5)), $0) })
        #expect(arrays.count == 17)
        #expect(arrays.map(\.device) == ["md0", "md00", "md3", "md4", "md6", "md7", "md8", "md9", "md10", "md11",
                                         "md12", "md101", "md120", "md126", "md127", "md201", "md219"]
            .map { "/dev/" + $0 })

        let samples = try Self.samples()
        for sample in samples where sample.metric == "node_md_disks" {
            let device = sample.labels["device"] ?? ""
            let array = try #require(byName[device], "missing \(device)")
            let ours = switch sample.labels["state"] {
            case "active": array.activeDevices
            case "failed": array.failedDevices
            case "spare": array.spareDevices
            default: Int?.none
            }
            #expect(ours.map(Double.init) == sample.value, "\(device) \(sample.labels["state"] ?? "") disks")
        }
        for sample in samples where sample.metric == "node_md_state" && sample.value == 1 {
            let device = sample.labels["device"] ?? ""
            let state = try #require(byName[device]?.state)
            switch sample.labels["state"] {
            case "active": #expect(state == "clean" || state == "clean, degraded", "\(device): \(state)")
            case "inactive": #expect(state == "inactive", "\(device): \(state)")
            case "recovering": #expect(state.hasSuffix("recovering"), "\(device): \(state)")
            case "resync": #expect(state.contains("resyncing"), "\(device): \(state)")
            case "check": #expect(state.hasSuffix("checking"), "\(device): \(state)")
            default: Issue.record("unknown node_md_state \(sample.labels["state"] ?? "")")
            }
        }

        let md6 = try #require(byName["md6"])
        #expect(md6.state == "clean, degraded, recovering")
        #expect(md6.rebuildPercent == 8.5 && md6.rebuildSpeed == "259783K/sec")
        #expect(md6.devices == [HostReport.RAIDDevice(device: "/dev/sda2", state: "active sync", slot: 0),
                                HostReport.RAIDDevice(device: "/dev/sdc", state: "spare", slot: -1),
                                HostReport.RAIDDevice(device: "/dev/sdb2", state: "faulty", slot: -1)])
        #expect(byName["md11"]?.state == "clean, resyncing (pending)")
        #expect(byName["md9"]?.state == "clean, resyncing (delayed)" && byName["md9"]?.rebuildPercent == 0)
        #expect(byName["md201"]?.state == "clean, checking" && byName["md201"]?.rebuildPercent == 0,
                "a check is not a rebuild")
        #expect(byName["md219"]?.level == "container" && byName["md126"]?.level == "raid0")
        #expect(byName["md3"]?.level == "raid6" && byName["md3"]?.totalDevices == 10)
    }
}
