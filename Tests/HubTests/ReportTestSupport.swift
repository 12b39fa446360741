import Foundation
import PulseCommon
import Testing

/// Helpers for the report tests: host reports with disks, an RFC 4180 parser, and the PDF tools from poppler-utils
/// and qpdf.

/// A host report with CPU, memory and the root filesystem (JSON built by JSONSerialization, so any name is escaped).
func hostReportJSON(hostname: String, id: String, displayName: String? = nil, at date: Date, cpu: Double,
                    memoryPercent: Double, diskPercent: Double, interval: Int = 30) throws -> String {
    let total: Int64 = 100_000_000_000
    var host: [String: Any] = ["hostname": hostname, "id": id, "platform": "debian"]
    if let displayName { host["displayName"] = displayName }
    let report: [String: Any] = [
        "agent": ["id": "agent-" + id, "version": "0.1.0", "type": "unified", "intervalSeconds": interval],
        "host": host,
        "metrics": ["cpuUsagePercent": cpu,
                    "memory": ["totalBytes": 1_000_000, "usedBytes": Int64(memoryPercent * 10_000)]],
        "disks": [["device": "/dev/sda1", "mountpoint": "/", "type": "ext4", "totalBytes": total,
                   "usedBytes": Int64(Double(total) * diskPercent / 100)]],
        "timestamp": RFC3339.format(date),
    ]
    let data = try JSONSerialization.data(withJSONObject: report)
    return String(decoding: data, as: UTF8.self)
}

/// A strict RFC 4180 reader: CRLF (or LF) record ends, quoted fields with doubled quotes and embedded line breaks.
/// Throws on a quote inside an unquoted field or text after a closing quote.
enum CSVReader {
    struct Malformed: Error, CustomStringConvertible {
        let description: String
    }

    static func parse(_ text: String) throws -> [[String]] {
        var records: [[String]] = []
        var record: [String] = []
        var field = ""
        var scalars = Array(text.unicodeScalars)[...]
        var fieldStarted = false
        func endField() {
            record.append(field)
            field = ""
            fieldStarted = false
        }
        func endRecord() {
            endField()
            records.append(record.count == 1 && record[0].isEmpty ? [] : record)
            record = []
        }
        while let scalar = scalars.popFirst() {
            switch scalar {
            case "\"" where !fieldStarted && field.isEmpty:
                fieldStarted = true
                var closed = false
                while let inner = scalars.popFirst() {
                    if inner == "\"" {
                        if scalars.first == "\"" {
                            scalars.removeFirst()
                            field.unicodeScalars.append("\"")
                        } else {
                            closed = true
                            break
                        }
                    } else {
                        field.unicodeScalars.append(inner)
                    }
                }
                guard closed else { throw Malformed(description: "unterminated quoted field") }
                guard let next = scalars.first, next == "," || next == "\r" || next == "\n" else {
                    if scalars.isEmpty { continue }
                    throw Malformed(description: "text after a closing quote in \(field.debugDescription)")
                }
            case "\"":
                throw Malformed(description: "quote inside an unquoted field \(field.debugDescription)")
            case ",":
                endField()
            case "\r":
                guard scalars.first == "\n" else { throw Malformed(description: "bare CR") }
                scalars.removeFirst()
                endRecord()
            case "\n":
                endRecord()
            default:
                fieldStarted = true
                field.unicodeScalars.append(scalar)
            }
        }
        if fieldStarted || !field.isEmpty || !record.isEmpty { endRecord() }
        return records
    }
}

/// Command-line tools the report tests drive. Absent tools skip those tests, except in CI (`CI` set), where they
/// must be installed (`scripts/setup-deps.sh test`) and a missing one fails the test.
enum ExternalTool {
    static let pdfTools = ["pdftotext", "pdftoppm", "pdfinfo", "pdffonts", "qpdf"]

    static var inCI: Bool { !(ProcessInfo.processInfo.environment["CI"] ?? "").isEmpty }

    /// Whether the PDF tests should run: the tools are there, or CI requires them.
    static var pdfTestsEnabled: Bool { inCI || pdfTools.allSatisfy { path($0) != nil } }

    static let skipReason: Comment = "poppler-utils and qpdf are not installed (scripts/setup-deps.sh test installs them; in CI they are required)"

    static func path(_ name: String) -> String? {
        let directories = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":")
        return directories.map { "\($0)/\(name)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    struct Result {
        let status: Int32
        let stdout: [UInt8]
        let stderr: String
        var text: String { String(decoding: stdout, as: UTF8.self) }
    }

    /// Runs a tool with stdin and stdout in temporary files (no pipe deadlocks), waiting at most 60 s.
    static func run(_ name: String, _ arguments: [String], stdin: [UInt8] = []) throws -> Result {
        guard let executable = path(name) else {
            throw HarnessFailure("\(name) is not installed; run scripts/setup-deps.sh test")
        }
        let base = NSTemporaryDirectory() + "pulse-tool-" + UUID().uuidString
        let inPath = base + ".in", outPath = base + ".out", errPath = base + ".err"
        defer { for path in [inPath, outPath, errPath] { try? FileManager.default.removeItem(atPath: path) } }
        FileManager.default.createFile(atPath: inPath, contents: Data(stdin))
        FileManager.default.createFile(atPath: outPath, contents: nil)
        FileManager.default.createFile(atPath: errPath, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardInput = FileHandle(forReadingAtPath: inPath)
        process.standardOutput = FileHandle(forWritingAtPath: outPath)
        process.standardError = FileHandle(forWritingAtPath: errPath)
        try process.run()
        let deadline = Date().addingTimeInterval(60)
        while process.isRunning, Date() < deadline { usleep(10_000) }
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
            throw HarnessFailure("\(name) \(arguments.joined(separator: " ")) did not finish within 60 s")
        }
        let out = (try? Data(contentsOf: URL(fileURLWithPath: outPath))).map(Array.init) ?? []
        let err = (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? ""
        return Result(status: process.terminationStatus, stdout: out, stderr: err)
    }
}

struct HarnessFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// A scratch directory deleted by `remove()`.
struct ScratchDirectory {
    let path: String

    init() throws {
        path = NSTemporaryDirectory() + "pulse-report-test-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    func write(_ name: String, _ bytes: [UInt8]) throws -> String {
        let file = path + "/" + name
        try Data(bytes).write(to: URL(fileURLWithPath: file))
        return file
    }

    func remove() { try? FileManager.default.removeItem(atPath: path) }
}
