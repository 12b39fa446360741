#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import PulseCommon
import Synchronization

/// The bounded spool of undelivered reports (agent-protocol 4, done better): on disk by default so it survives
/// agent and hub restarts, replayed oldest first before the live report, the oldest dropped (counted and logged)
/// beyond `--spool-max-reports` or `--spool-max-bytes`. A report leaves only after the hub accepted it (2xx) or
/// refused it for good, so nothing is lost or sent twice by the agent.
///
/// Thread-safe: the host module keeps and replays; at shutdown the main thread may keep the in-flight report.
public final class ReportSpool: UndeliveredReportStore, Sendable {
    /// The default directory (the systemd installer's state directory).
    public static let defaultDirectory = "/var/lib/pulse-agent/spool"

    private struct State {
        var index: SpoolIndex
        let storage: any SpoolStorage
        var statistics = SpoolStatistics()
    }

    private let state: Mutex<State>
    private let logger: Logger
    /// The spool directory, or `memory`.
    public let location: String

    private init(storage: any SpoolStorage, index: SpoolIndex, statistics: SpoolStatistics, logger: Logger) {
        location = storage.location
        var initial = State(index: index, storage: storage, statistics: statistics)
        initial.statistics.durable = storage.durable
        initial.statistics.reports = index.count
        initial.statistics.bytes = index.totalBytes
        state = Mutex(initial)
        self.logger = logger
    }

    /// The spool in `directory`, created if missing; if it cannot be used (no permission on a developer's
    /// machine, a read-only filesystem, another agent holding it), the in-memory fallback with a warning.
    public static func open(directory: String, bounds: SpoolBounds, logger: Logger) -> ReportSpool {
        do {
            return try openDisk(directory: directory, bounds: bounds, logger: logger)
        } catch {
            logger.warn("cannot use the spool directory; undelivered reports are kept in memory only and are lost "
                            + "on restart",
                        ["dir": directory, "error": "\(error)", "hint": "set --spool-dir to a writable directory"])
            return inMemory(bounds: bounds, logger: logger)
        }
    }

    /// A spool that lives in memory only.
    public static func inMemory(bounds: SpoolBounds, logger: Logger) -> ReportSpool {
        ReportSpool(storage: MemorySpoolStorage(), index: SpoolIndex(bounds: bounds), statistics: SpoolStatistics(),
                    logger: logger)
    }

    /// The disk spool, after deleting leftover temp files of an interrupted write and applying the bounds.
    static func openDisk(directory: String, bounds: SpoolBounds, logger: Logger) throws(SpoolError) -> ReportSpool {
        let folder = try SpoolDirectory(path: directory)
        let storage = DiskSpoolStorage(directory: folder)
        var index = SpoolIndex(bounds: bounds)
        var cleaned = 0
        for name in try folder.names() {
            if name.hasPrefix(SpoolDirectory.temporaryPrefix) {
                folder.remove(name)
                cleaned += 1
            } else if let sequence = DiskSpoolStorage.sequence(ofFileName: name), let size = folder.size(of: name) {
                index.insert(sequence: sequence, bytes: size)
            }
        }
        var statistics = SpoolStatistics()
        let evicted = index.evictToFit()
        for sequence in evicted { storage.remove(sequence) }
        statistics.dropped = evicted.count
        if cleaned > 0 {
            logger.info("removed unfinished spool files left by an interrupted write", ["dir": directory,
                                                                                       "files": String(cleaned)])
        }
        if !evicted.isEmpty {
            logger.warn("spool over its bounds at start; dropped the oldest reports",
                        ["dir": directory, "dropped": String(evicted.count)])
        }
        logger.info("spool opened",
                    ["dir": directory, "reports": String(index.count), "bytes": String(index.totalBytes)])
        return ReportSpool(storage: storage, index: index, statistics: statistics, logger: logger)
    }

    /// Counts and sizes.
    public var statistics: SpoolStatistics { state.withLock { $0.statistics } }

    /// The largest `sequenceId` held, so a restarted agent's counter continues above it.
    public var highestSequence: Int64? { state.withLock { $0.index.highestSequence } }

    public var isEmpty: Bool { state.withLock { $0.index.isEmpty } }

    public func keep(_ report: HostReport, failure: DeliveryFailure) {
        var report = report
        let outcome: (sequence: Int64, dropped: Int, statistics: SpoolStatistics, error: SpoolError?)
        outcome = state.withLock { state in
            let sequence = report.sequenceId.flatMap(Int64.init).flatMap { $0 >= 0 ? $0 : nil }
                ?? (state.index.highestSequence ?? 0) + 1
            report.sequenceId = String(sequence)
            let bytes: [UInt8]
            do {
                bytes = Array(try WireJSON.encoder().encode(report))
            } catch {
                state.statistics.dropped += 1
                let failure = SpoolError(operation: "encode report", path: "\(error)", errno: 0)
                return (sequence, 1, state.statistics, failure)
            }
            guard bytes.count <= state.index.bounds.maxBytes else {
                state.statistics.dropped += 1
                let failure = SpoolError(operation: "report larger than --spool-max-bytes:", path: String(bytes.count),
                                         errno: 0)
                return (sequence, 1, state.statistics, failure)
            }
            do throws(SpoolError) {
                try state.storage.write(bytes, sequence: sequence)
            } catch {
                state.statistics.dropped += 1
                return (sequence, 1, state.statistics, error)
            }
            state.index.insert(sequence: sequence, bytes: bytes.count)
            state.statistics.kept += 1
            let evicted = state.index.evictToFit()
            for victim in evicted { state.storage.remove(victim) }
            state.statistics.dropped += evicted.count
            state.statistics.reports = state.index.count
            state.statistics.bytes = state.index.totalBytes
            return (sequence, evicted.count, state.statistics, nil)
        }
        if let error = outcome.error {
            logger.error("cannot spool an undelivered report; it is lost",
                         ["sequenceId": String(outcome.sequence), "error": "\(error)", "dir": location])
            return
        }
        logger.debug("report spooled", ["sequenceId": String(outcome.sequence), "reason": failure.description,
                                         "spooled": String(outcome.statistics.reports)])
        if outcome.dropped > 0 {
            logger.warn("spool full; dropped the oldest reports",
                        ["dropped": String(outcome.dropped), "droppedTotal": String(outcome.statistics.dropped),
                         "reports": String(outcome.statistics.reports), "bytes": String(outcome.statistics.bytes)])
        }
    }

    public func oldest(limit: Int) -> [HostReport] {
        var unreadable: [(Int64, String)] = []
        let reports: [HostReport] = state.withLock { state in
            let decoder = WireJSON.decoder()
            var reports: [HostReport] = []
            for sequence in state.index.oldest(limit: limit) {
                do {
                    let bytes = try state.storage.read(sequence, limit: state.index.bounds.maxBytes + 1)
                    var report = try decoder.decode(HostReport.self, from: Data(bytes))
                    report.sequenceId = String(sequence)
                    reports.append(report)
                } catch {
                    unreadable.append((sequence, "\(error)"))
                    state.storage.remove(sequence)
                    state.index.remove(sequence)
                    state.statistics.dropped += 1
                }
            }
            state.statistics.reports = state.index.count
            state.statistics.bytes = state.index.totalBytes
            return reports
        }
        for (sequence, error) in unreadable {
            logger.warn("unreadable spooled report deleted", ["sequenceId": String(sequence), "error": error])
        }
        return reports
    }

    public func remove(_ report: HostReport) {
        guard let sequence = report.sequenceId.flatMap(Int64.init) else { return }
        state.withLock { state in
            guard state.index.remove(sequence) else { return }
            state.storage.remove(sequence)
            state.statistics.reports = state.index.count
            state.statistics.bytes = state.index.totalBytes
        }
    }
}
