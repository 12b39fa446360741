import PulseCommon

/// The settings that may change while the agent runs: the local configuration, overlaid by the hub's profile.
public struct RuntimeSettings: Sendable, Equatable {
    public var interval: Duration
    public var logLevel: LogLevel
    /// `--disk-exclude` patterns.
    public var diskExclude: [String]
    /// Collector names or dotted prefixes not to run (`ceph` for `--disable-ceph`).
    public var disabledCollectors: [String]
    public var reportIP: String?

    public init(interval: Duration, logLevel: LogLevel, diskExclude: [String] = [], disabledCollectors: [String] = [],
                reportIP: String? = nil) {
        self.interval = interval
        self.logLevel = logLevel
        self.diskExclude = diskExclude
        self.disabledCollectors = disabledCollectors
        self.reportIP = reportIP
    }

    /// `agent.intervalSeconds`: whole seconds, at least 1.
    public var intervalSeconds: Int { max(1, Int((Double(interval.milliseconds) / 1000).rounded())) }

    /// What the collectors are built from: a change rebuilds them.
    struct Collection: Sendable, Equatable {
        var diskExclude: [String]
        var disabledCollectors: [String]
    }

    var collection: Collection { Collection(diskExclude: diskExclude, disabledCollectors: disabledCollectors) }

    /// Whether a collector is disabled: its name equals an entry or starts with an entry followed by `.`
    /// (`ceph` disables `ceph` and `ceph.status`; `host.disks` only that one).
    func disables(_ collectorName: String) -> Bool {
        disabledCollectors.contains { entry in
            collectorName == entry || collectorName.hasPrefix(entry + ".")
        }
    }

    /// These settings with the hub's overrides applied.
    func overlaid(with remote: RemoteSettings) -> RuntimeSettings {
        var result = self
        if let interval = remote.interval { result.interval = interval }
        if let level = remote.logLevel { result.logLevel = level }
        if let exclude = remote.diskExclude { result.diskExclude = exclude }
        if let disabled = remote.disabledCollectors { result.disabledCollectors = disabled }
        if let disableCeph = remote.disableCeph {
            result.disabledCollectors.removeAll { $0 == "ceph" }
            if disableCeph { result.disabledCollectors.append("ceph") }
        }
        if let reportIP = remote.reportIP { result.reportIP = reportIP.isEmpty ? nil : reportIP }
        return result
    }

    /// The names of the settings that differ, for the log.
    func changes(from old: RuntimeSettings) -> [String: String] {
        var changes: [String: String] = [:]
        if interval != old.interval { changes["interval"] = "\(intervalSeconds)s" }
        if logLevel != old.logLevel { changes["log_level"] = logLevel.name }
        if diskExclude != old.diskExclude { changes["disk_exclude"] = diskExclude.joined(separator: ",") }
        if disabledCollectors != old.disabledCollectors {
            changes["disabled_collectors"] = disabledCollectors.joined(separator: ",")
        }
        if reportIP != old.reportIP { changes["report_ip"] = reportIP ?? "" }
        return changes
    }
}
