/// Turns hwmon chips into report keys (agent-protocol 3.2), with the reference's naming and its bugs fixed.
///
/// - CPU: `cpu_package` from `Package id N` / `Physical id N` (Intel), else `Tdie`, else `Tctl`, else the hottest
///   `Tccd*` (AMD), else an unlabelled `temp1`, else the hottest core; `cpu_core_<n>` from `Core n` labels. With
///   several sockets (one CPU chip each, ordered by package id, then device) `cpu_package` is the hottest package,
///   each socket also gets `cpu_package_<s>`, socket 0 keeps `cpu_core_<n>` and socket `s` ≥ 1 reports
///   `cpu_socket<s>_core_<n>`, so nothing overwrites anything.
/// - Without a CPU driver chip, `cpu_package` falls back to a SoC thermal chip (`cpu_thermal`, `rpitemp`,
///   `rp1_adc`), then a Super I/O `CPUTIN` / "CPU … Temp" channel, then `acpitz`.
/// - NVMe: chips sorted by controller (`nvme0`, `nvme1`, … from the `device` link) and renamed `nvme<i>`, with the
///   `Composite` reading (else `temp1`).
/// - GPU (`amdgpu`, `nouveau`): `edge`, `junction`, `mem` and unlabelled `temp1`, keyed `<chip>_<sensor>`.
/// - Fans above 0 RPM and every other temperature between 0 and 150 °C go to `fanRpm` / `additional` as
///   `<chip>_<sensor>`. A second chip with the same name is `<chip>_1`, a third `<chip>_2`, so nothing collides.
enum HwmonClassifier {
    enum Role: Equatable {
        case cpu, socThermal, superIO, acpi, nvme, gpu, other
    }

    /// CPU drivers in preference order; when two are loaded (`k10temp` and `zenpower`) the first one gives the keys.
    static let cpuDrivers = ["coretemp", "k10temp", "zenpower", "k8temp"]
    static let socThermalChips = ["cpu_thermal", "rpitemp", "rp1_adc", "soc_thermal"]
    static let superIOPrefixes = ["it8", "nct6", "w83", "f71"]
    static let gpuDrivers = ["amdgpu", "nouveau"]
    static let gpuSensors: Set<String> = ["edge", "junction", "mem"]

    static func role(of name: String) -> Role {
        let name = SensorKey.normalise(name)
        if cpuDrivers.contains(name) { return .cpu }
        if socThermalChips.contains(name) { return .socThermal }
        if superIOPrefixes.contains(where: name.hasPrefix) { return .superIO }
        if name == "acpitz" { return .acpi }
        if name == "nvme" { return .nvme }
        if gpuDrivers.contains(name) { return .gpu }
        return .other
    }

    /// One temperature channel with a valid reading.
    struct Temperature: Equatable {
        var sensor: String
        /// The sensor part of report keys (`core_0`, `tctl`, `temp1`).
        var key: String
        /// The label, lower-cased, or empty.
        var label: String
        var celsius: Double
    }

    static func temperatures(of chip: HwmonChip) -> [Temperature] {
        let channels = chip.channels("temp")
        let keys = SensorKey.sensorKeys(channels)
        return channels.compactMap { channel in
            guard let celsius = HwmonChip.celsius(fromMillidegrees: channel.input) else { return nil }
            return Temperature(sensor: channel.sensor, key: keys[channel.sensor] ?? channel.sensor,
                               label: channel.label?.lowercased().trimmingWhitespace() ?? "", celsius: celsius)
        }
    }

    static func classify(_ chips: [HwmonChip]) -> SensorReadings {
        let ordered = chips.sorted(by: deviceOrder)
        var chipKeys: [String: String] = [:]  // directory → chip part of keys
        var seen: [String: Int] = [:]
        for chip in ordered {
            let base = SensorKey.normalise(chip.name)
            let index = seen[base, default: 0]
            seen[base] = index + 1
            chipKeys[chip.directory] = index == 0 ? base : "\(base)_\(index)"
        }
        var temperatures: [String: [Temperature]] = [:]
        for chip in ordered { temperatures[chip.directory] = Self.temperatures(of: chip) }

        var readings = SensorReadings()
        var used: Set<String> = []  // "<directory>/<sensor>" already reported under a named key
        classifyCPU(ordered, temperatures, into: &readings, used: &used)
        for (index, chip) in ordered.filter({ role(of: $0.name) == .nvme }).enumerated() {
            let key = "nvme\(index)"
            chipKeys[chip.directory] = key
            let channels = temperatures[chip.directory] ?? []
            if let composite = channels.first(where: { $0.label == "composite" })
                ?? channels.first(where: { $0.sensor == "temp1" }) ?? channels.first {
                readings.addTemperature(key, composite.celsius)
                used.insert(chip.directory + "/" + composite.sensor)
            }
        }
        for chip in ordered where role(of: chip.name) == .gpu {
            for reading in temperatures[chip.directory] ?? []
            where gpuSensors.contains(reading.label) || (reading.label.isEmpty && reading.sensor == "temp1") {
                readings.addTemperature("\(chipKeys[chip.directory] ?? chip.name)_\(reading.key)", reading.celsius)
                used.insert(chip.directory + "/" + reading.sensor)
            }
        }

        for chip in ordered {
            let chipKey = chipKeys[chip.directory] ?? SensorKey.normalise(chip.name)
            let channels = temperatures[chip.directory] ?? []
            let leftovers = channels.filter { !used.contains(chip.directory + "/" + $0.sensor) }
            for reading in leftovers {
                readings.addAdditional("\(chipKey)_\(reading.key)", reading.celsius)
            }
            let fans = chip.channels("fan")
            let fanKeys = SensorKey.sensorKeys(fans)
            for fan in fans {
                guard let rpm = HwmonChip.rpm(fan.input), rpm > 0 else { continue }
                readings.fans["\(chipKey)_\(fanKeys[fan.sensor] ?? fan.sensor)"] = rpm
            }
        }
        return readings
    }

    // MARK: CPU

    private static func classifyCPU(_ ordered: [HwmonChip], _ temperatures: [String: [Temperature]],
                                    into readings: inout SensorReadings, used: inout Set<String>) {
        let present = Set(ordered.map { SensorKey.normalise($0.name) })
        if let driver = cpuDrivers.first(where: present.contains) {
            let sockets = ordered.filter { SensorKey.normalise($0.name) == driver }
                .map { chip in (chip: chip, reading: socket(temperatures[chip.directory] ?? [])) }
                .sorted { lhs, rhs in
                    let left = lhs.reading.packageID ?? Int.max
                    let right = rhs.reading.packageID ?? Int.max
                    return left != right ? left < right : deviceOrder(lhs.chip, rhs.chip)
                }
            let single = sockets.count == 1
            var hottest: Double?
            for (index, socket) in sockets.enumerated() {
                for sensor in socket.reading.used { used.insert(socket.chip.directory + "/" + sensor) }
                if let package = socket.reading.package, SensorReadings.plausible.contains(package) {
                    hottest = max(hottest ?? package, package)
                    if !single { readings.addTemperature("cpu_package_\(index)", package) }
                }
                for (core, celsius) in socket.reading.cores {
                    readings.addTemperature(index == 0 ? "cpu_core_\(core)" : "cpu_socket\(index)_core_\(core)",
                                            celsius)
                }
            }
            if let hottest {
                readings.addTemperature("cpu_package", hottest)
                return
            }
        }

        // No CPU driver chip (or one without readings): a SoC sensor, a Super I/O CPU channel, then ACPI.
        for role in [Role.socThermal, .superIO, .acpi] {
            var best: (chip: HwmonChip, reading: Temperature)?
            for chip in ordered where self.role(of: chip.name) == role {
                let channels = temperatures[chip.directory] ?? []
                let candidate: Temperature? = switch role {
                case .superIO:
                    channels.first { $0.label == "cputin" || ($0.label.contains("cpu") && $0.label.contains("temp")) }
                default:
                    channels.first { $0.sensor == "temp1" } ?? channels.first
                }
                guard let candidate, SensorReadings.plausible.contains(candidate.celsius) else { continue }
                // The hottest SoC sensor; otherwise the first chip in order.
                if let current = best, !(role == .socThermal && candidate.celsius > current.reading.celsius) {
                    continue
                }
                best = (chip, candidate)
            }
            if let best {
                readings.addTemperature("cpu_package", best.reading.celsius)
                used.insert(best.chip.directory + "/" + best.reading.sensor)
                return
            }
        }
    }

    /// One CPU chip's package and core readings, and which channels they used.
    struct SocketReading {
        var packageID: Int?
        var package: Double?
        var cores: [(core: Int, celsius: Double)]
        /// Sensors reported under `cpu_*` keys (not repeated in `additional`).
        var used: [String]
    }

    static func socket(_ channels: [Temperature]) -> SocketReading {
        var reading = SocketReading(packageID: nil, package: nil, cores: [], used: [])
        for channel in channels {
            let words = channel.label.split(separator: " ")
            if words.count == 2, words[0] == "core", let core = Int(words[1]) {
                reading.cores.append((core, channel.celsius))
                reading.used.append(channel.sensor)
            }
        }
        let packageChannel = channels.first { $0.label.hasPrefix("package id") || $0.label.hasPrefix("physical id") }
        if let packageChannel, let id = Int(packageChannel.label.split(separator: " ").last ?? "") {
            reading.packageID = id
        }
        if let chosen = packageChannel ?? channels.first(where: { $0.label == "tdie" })
            ?? channels.first(where: { $0.label == "tctl" }) {
            reading.package = chosen.celsius
            reading.used.append(chosen.sensor)
        } else if let hottest = channels.filter({ $0.label.hasPrefix("tccd") }).map(\.celsius).max() {
            reading.package = hottest  // the CCD readings stay in `additional` as well
        } else if let temp1 = channels.first(where: { $0.label.isEmpty && $0.sensor == "temp1" }) {
            reading.package = temp1.celsius
            reading.used.append(temp1.sensor)
        } else if let hottestCore = reading.cores.map(\.1).max() {
            reading.package = hottestCore
        }
        return reading
    }

    /// Chips by name, then by their device (`nvme0` before `nvme10`, chips with a device first), then directory.
    static func deviceOrder(_ lhs: HwmonChip, _ rhs: HwmonChip) -> Bool {
        let leftName = SensorKey.normalise(lhs.name)
        let rightName = SensorKey.normalise(rhs.name)
        if leftName != rightName { return leftName < rightName }
        switch (lhs.device, rhs.device) {
        case (let left?, let right?) where left != right: return NaturalOrder.less(left, right)
        case (.some, nil): return true
        case (nil, .some): return false
        default: return NaturalOrder.less(lhs.directory, rhs.directory)
        }
    }
}
