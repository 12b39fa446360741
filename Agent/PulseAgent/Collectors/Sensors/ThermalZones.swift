/// One `<sysfs>/class/thermal/thermal_zoneN`: its `type` and raw `temp` (millidegrees).
public struct ThermalZone: Sendable, Equatable {
    /// `thermal_zone0`.
    public var zone: String
    public var type: String?
    public var temp: String?

    public init(zone: String, type: String?, temp: String?) {
        self.zone = zone
        self.type = type
        self.temp = temp
    }
}

/// The thermal-zone fallback, used when hwmon gives no named temperature (a Raspberry Pi without the hwmon
/// bridge, many ARM boards, some laptops).
///
/// The best CPU zone becomes `cpu_package`: `x86_pkg_temp`, else a type mentioning `cpu`, else `soc`, else
/// `acpitz`; with several zones of that kind, the hottest. Other zones go to `additional` under their
/// normalised type. Values are millidegrees (the reference reported them ×1000).
enum ThermalZones {
    static func read(_ fs: HostFS) -> [ThermalZone] {
        guard let entries = try? fs.list(fs.sysPath("class", "thermal")) else { return [] }
        return entries.filter { $0.hasPrefix("thermal_zone") }.sorted(by: NaturalOrder.less).map { zone in
            ThermalZone(zone: zone, type: try? fs.readValue(fs.sysPath("class", "thermal", zone, "type")),
                        temp: try? fs.readValue(fs.sysPath("class", "thermal", zone, "temp")))
        }
    }

    /// How good a CPU stand-in a zone type is (lower is better), or `nil` when it is not one.
    static func cpuRank(_ type: String) -> Int? {
        let type = type.lowercased()
        if type == "x86_pkg_temp" { return 0 }
        if type.contains("cpu") { return 1 }
        if type.contains("soc") { return 2 }
        if type == "acpitz" { return 3 }
        return nil
    }

    static func classify(_ zones: [ThermalZone]) -> SensorReadings {
        let valid: [(zone: ThermalZone, celsius: Double)] = zones.compactMap { zone in
            guard let text = zone.temp, let celsius = HwmonChip.celsius(fromMillidegrees: text) else { return nil }
            return (zone, celsius)
        }
        var readings = SensorReadings()
        let ranked = valid.compactMap { entry -> (rank: Int, zone: String, celsius: Double)? in
            guard let rank = entry.zone.type.flatMap(cpuRank),
                  SensorReadings.plausible.contains(entry.celsius) else { return nil }
            return (rank, entry.zone.zone, entry.celsius)
        }
        var usedZone: String?
        if let bestRank = ranked.map(\.rank).min(),
           let hottest = ranked.filter({ $0.rank == bestRank }).max(by: { $0.celsius < $1.celsius }) {
            readings.addTemperature("cpu_package", hottest.celsius)
            usedZone = hottest.zone
        }

        let names = valid.map { SensorKey.normalise($0.zone.type ?? $0.zone.zone) }
        var counts: [String: Int] = [:]
        for name in names { counts[name, default: 0] += 1 }
        for (entry, name) in zip(valid, names) where entry.zone.zone != usedZone {
            let number = entry.zone.zone.dropFirst("thermal_zone".count)
            readings.addAdditional((counts[name] ?? 0) > 1 ? "\(name)_\(number)" : name, entry.celsius)
        }
        return readings
    }
}
