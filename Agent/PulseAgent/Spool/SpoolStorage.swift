/// Where a `ReportSpool` keeps encoded reports, by `sequenceId`. Implementations are not thread-safe: they are
/// used only under `ReportSpool`'s mutex, which is what makes their `@unchecked Sendable` sound.
protocol SpoolStorage: AnyObject, Sendable {
    /// Survives a restart.
    var durable: Bool { get }
    /// The directory, or `memory`, for logs.
    var location: String { get }
    func write(_ bytes: [UInt8], sequence: Int64) throws(SpoolError)
    func read(_ sequence: Int64, limit: Int) throws(SpoolError) -> [UInt8]
    func remove(_ sequence: Int64)
}

/// One file per report, named by its zero-padded `sequenceId` (`00000001718000000000.json`), so a directory
/// listing sorts oldest first.
final class DiskSpoolStorage: SpoolStorage, @unchecked Sendable {
    let directory: SpoolDirectory
    var durable: Bool { true }
    var location: String { directory.path }

    init(directory: SpoolDirectory) {
        self.directory = directory
    }

    static func fileName(_ sequence: Int64) -> String {
        let digits = String(sequence)
        return String(repeating: "0", count: max(0, 20 - digits.count)) + digits + ".json"
    }

    /// The sequence of a report file name, `nil` for anything else (temp files, the lock, strangers).
    static func sequence(ofFileName name: String) -> Int64? {
        guard name.utf8.count == 25, name.hasSuffix(".json") else { return nil }
        let digits = name.utf8.prefix(20)
        guard digits.allSatisfy({ $0 >= 48 && $0 <= 57 }) else { return nil }
        return Int64(String(decoding: digits, as: UTF8.self))
    }

    func write(_ bytes: [UInt8], sequence: Int64) throws(SpoolError) {
        try directory.write(bytes, to: Self.fileName(sequence))
    }

    func read(_ sequence: Int64, limit: Int) throws(SpoolError) -> [UInt8] {
        try directory.read(Self.fileName(sequence), limit: limit)
    }

    func remove(_ sequence: Int64) {
        directory.remove(Self.fileName(sequence))
    }
}

/// The fallback when no spool directory is usable: the same bounds, lost on restart.
final class MemorySpoolStorage: SpoolStorage, @unchecked Sendable {
    private var reports: [Int64: [UInt8]] = [:]
    var durable: Bool { false }
    var location: String { "memory" }

    func write(_ bytes: [UInt8], sequence: Int64) throws(SpoolError) {
        reports[sequence] = bytes
    }

    func read(_ sequence: Int64, limit: Int) throws(SpoolError) -> [UInt8] {
        guard let bytes = reports[sequence] else {
            throw SpoolError(operation: "no report", path: String(sequence), errno: 0)
        }
        return bytes
    }

    func remove(_ sequence: Int64) {
        reports[sequence] = nil
    }
}
