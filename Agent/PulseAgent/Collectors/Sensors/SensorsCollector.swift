import PulseCommon

/// `sensors.temperatureCelsius`, `fanRpm` and `additional`, read straight from sysfs (no `sensors` binary).
///
/// hwmon chips first (`HwmonClassifier`); when they give no named temperature, the thermal zones fill in
/// `cpu_package` and `additional` (`ThermalZones`). When no temperature is found at all the report says why
/// (`temperatureUnavailableReason`): `no-sysfs`, `vm-no-hwmon`, `no-hwmon` or `no-known-chip`.
public struct SensorsCollector: HostCollector {
    public let name = "sensors.temperature"

    public init() {}

    public func collect(_ context: CollectContext, into report: inout HostReport) throws {
        let fs = context.fs
        let scan = HwmonReader.scan(fs)
        var readings = HwmonClassifier.classify(scan.chips)
        if readings.temperatures.isEmpty {
            let zones = ThermalZones.classify(ThermalZones.read(fs))
            for (key, celsius) in zones.temperatures where readings.temperatures[key] == nil {
                readings.temperatures[key] = celsius
            }
            for (key, celsius) in zones.additional { readings.addAdditional(key, celsius) }
        }

        var sensors = report.sensors ?? HostReport.Sensors()
        sensors.temperatureCelsius = readings.temperatures.isEmpty ? nil : readings.temperatures
        sensors.fanRpm = readings.fans.isEmpty ? nil : readings.fans
        sensors.additional = readings.additional.isEmpty ? nil : readings.additional
        if readings.hasTemperature {
            sensors.temperatureUnavailableReason = nil
        } else {
            let sysfsPresent = (try? fs.list(fs.sysfs)).map { !$0.isEmpty } ?? false
            let reason = TemperatureUnavailableReason.decide(sysfsPresent: sysfsPresent, hwmonChips: scan.chips.count,
                                                             isVirtual: { VirtualMachineProbe.read(fs) })
            sensors.temperatureUnavailableReason = reason.rawValue
            context.logger.debug("no temperature sensors; section omitted", ["reason": reason.rawValue])
        }
        report.sensors = sensors
    }
}
