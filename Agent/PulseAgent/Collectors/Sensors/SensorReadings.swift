/// Temperatures, fan speeds and other temperatures under their report keys (agent-protocol 3.2).
public struct SensorReadings: Sendable, Equatable {
    /// `cpu_package`, `cpu_core_<n>`, `nvme<i>`, GPU keys.
    public var temperatures: [String: Double] = [:]
    /// `<chip>_<sensor>`.
    public var fans: [String: Double] = [:]
    /// Every other plausible temperature, `<chip>_<sensor>`.
    public var additional: [String: Double] = [:]

    public init(temperatures: [String: Double] = [:], fans: [String: Double] = [:],
                additional: [String: Double] = [:]) {
        self.temperatures = temperatures
        self.fans = fans
        self.additional = additional
    }

    /// Whether any temperature at all was found.
    public var hasTemperature: Bool { !temperatures.isEmpty || !additional.isEmpty }

    /// The range a named reading (CPU, NVMe, GPU) must fall in; anything else is a broken or absent sensor.
    static let plausible: ClosedRange<Double> = -40...150

    /// Adds an "other" temperature: only readings above 0 and up to 150 °C, and never over an existing key.
    mutating func addAdditional(_ key: String, _ celsius: Double) {
        guard celsius > 0 && celsius <= 150, additional[key] == nil, temperatures[key] == nil else { return }
        additional[key] = celsius
    }

    /// Adds a named temperature when plausible.
    mutating func addTemperature(_ key: String, _ celsius: Double) {
        guard Self.plausible.contains(celsius) else { return }
        temperatures[key] = celsius
    }
}

/// Report key spelling shared by the sensor sources.
enum SensorKey {
    /// Lower case with spaces and dashes as underscores: `CPU Fan` → `cpu_fan`, `Tccd1` → `tccd1`.
    static func normalise(_ text: String) -> String {
        String(text.trimmingWhitespace().lowercased().map { $0 == " " || $0 == "-" ? "_" : $0 })
    }

    /// The sensor part of a key for each channel: the normalised label, or the raw sensor name (`temp3`) when
    /// unlabelled. Labels used by more than one channel of the chip get the sensor name appended, so
    /// `foosensor` on `temp1` and `temp2` become `foosensor_temp1` and `foosensor_temp2`.
    static func sensorKeys(_ channels: [HwmonChip.Channel]) -> [String: String] {
        var counts: [String: Int] = [:]
        for channel in channels { counts[channel.label.map(normalise) ?? channel.sensor, default: 0] += 1 }
        var keys: [String: String] = [:]
        for channel in channels {
            let base = channel.label.map(normalise) ?? channel.sensor
            let shared = (counts[base] ?? 0) > 1 && base != channel.sensor
            keys[channel.sensor] = shared ? base + "_" + channel.sensor : base
        }
        return keys
    }
}
