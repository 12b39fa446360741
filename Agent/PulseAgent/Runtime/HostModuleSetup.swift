import PulseCommon

/// Everything needed to build the host module's report builder on its own thread.
///
/// The collector list itself is `HostReportBuilder.standardCollectors(diskExclude:)`; this applies the
/// runtime settings to it (disabled collectors dropped) and wraps each collector to time it for `/metrics`.
struct HostModuleSetup: Sendable {
    let metadata: HostReportBuilder.Metadata
    let fs: HostFS
    let system: SystemProbes
    let logger: Logger
    let sequence: SequenceCounter
    let metrics: AgentMetrics?

    init(configuration: AgentConfiguration, identity: AgentIdentity, system: SystemProbes, logger: Logger,
         metrics: AgentMetrics? = nil, sequence: SequenceCounter = SequenceCounter(), updatedFrom: String? = nil) {
        metadata = HostReportBuilder.Metadata(identity: identity, version: pulseAgentVersion,
                                              intervalSeconds: configuration.intervalSeconds,
                                              tags: configuration.tags, reportIP: configuration.reportIP,
                                              updatedFrom: updatedFrom)
        fs = configuration.hostFS
        self.system = system
        self.logger = logger
        self.metrics = metrics
        self.sequence = sequence
    }

    /// The collectors for these settings, in report order.
    func collectors(for settings: RuntimeSettings) -> [any HostCollector] {
        let enabled = HostReportBuilder.standardCollectors(diskExclude: settings.diskExclude)
            .filter { !settings.disables($0.name) }
        guard let metrics else { return enabled }
        return enabled.map { TimedCollector(wrapped: $0, metrics: metrics) }
    }

    func makeBuilder(for settings: RuntimeSettings) -> HostReportBuilder {
        var metadata = metadata
        metadata.intervalSeconds = settings.intervalSeconds
        metadata.reportIP = settings.reportIP
        return HostReportBuilder(metadata: metadata, collectors: collectors(for: settings), fs: fs, system: system,
                                 logger: logger, sequence: sequence)
    }
}
