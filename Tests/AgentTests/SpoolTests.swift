import Foundation
import PulseCommon
import Testing
@testable import PulseAgent

/// The durable spool: order, bounds, crash safety, restart, the in-memory fallback.
struct SpoolTests {
    static let failure = DeliveryFailure(status: nil, message: "connection refused", retryable: true)

    static func report(_ sequence: Int64, padding: Int = 0) -> HostReport {
        HostReport(agent: .init(id: "agent-1"), host: .init(hostname: "h" + String(repeating: "x", count: padding)),
                   timestamp: Date(timeIntervalSince1970: 1_700_000_000 + Double(sequence % 100_000)),
                   sequenceId: String(sequence))
    }

    static func reportFiles(_ directory: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).filter { $0.hasSuffix(".json") }.sorted()
    }

    @Test func keepsOneFilePerReportAndReplaysOldestFirst() throws {
        let directory = try TestSupport.temporaryDirectory()
        defer { TestSupport.remove(directory) }
        let spool = ReportSpool.open(directory: directory + "/spool", bounds: SpoolBounds(), logger: TestSupport.logger())
        for sequence: Int64 in [1_700_000_000_002, 1_700_000_000_001, 1_700_000_000_003] {
            spool.keep(Self.report(sequence), failure: Self.failure)
        }
        #expect(Self.reportFiles(directory + "/spool") == ["00000001700000000001.json", "00000001700000000002.json",
                                                           "00000001700000000003.json"])
        let oldest = spool.oldest(limit: 2)
        try #require(oldest.map(\.sequenceId) == ["1700000000001", "1700000000002"])
        #expect(oldest.first == Self.report(1_700_000_000_001), "a replay is the report as it was spooled")
        spool.remove(oldest[0])
        #expect(spool.oldest(limit: 10).map(\.sequenceId) == ["1700000000002", "1700000000003"])
        #expect(spool.statistics.reports == 2 && spool.statistics.kept == 3 && spool.statistics.durable)
        #expect(spool.highestSequence == 1_700_000_000_003)
        let mode = try FileManager.default.attributesOfItem(atPath: directory + "/spool")[.posixPermissions] as? Int
        #expect(mode == 0o700)
    }

    @Test func dropsTheOldestBeyondTheReportBound() throws {
        let directory = try TestSupport.temporaryDirectory()
        defer { TestSupport.remove(directory) }
        let logs = LogLines()
        let spool = ReportSpool.open(directory: directory, bounds: SpoolBounds(maxReports: 3),
                                     logger: TestSupport.logger(logs))
        for sequence: Int64 in 1...5 { spool.keep(Self.report(sequence), failure: Self.failure) }
        #expect(spool.oldest(limit: 10).map(\.sequenceId) == ["3", "4", "5"])
        #expect(spool.statistics.dropped == 2 && spool.statistics.reports == 3 && spool.statistics.kept == 5)
        #expect(Self.reportFiles(directory).count == 3)
        let warnings = logs.all.filter { $0.contains("spool full; dropped the oldest reports") }
        #expect(warnings.count == 2)
        #expect(warnings.last?.contains("\"droppedTotal\":\"2\"") == true)
    }

    @Test func dropsTheOldestBeyondTheByteBound() throws {
        let directory = try TestSupport.temporaryDirectory()
        defer { TestSupport.remove(directory) }
        let size = Array(try WireJSON.encoder().encode(Self.report(1, padding: 1000))).count
        let spool = ReportSpool.open(directory: directory, bounds: SpoolBounds(maxReports: 100, maxBytes: size * 2 + 10),
                                     logger: TestSupport.logger())
        for sequence: Int64 in 1...4 { spool.keep(Self.report(sequence, padding: 1000), failure: Self.failure) }
        #expect(spool.oldest(limit: 10).map(\.sequenceId) == ["3", "4"])
        #expect(spool.statistics.dropped == 2 && spool.statistics.bytes <= size * 2 + 10)

        // A report larger than the whole bound is not kept at all.
        let tiny = ReportSpool.open(directory: directory + "/tiny", bounds: SpoolBounds(maxBytes: 10),
                                    logger: TestSupport.logger())
        tiny.keep(Self.report(9), failure: Self.failure)
        #expect(tiny.isEmpty && tiny.statistics.dropped == 1)
    }

    @Test func survivesARestartAndCleansUnfinishedWrites() throws {
        let directory = try TestSupport.temporaryDirectory()
        defer { TestSupport.remove(directory) }
        do {
            let spool = ReportSpool.open(directory: directory, bounds: SpoolBounds(), logger: TestSupport.logger())
            for sequence: Int64 in [10, 11, 12] { spool.keep(Self.report(sequence), failure: Self.failure) }
        }
        // A crash during a write leaves a temp file; strangers in the directory are left alone.
        try TestSupport.write("{\"truncated", to: directory + "/.tmp-00000000000000000013.json")
        try TestSupport.write("notes", to: directory + "/README")
        let logs = LogLines()
        let reopened = ReportSpool.open(directory: directory, bounds: SpoolBounds(maxReports: 2),
                                        logger: TestSupport.logger(logs))
        #expect(reopened.oldest(limit: 10).map(\.sequenceId) == ["11", "12"], "over the new bound: oldest dropped")
        #expect(reopened.statistics.dropped == 1 && reopened.highestSequence == 12)
        #expect(!FileManager.default.fileExists(atPath: directory + "/.tmp-00000000000000000013.json"))
        #expect(FileManager.default.fileExists(atPath: directory + "/README"))
        #expect(logs.all.contains { $0.contains("removed unfinished spool files") && $0.contains("\"files\":\"1\"") })
    }

    @Test func anUnreadableFileIsDeletedWithAWarning() throws {
        let directory = try TestSupport.temporaryDirectory()
        defer { TestSupport.remove(directory) }
        try TestSupport.write("not json", to: directory + "/00000000000000000001.json")
        let logs = LogLines()
        let spool = ReportSpool.open(directory: directory, bounds: SpoolBounds(), logger: TestSupport.logger(logs))
        spool.keep(Self.report(2), failure: Self.failure)
        #expect(spool.oldest(limit: 10).map(\.sequenceId) == ["2"])
        #expect(spool.statistics.dropped == 1)
        #expect(logs.all.contains { $0.contains("unreadable spooled report deleted") })
        #expect(Self.reportFiles(directory) == ["00000000000000000002.json"])
    }

    @Test func aReportWithoutSequenceGetsTheNextOne() throws {
        let spool = ReportSpool.inMemory(bounds: SpoolBounds(), logger: TestSupport.logger())
        spool.keep(Self.report(41), failure: Self.failure)
        spool.keep(HostReport(host: .init(hostname: "h")), failure: Self.failure)
        #expect(spool.oldest(limit: 5).map(\.sequenceId) == ["41", "42"])
    }

    @Test func fallsBackToMemoryWhenTheDirectoryIsUnusable() throws {
        let directory = try TestSupport.temporaryDirectory()
        defer { TestSupport.remove(directory) }
        try TestSupport.write("a file, not a directory", to: directory + "/file")
        let logs = LogLines()
        let spool = ReportSpool.open(directory: directory + "/file/spool", bounds: SpoolBounds(maxReports: 2),
                                     logger: TestSupport.logger(logs))
        #expect(spool.location == "memory" && !spool.statistics.durable)
        #expect(logs.all.contains { $0.contains("\"level\":\"warn\"") && $0.contains("kept in memory only") })
        for sequence: Int64 in 1...3 { spool.keep(Self.report(sequence), failure: Self.failure) }
        #expect(spool.oldest(limit: 5).map(\.sequenceId) == ["2", "3"], "the same bounds apply in memory")
        #expect(spool.statistics.dropped == 1)
    }

    @Test func aSecondAgentCannotShareTheDirectory() throws {
        let directory = try TestSupport.temporaryDirectory()
        defer { TestSupport.remove(directory) }
        let first = ReportSpool.open(directory: directory, bounds: SpoolBounds(), logger: TestSupport.logger())
        let logs = LogLines()
        let second = ReportSpool.open(directory: directory, bounds: SpoolBounds(), logger: TestSupport.logger(logs))
        #expect(first.statistics.durable && !second.statistics.durable)
        #expect(logs.all.contains { $0.contains("another pulse-agent holds the lock") })
    }

    @Test func indexKeepsOrderAndEvictsTheOldest() {
        var index = SpoolIndex(bounds: SpoolBounds(maxReports: 3, maxBytes: 100))
        for (sequence, bytes) in [(5, 10), (1, 10), (3, 10), (3, 20)] as [(Int64, Int)] {
            index.insert(sequence: sequence, bytes: bytes)
        }
        #expect(index.oldest(limit: 10) == [1, 3, 5] && index.totalBytes == 40)
        index.insert(sequence: 7, bytes: 70)
        #expect(index.evictToFit() == [1], "4 reports > 3 and 110 bytes > 100: one eviction fixes both")
        #expect(index.oldest(limit: 10) == [3, 5, 7] && index.totalBytes == 100)
        index.insert(sequence: 8, bytes: 50)
        #expect(index.evictToFit() == [3, 5, 7], "150 bytes: the oldest go until ≤ 100")
        #expect(index.oldest(limit: 10) == [8] && index.totalBytes == 50)
        #expect(index.remove(8) && !index.remove(8) && index.isEmpty && index.totalBytes == 0)
    }

    @Test func sizesParse() {
        #expect(SpoolBounds.parseSize("67108864") == 67_108_864)
        #expect(SpoolBounds.parseSize("64MiB") == 64 << 20)
        #expect(SpoolBounds.parseSize("64M") == 64 << 20)
        #expect(SpoolBounds.parseSize("512 KiB") == 512 << 10)
        #expect(SpoolBounds.parseSize("1GiB") == 1 << 30)
        #expect(SpoolBounds.parseSize("100kB") == 100_000)
        #expect(SpoolBounds.parseSize("lots") == nil && SpoolBounds.parseSize("5 parsecs") == nil)
        #expect(SpoolBounds.parseSize("") == nil && SpoolBounds.parseSize("-5") == nil)
    }

    @Test func fileNamesRoundTrip() {
        #expect(DiskSpoolStorage.fileName(42) == "00000000000000000042.json")
        #expect(DiskSpoolStorage.sequence(ofFileName: "00000000000000000042.json") == 42)
        #expect(DiskSpoolStorage.sequence(ofFileName: ".tmp-00000000000000000042.json") == nil)
        #expect(DiskSpoolStorage.sequence(ofFileName: "0000000000000000004x.json") == nil)
        #expect(DiskSpoolStorage.sequence(ofFileName: ".lock") == nil)
    }
}
