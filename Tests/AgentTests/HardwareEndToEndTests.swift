import Foundation
import PulseCommon
import Testing

/// `pulse-agent --once` includes the sensor and RAID sections, read through the `--path.*` roots.
@Suite(.enabled(if: AgentBinary.path != nil, "the pulse-agent binary is not built next to the tests"))
struct HardwareEndToEndTests {
    @Test func onceWithSensorsAndRAID() throws {
        let intel = try FixtureTree("sensors-intel")
        let hardware = try FixtureTree("node_exporter_hardware")
        let outcome = try EndToEndTests.run(["--once", "--path.procfs", hardware.root + "/proc", "--path.sysfs",
                                             intel.root + "/sys", "--path.rootfs", TestSupport.hostTree,
                                             "--hostname", "e2e-hardware"])
        #expect(outcome.status == 0, "\(outcome.stderr)")
        let report = try WireJSON.decoder().decode(HostReport.self, from: Data(outcome.stdout.utf8))
        #expect(report.sensors?.temperatureCelsius?["cpu_package"] == 52)
        #expect(report.sensors?.temperatureCelsius?["nvme1"] == 41.85)
        #expect(report.sensors?.fanRpm == ["dell_smm_processor_fan": 2450])
        #expect(report.sensors?.powerWatts == nil, "one report is only the energy baseline")
        #expect(report.sensors?.temperatureUnavailableReason == nil)
        #expect(report.raid?.count == 17)
        #expect(report.raid?.first { $0.device == "/dev/md6" }?.rebuildSpeed == "259783K/sec")
    }
}
