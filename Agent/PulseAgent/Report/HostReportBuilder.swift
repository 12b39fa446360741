#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import PulseCommon

/// Assembles a `HostReport` from the identity, the configuration and the collectors.
///
/// Each collector writes into a draft copy; a collector that throws has its draft discarded and its error
/// logged (at warn when the error is new, at debug while it repeats), so the rest of the report still goes out.
public final class HostReportBuilder {
    /// Fixed report fields, known at start.
    public struct Metadata: Sendable, Equatable {
        public var identity: AgentIdentity
        public var version: String
        public var intervalSeconds: Int
        public var tags: [String]
        public var reportIP: String?
        /// The version this binary replaced, when it was just installed by a self-update.
        public var updatedFrom: String?

        public init(identity: AgentIdentity, version: String, intervalSeconds: Int, tags: [String],
                    reportIP: String?, updatedFrom: String? = nil) {
            self.updatedFrom = updatedFrom
            self.identity = identity
            self.version = version
            self.intervalSeconds = intervalSeconds
            self.tags = tags
            self.reportIP = reportIP
        }
    }

    let metadata: Metadata
    let collectors: [any HostCollector]
    let fs: HostFS
    let system: SystemProbes
    let logger: Logger
    let sequence: SequenceCounter
    /// The last error text per failing collector, to log a persistent failure once at warn.
    private var lastErrors: [String: String] = [:]

    public init(metadata: Metadata, collectors: [any HostCollector], fs: HostFS, system: SystemProbes,
                logger: Logger, sequence: SequenceCounter = SequenceCounter()) {
        self.metadata = metadata
        self.collectors = collectors
        self.fs = fs
        self.system = system
        self.logger = logger
        self.sequence = sequence
    }

    /// The host module's collectors, in report order.
    public static func standardCollectors(diskExclude: [String]) -> [any HostCollector] {
        let exclusions = ExclusionPatterns(diskExclude)
        return [
            OSReleaseCollector(), KernelCollector(), CPUInfoCollector(), UptimeCollector(), LoadAverageCollector(),
            CPUUsageCollector(), MemoryCollector(), FilesystemCollector(exclusions: exclusions),
            DiskIOCollector(exclusions: exclusions), NetworkCollector(),
            SensorsCollector(), PowerCollector(), SMARTCollector(exclusions: exclusions), RAIDCollector(),
            CephCollector(),
        ]
    }

    /// Collects one report stamped with `now` (UTC on the wire).
    public func build(now: Date) -> HostReport {
        let identity = metadata.identity
        var report = HostReport(
            agent: HostReport.Agent(id: identity.agentID, version: metadata.version, type: "unified",
                                    intervalSeconds: metadata.intervalSeconds, hostname: identity.hostname,
                                    updatedFrom: metadata.updatedFrom),
            host: HostReport.Host(id: identity.machineID ?? identity.agentID, hostname: identity.hostname,
                                  displayName: identity.hostname, machineId: identity.machineID,
                                  reportIp: metadata.reportIP),
            // Always present, possibly `{}`, as the reference encodes them.
            metrics: HostReport.Metrics(), sensors: HostReport.Sensors(),
            tags: metadata.tags.isEmpty ? nil : metadata.tags,
            timestamp: now,
            sequenceId: String(sequence.next(nowMilliseconds: Int64((now.timeIntervalSince1970 * 1000).rounded(.down)))))
        let context = CollectContext(fs: fs, system: system, now: now, logger: logger)
        for collector in collectors {
            var draft = report
            do {
                try collector.collect(context, into: &draft)
                report = draft
                if lastErrors.removeValue(forKey: collector.name) != nil {
                    logger.info("collector recovered", ["collector": collector.name])
                }
            } catch {
                let text = "\(error)"
                let fields = ["collector": collector.name, "error": text]
                if lastErrors[collector.name] == text {
                    logger.debug("collector failed; section omitted", fields)
                } else {
                    logger.warn("collector failed; section omitted", fields)
                    lastErrors[collector.name] = text
                }
            }
        }
        return report
    }
}
