#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// One cumulative energy counter: an Intel/AMD RAPL powercap zone or an `amd_energy` hwmon channel.
public struct EnergyCounter: Sendable, Equatable {
    /// The `powerWatts` key it adds to: `cpu_package`, `cpu_core` or `dram`.
    public var key: String
    public var microjoules: UInt64
    /// Where the counter wraps to 0 (`max_energy_range_uj`); `nil` when unknown (a decrease is then a reset).
    public var wrapsAt: UInt64?

    public init(key: String, microjoules: UInt64, wrapsAt: UInt64? = nil) {
        self.key = key
        self.microjoules = microjoules
        self.wrapsAt = wrapsAt
    }
}

/// Every energy counter at one report's collection time, keyed by source (`intel-rapl:0:1`, `hwmon5/energy17`).
public struct EnergySample: Sendable, Equatable {
    public var time: Date
    public var counters: [String: EnergyCounter]

    public init(time: Date, counters: [String: EnergyCounter]) {
        self.time = time
        self.counters = counters
    }

    /// Average watts per key between two samples, summed over sockets (two `package-N` zones add up to
    /// `cpu_package`). A counter that went down wraps at its `max_energy_range_uj`; without a known range, or
    /// when the result is impossible, it is treated as a reset and left out. Rounded to 0.01 W.
    public static func watts(from previous: EnergySample, to current: EnergySample) -> [String: Double] {
        let seconds = current.time.timeIntervalSince(previous.time)
        guard seconds > 0 else { return [:] }
        var joules: [String: Double] = [:]
        for (id, now) in current.counters {
            guard let before = previous.counters[id], before.key == now.key,
                  let delta = delta(from: before.microjoules, to: now.microjoules, wrapsAt: now.wrapsAt) else {
                continue
            }
            joules[now.key, default: 0] += Double(delta) / 1_000_000
        }
        return joules.mapValues { ($0 / seconds * 100).rounded() / 100 }
    }

    /// Microjoules between two readings of one counter, across at most one wrap.
    static func delta(from before: UInt64, to after: UInt64, wrapsAt range: UInt64?) -> UInt64? {
        let delta: UInt64
        if after >= before {
            delta = after - before
        } else {
            guard let range, range > 0, before <= range, after <= range else { return nil }
            delta = (range - before) + after
        }
        if let range, range > 0, delta > range { return nil }  // more than one wrap: unknowable
        return delta
    }

    // MARK: Parsing

    /// The report key for a RAPL zone: `package-N` → `cpu_package`, `core` → `cpu_core`, `dram` → `dram`; a
    /// top-level zone (`intel-rapl:N`) without a name is a package. Other domains (`uncore`, `psys`) are not
    /// reported.
    static func raplKey(zone: String, name: String?) -> String? {
        guard let name = name?.lowercased(), !name.isEmpty else {
            return zone.split(separator: ":").count == 2 ? "cpu_package" : nil
        }
        if name.hasPrefix("package") { return "cpu_package" }
        if name == "core" { return "cpu_core" }
        if name == "dram" { return "dram" }
        return nil
    }

    /// A RAPL zone's counter from its `name`, `energy_uj` and `max_energy_range_uj` texts.
    static func raplCounter(zone: String, name: String?, energy: String?, maxRange: String?) -> EnergyCounter? {
        guard let key = raplKey(zone: zone, name: name), let energy,
              let microjoules = UInt64(energy.trimmingWhitespace()) else { return nil }
        return EnergyCounter(key: key, microjoules: microjoules,
                             wrapsAt: maxRange.flatMap { UInt64($0.trimmingWhitespace()) })
    }

    /// The counters of an `amd_energy` chip: `Esocket<N>` labels add to `cpu_package`, `Ecore<NNN>` to `cpu_core`.
    static func amdEnergyCounters(_ chip: HwmonChip) -> [String: EnergyCounter] {
        var counters: [String: EnergyCounter] = [:]
        for channel in chip.channels("energy") {
            let label = channel.label?.lowercased() ?? ""
            let key: String
            if label.contains("socket") || label.contains("package") {
                key = "cpu_package"
            } else if label.contains("core") {
                key = "cpu_core"
            } else {
                continue
            }
            guard let microjoules = UInt64(channel.input.trimmingWhitespace()) else { continue }
            counters[chip.directory + "/" + channel.sensor] = EnergyCounter(key: key, microjoules: microjoules)
        }
        return counters
    }

    // MARK: Reading

    /// RAPL zones under `<sysfs>/class/powercap/intel-rapl:*` (sub-zones are listed there too); when there are
    /// none, `amd_energy` hwmon chips. `intel-rapl-mmio` zones repeat the package domain and are skipped.
    static func read(_ fs: HostFS, at time: Date) -> EnergySample {
        var counters: [String: EnergyCounter] = [:]
        let zones = ((try? fs.list(fs.sysPath("class", "powercap"))) ?? []).filter { $0.hasPrefix("intel-rapl:") }
        for zone in zones {
            let counter = raplCounter(zone: zone,
                                      name: try? fs.readValue(fs.sysPath("class", "powercap", zone, "name")),
                                      energy: try? fs.readValue(fs.sysPath("class", "powercap", zone, "energy_uj")),
                                      maxRange: try? fs.readValue(fs.sysPath("class", "powercap", zone,
                                                                             "max_energy_range_uj")))
            if let counter { counters[zone] = counter }
        }
        if counters.isEmpty {
            for chip in HwmonReader.scan(fs).chips where chip.name == "amd_energy" {
                counters.merge(amdEnergyCounters(chip)) { first, _ in first }
            }
        }
        return EnergySample(time: time, counters: counters)
    }
}
