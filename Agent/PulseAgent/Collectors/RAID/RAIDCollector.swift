import PulseCommon

/// `raid`: mdadm arrays from `/proc/mdstat`, enriched by `mdadm --detail /dev/mdN` when mdadm is installed.
///
/// `/proc/mdstat` alone gives the level, members with their roles, `(F)` faulty and `(S)` spare flags, the
/// `[UU_]` slot status and any resync/recovery/reshape progress and speed, so arrays are reported even without
/// mdadm (the reference reported nothing then). mdadm adds the name, UUID, its own state words and the slot
/// table; each `--detail` runs with a 5 s limit, four at a time, and a failed one leaves that array's mdstat view.
/// No `/proc/mdstat` (no md driver) or no arrays: the section is omitted with a debug log.
public struct RAIDCollector: HostCollector {
    public let name = "raid.mdadm"
    let timeout: Duration

    public init(timeout: Duration = .seconds(5)) {
        self.timeout = timeout
    }

    public func collect(_ context: CollectContext, into report: inout HostReport) throws {
        let path = context.fs.procPath("mdstat")
        guard context.fs.exists(path) else {
            context.logger.debug("no /proc/mdstat; RAID omitted")
            return
        }
        let parsed = try MDStat.parse(context.fs.read(path))
        guard !parsed.isEmpty else {
            context.logger.debug("no md arrays; RAID omitted")
            return
        }
        let sorted = parsed.sorted { NaturalOrder.less($0.name, $1.name) }
        var arrays = sorted.map(Self.array(from:))
        if let mdadm = context.commands.locate("mdadm") {
            let commands = sorted.map { Command(mdadm, ["--detail", "/dev/" + $0.name], timeout: timeout) }
            for (index, result) in context.commands.run(commands, concurrency: 4).enumerated() {
                switch result {
                case .success(let output) where output.exitStatus == 0:
                    do {
                        arrays[index] = Self.merge(try MDADMDetail.parse(output.standardOutput), into: arrays[index])
                    } catch {
                        context.logger.debug("unreadable mdadm --detail", ["array": sorted[index].name,
                                                                            "error": "\(error)"])
                    }
                case .success(let output):
                    context.logger.debug("mdadm --detail failed", ["array": sorted[index].name,
                                                                   "status": "\(output.termination)",
                                                                   "stderr": output.standardError])
                case .failure(let error):
                    context.logger.debug("mdadm --detail failed", ["array": sorted[index].name, "error": "\(error)"])
                }
            }
        } else {
            context.logger.debug("mdadm not found; RAID from /proc/mdstat only")
        }
        report.raid = arrays
    }

    /// Operations whose progress is reported as `rebuildPercent` (a check or repair only reads the disks).
    static let rebuildOperations: Set<String> = ["recovery", "resync", "reshape"]

    /// The report entry from mdstat alone. `state` uses mdadm's words: `clean` or `inactive`, then `degraded`
    /// when a slot is missing, then `recovering`, `resyncing`, `reshaping`, `checking` or `repairing` (with
    /// `(delayed)` / `(pending)` for a queued one).
    static func array(from md: MDStatArray) -> HostReport.RAIDArray {
        let faulty = md.members.filter(\.faulty).count
        let spares = md.members.filter { $0.spare && !$0.faulty }.count
        var words: [String] = []
        let active: Int
        if !md.active {
            words = ["inactive"]
            active = 0
        } else {
            words = ["clean"]
            if let status = md.slotStatus {
                active = status.filter { $0 == "U" }.count
                if status.contains("_") { words.append("degraded") }
            } else {
                active = md.members.filter { !$0.faulty && !$0.spare }.count  // raid0, linear: no redundancy line
            }
            if let operation = md.operation {
                let verb = ["recovery": "recovering", "resync": "resyncing", "reshape": "reshaping",
                            "check": "checking", "repair": "repairing"][operation.kind] ?? operation.kind
                words.append(operation.queued.map { "\(verb) (\($0.lowercased()))" } ?? verb)
            }
        }
        let level = md.level ?? (md.superblock.map { $0.hasPrefix("external:") && !$0.contains("/") } == true
            ? "container" : "unknown")
        let devices = md.members.sorted { $0.number < $1.number }.map { member in
            HostReport.RAIDDevice(device: "/dev/" + member.device,
                                  state: member.faulty ? "faulty" : member.spare ? "spare" : "active sync",
                                  slot: member.faulty || member.spare ? -1 : member.number)
        }
        let rebuilding = md.operation.flatMap { rebuildOperations.contains($0.kind) ? $0 : nil }
        return HostReport.RAIDArray(
            device: "/dev/" + md.name, level: level, state: words.joined(separator: ", "),
            totalDevices: md.members.count, activeDevices: active, workingDevices: md.members.count - faulty,
            failedDevices: faulty, spareDevices: spares, devices: devices,
            rebuildPercent: rebuilding?.percent ?? 0, rebuildSpeed: rebuilding?.speed)
    }

    /// mdadm's view over mdstat's: every field mdadm gave wins; the speed always comes from mdstat.
    static func merge(_ detail: MDADMDetail, into array: HostReport.RAIDArray) -> HostReport.RAIDArray {
        var merged = array
        merged.name = detail.name ?? array.name
        merged.level = detail.level ?? array.level
        merged.state = detail.state ?? array.state
        merged.totalDevices = detail.totalDevices ?? array.totalDevices
        merged.activeDevices = detail.activeDevices ?? array.activeDevices
        merged.workingDevices = detail.workingDevices ?? array.workingDevices
        merged.failedDevices = detail.failedDevices ?? array.failedDevices
        merged.spareDevices = detail.spareDevices ?? array.spareDevices
        merged.uuid = detail.uuid ?? array.uuid
        merged.rebuildPercent = detail.rebuildPercent ?? array.rebuildPercent
        if !detail.devices.isEmpty { merged.devices = detail.devices }
        return merged
    }
}
