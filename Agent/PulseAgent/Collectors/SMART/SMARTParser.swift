import PulseCommon

/// What one `smartctl -n standby -i -A -H --json=o /dev/X` run says about a disk.
enum SMARTOutcome: Equatable {
    case disk(HostReport.SMARTDisk)
    /// No entry for this disk, and why (for the debug log).
    case skipped(String)
}

/// Reads `smartctl --json` output into a `SMARTDisk` (agent-protocol 3.3).
///
/// Differences from the reference, on purpose: a missing `smart_status` (USB bridges, VMs) is `UNKNOWN`, not
/// `FAILED`; exit bit 1 means standby only when smartctl said so (or printed nothing usable), so a disk that
/// could not be opened is left out instead of showing as asleep; SAS disks get a `wwn` from their NAA-5
/// `logical_unit_id`; `attributes` carries the counters a dashboard needs.
enum SMARTParser {
    /// smartctl exit status bits (smartctl(8), "RETURN VALUES").
    static let commandLineError: Int32 = 1 << 0
    static let openFailedOrLowPower: Int32 = 1 << 1

    static func interpret(device: String, result: CommandResult) -> SMARTOutcome {
        guard let status = result.exitStatus else {
            return .skipped(result.termination == .timedOut ? "smartctl timed out" : "smartctl was killed")
        }
        let json = JSONCursor.parse(result.stdout)
        let messages = json.map { $0["smartctl"]["messages"].array.compactMap { $0["string"].string } } ?? []
        if status & commandLineError != 0 {
            // Also how smartctl answers a device it cannot identify ("Unable to detect device type").
            return .skipped("exit status \(status): " + (messages.first ?? "smartctl rejected its command line"))
        }
        if let json, isUsable(json) { return .disk(disk(device: device, json)) }
        if status & openFailedOrLowPower != 0 {
            if json == nil || messages.isEmpty || messages.contains(where: mentionsLowPower) {
                return .disk(HostReport.SMARTDisk(device: device, temperature: 0, standby: true))
            }
        }
        let reason = messages.first ?? (json == nil ? "no JSON output" : "no device information")
        return .skipped("exit status \(status): \(reason)")
    }

    /// smartctl's `-n` message: "Device is in STANDBY mode, exit(2)" (also SLEEP, IDLE).
    static func mentionsLowPower(_ message: String) -> Bool {
        let text = message.lowercased()
        return text.contains("standby") || text.contains("sleep") || (text.contains(" mode") && text.contains("exit("))
    }

    /// Whether the output describes the device (and is not just the tool's own header and error messages).
    static func isUsable(_ json: JSONCursor) -> Bool {
        ["model_name", "scsi_model_name", "serial_number", "smart_status", "temperature",
         "nvme_smart_health_information_log", "ata_smart_attributes"].contains { json[$0].exists }
    }

    static func disk(device: String, _ json: JSONCursor) -> HostReport.SMARTDisk {
        let health: String
        switch json["smart_status"]["passed"].bool {
        case true?: health = "PASSED"
        case false?: health = "FAILED"
        case nil: health = "UNKNOWN"
        }
        let temperature = json["temperature"]["current"].int
            ?? json["nvme_smart_health_information_log"]["temperature"].int ?? 0
        return HostReport.SMARTDisk(
            device: device,
            model: nonEmpty(json["model_name"].string) ?? nonEmpty(json["scsi_model_name"].string),
            serial: nonEmpty(json["serial_number"].string),
            wwn: wwn(json),
            type: diskType(json["device"]["protocol"].string),
            temperature: temperature,
            health: health,
            attributes: attributes(json))
    }

    /// `nvme`, `sas` (SCSI) or `sata` (ATA, and the default).
    static func diskType(_ protocolName: String?) -> String {
        switch protocolName?.lowercased() {
        case "nvme": "nvme"
        case "scsi", "sas": "sas"
        default: "sata"
        }
    }

    /// `<naa>-<oui>-<id>` in lower-case hex, from `wwn`, or from a SAS disk's `logical_unit_id` (`0x5000cca2…`,
    /// NAA 5: one digit NAA, six digits OUI, nine digits vendor id).
    static func wwn(_ json: JSONCursor) -> String? {
        let wwn = json["wwn"]
        if let naa = wwn["naa"].int, let oui = wwn["oui"].int, let id = wwn["id"].int, naa >= 0, oui >= 0, id >= 0 {
            return "\(String(naa, radix: 16))-\(String(oui, radix: 16))-\(String(id, radix: 16))"
        }
        guard var lun = json["logical_unit_id"].string?.lowercased() else { return nil }
        if lun.hasPrefix("0x") { lun.removeFirst(2) }
        guard lun.count == 16, lun.hasPrefix("5"), lun.allSatisfy(\.isHexDigit),
              let oui = UInt64(lun.dropFirst().prefix(6), radix: 16),
              let id = UInt64(lun.dropFirst(7), radix: 16) else { return nil }
        return "5-\(String(oui, radix: 16))-\(String(id, radix: 16))"
    }

    /// ATA attribute ids reported in `attributes`, by raw value.
    static let ataAttributes: [(id: Int, key: String)] = [
        (5, "reallocatedSectors"), (197, "pendingSectors"), (198, "offlineUncorrectable"), (199, "udmaCrcErrors"),
    ]

    /// The counters worth watching, by protocol. Only the ones the disk reports are present; `nil` when none.
    static func attributes(_ json: JSONCursor) -> JSONValue? {
        var values: [String: Double] = [:]
        let nvme = json["nvme_smart_health_information_log"]
        if let hours = json["power_on_time"]["hours"].double ?? nvme["power_on_hours"].double {
            values["powerOnHours"] = hours
        }
        if let cycles = json["power_cycle_count"].double ?? nvme["power_cycles"].double
            ?? json["scsi_start_stop_cycle_counter"]["accumulated_start_stop_cycles"].double {
            values["powerCycles"] = cycles
        }
        for row in json["ata_smart_attributes"]["table"].array {
            guard let id = row["id"].int, let key = ataAttributes.first(where: { $0.id == id })?.key,
                  let raw = row["raw"]["value"].double else { continue }
            values[key] = raw
        }
        if let grown = json["scsi_grown_defect_list"].double { values["reallocatedSectors"] = grown }
        for (source, key) in [("percentage_used", "percentageUsed"), ("available_spare", "availableSpare"),
                              ("media_errors", "mediaErrors"), ("unsafe_shutdowns", "unsafeShutdowns")] {
            if let value = nvme[source].double { values[key] = value }
        }
        return values.isEmpty ? nil : .object(values.mapValues { .number($0) })
    }

    private static func nonEmpty(_ text: String?) -> String? {
        guard let text = text?.trimmingWhitespace(), !text.isEmpty else { return nil }
        return text
    }
}
