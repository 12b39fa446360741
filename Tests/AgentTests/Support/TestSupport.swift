import Foundation
import PulseCommon
import Synchronization
@testable import PulseAgent

/// Paths and fakes shared by the agent tests.
enum TestSupport {
    /// `Tests/AgentTests/Fixtures`, found from this file's location.
    static let fixtures: String = {
        var path = #filePath
        for _ in 0..<2 { path = String(path[..<path.lastIndex(of: "/")!]) }
        return path + "/Fixtures"
    }()

    /// The node_exporter-based host tree.
    static let hostTree = fixtures + "/node_exporter"

    static var hostFS: HostFS {
        HostFS(procfs: hostTree + "/proc", sysfs: hostTree + "/sys", rootfs: hostTree)
    }

    /// A logger that drops everything (or records into `lines`).
    static func logger(_ lines: LogLines? = nil, level: LogLevel = .debug) -> Logger {
        Logger(level: level, format: .json, component: "test", write: { line in lines?.append(line) })
    }

    /// System calls answered from fixed values; `statvfs` from a table keyed by path.
    static func system(hostname: String? = "fixture-host",
                       uname: Uname? = Uname(nodename: "fixture-host", release: "9.9.9-uname", machine: "x86_64"),
                       stats: [String: FilesystemStats] = [:],
                       addresses: [String: [String]]? = nil) -> SystemProbes {
        var provider: (@Sendable () throws -> [String: [String]])?
        if let addresses { provider = { addresses } }
        return SystemProbes(hostname: { hostname }, uname: { uname },
                     filesystemStats: { path in
                         guard let value = stats[path] else { throw SystemCallError(call: "statvfs \(path)", errno: ENOENT) }
                         return value
                     },
                     interfaceAddresses: provider,
                     sleep: { _ in })
    }

    static func context(fs: HostFS = hostFS, system: SystemProbes = system()) -> CollectContext {
        CollectContext(fs: fs, system: system, now: Date(timeIntervalSince1970: 1_700_000_000), logger: logger())
    }

    /// A fresh directory under the system temp directory, removed by the caller with `remove`.
    static func temporaryDirectory() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("agent-tests-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    static func write(_ text: String, to path: String) throws {
        let directory = (path as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try text.write(toFile: path, atomically: true, encoding: .utf8)
    }

    static func remove(_ path: String) {
        try? FileManager.default.removeItem(atPath: path)
    }
}

/// Log lines captured by a test logger.
final class LogLines: Sendable {
    private let storage = Mutex<[String]>([])

    func append(_ line: String) { storage.withLock { $0.append(line) } }
    var all: [String] { storage.withLock { $0 } }
}
