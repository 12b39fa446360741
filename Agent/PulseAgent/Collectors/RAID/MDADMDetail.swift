import PulseCommon

/// What `mdadm --detail /dev/mdN` adds to `/proc/mdstat`: name, UUID, mdadm's own state words and counts, and
/// the member table with slots.
public struct MDADMDetail: Sendable, Equatable {
    public var name: String?
    public var level: String?
    /// Lower-cased, e.g. `clean, degraded, recovering`.
    public var state: String?
    public var totalDevices: Int?
    public var activeDevices: Int?
    public var workingDevices: Int?
    public var failedDevices: Int?
    public var spareDevices: Int?
    public var uuid: String?
    /// From `Rebuild Status`, `Resync Status` or `Reshape Status`.
    public var rebuildPercent: Double?
    public var devices: [HostReport.RAIDDevice]

    public init(name: String? = nil, level: String? = nil, state: String? = nil, totalDevices: Int? = nil,
                activeDevices: Int? = nil, workingDevices: Int? = nil, failedDevices: Int? = nil,
                spareDevices: Int? = nil, uuid: String? = nil, rebuildPercent: Double? = nil,
                devices: [HostReport.RAIDDevice] = []) {
        self.name = name
        self.level = level
        self.state = state
        self.totalDevices = totalDevices
        self.activeDevices = activeDevices
        self.workingDevices = workingDevices
        self.failedDevices = failedDevices
        self.spareDevices = spareDevices
        self.uuid = uuid
        self.rebuildPercent = rebuildPercent
        self.devices = devices
    }

    /// Parses the `Key : value` block and the `Number Major Minor RaidDevice State` table. Unknown keys are
    /// ignored; a count that is not a number is a parse error.
    public static func parse(_ text: String) throws(ParseError) -> MDADMDetail {
        let source = "mdadm --detail"
        var detail = MDADMDetail()
        var inTable = false
        for rawLine in text.split(separator: "\n") {
            let line = rawLine.trimmingWhitespace()
            if line.isEmpty { continue }
            if line.hasPrefix("Number") && line.contains("RaidDevice") {
                inTable = true
                continue
            }
            if inTable {
                if let device = try tableRow(line, source: source) { detail.devices.append(device) }
                continue
            }
            guard let colon = line.firstIndex(of: ":") else { continue }
            let key = line[..<colon].trimmingWhitespace()
            let value = line[line.index(after: colon)...].trimmingWhitespace()
            func count() throws(ParseError) -> Int {
                guard let number = Int(value) else { throw ParseError(source, "non-numeric \(key)", line: line) }
                return number
            }
            switch key {
            case "Name":
                // "host:0  (local to host host)" → "host:0"
                if let open = value.firstIndex(of: "("), open > value.startIndex,
                   value[value.index(before: open)] == " " {
                    detail.name = value[..<open].trimmingWhitespace()
                } else {
                    detail.name = value
                }
            case "Raid Level": detail.level = value.lowercased()
            case "State": detail.state = value.lowercased()
            case "Total Devices": detail.totalDevices = try count()
            case "Active Devices": detail.activeDevices = try count()
            case "Working Devices": detail.workingDevices = try count()
            case "Failed Devices": detail.failedDevices = try count()
            case "Spare Devices": detail.spareDevices = try count()
            case "UUID": detail.uuid = value
            case "Rebuild Status", "Resync Status", "Reshape Status":
                guard let percent = value.split(separator: "%").first.flatMap({ Double($0.trimmingWhitespace()) })
                else { throw ParseError(source, "malformed \(key)", line: line) }
                detail.rebuildPercent = percent
            default: break
            }
        }
        return detail
    }

    /// `0  8  1  0  active sync   /dev/sda1` → slot 0; spare and faulty rows get slot -1; `removed` rows (no
    /// device) are skipped.
    static func tableRow(_ line: String, source: String) throws(ParseError) -> HostReport.RAIDDevice? {
        let fields = line.split(separator: " ")
        guard let path = fields.last, path.hasPrefix("/dev/") else { return nil }
        guard fields.count >= 6 else { throw ParseError(source, "short device row", line: line) }
        let state = fields[4..<(fields.count - 1)].joined(separator: " ")
        let isSpareOrFaulty = state.contains("spare") || state.contains("faulty")
        let slot = isSpareOrFaulty ? -1 : (Int(fields[0]) ?? -1)
        return HostReport.RAIDDevice(device: String(path), state: state, slot: slot)
    }
}
