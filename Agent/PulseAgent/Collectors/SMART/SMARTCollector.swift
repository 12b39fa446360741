import PulseCommon

/// `sensors.smart`: one entry per physical disk, from `smartctl -n standby -i -A -H --json=o /dev/X`.
///
/// Disks come from `<sysfs>/block` (`BlockDevices`), minus the `--disk-exclude` patterns. Up to four disks are
/// queried at once, each with a 10 s limit, so one hung disk costs one slot rather than the whole report (the
/// reference ran them one after another inside a shared 10 s budget). `-n standby` keeps sleeping disks asleep:
/// they are reported as `standby: true`. Without `smartctl` on the search path, or without disks, the section is
/// omitted with a debug log.
public struct SMARTCollector: HostCollector {
    public let name = "sensors.smart"
    let exclusions: ExclusionPatterns
    let timeout: Duration
    let concurrency: Int

    public init(exclusions: ExclusionPatterns = ExclusionPatterns([]), timeout: Duration = .seconds(10),
                concurrency: Int = 4) {
        self.exclusions = exclusions
        self.timeout = timeout
        self.concurrency = concurrency
    }

    public func collect(_ context: CollectContext, into report: inout HostReport) throws {
        guard let disks = BlockDevices.read(context.fs, exclusions: exclusions), !disks.isEmpty else {
            context.logger.debug("no disks for SMART; section omitted")
            return
        }
        guard let smartctl = context.commands.locate("smartctl") else {
            context.logger.debug("smartctl not found; SMART omitted")
            return
        }
        let commands = disks.map { disk in
            Command(smartctl, ["-n", "standby", "-i", "-A", "-H", "--json=o", "/dev/" + disk], timeout: timeout)
        }
        var entries: [HostReport.SMARTDisk] = []
        for (disk, result) in zip(disks, context.commands.run(commands, concurrency: concurrency)) {
            switch result {
            case .failure(let error):
                context.logger.debug("smartctl failed", ["device": disk, "error": "\(error)"])
            case .success(let output):
                switch SMARTParser.interpret(device: disk, result: output) {
                case .disk(let entry): entries.append(entry)
                case .skipped(let reason): context.logger.debug("no SMART data", ["device": disk, "reason": reason])
                }
            }
        }
        guard !entries.isEmpty else { return }
        var sensors = report.sensors ?? HostReport.Sensors()
        sensors.smart = entries
        report.sensors = sensors
    }
}
