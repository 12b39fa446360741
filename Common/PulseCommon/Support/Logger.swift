#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// Log severity, ordered.
public enum LogLevel: Int, Sendable, Comparable, CaseIterable {
    case debug, info, warn, error

    public init?(name: String) {
        switch name.lowercased() {
        case "debug", "trace": self = .debug
        case "info": self = .info
        case "warn", "warning": self = .warn
        case "error", "fatal": self = .error
        default: return nil
        }
    }

    public var name: String { ["debug", "info", "warn", "error"][rawValue] }
    public static func < (lhs: LogLevel, rhs: LogLevel) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// Log line format.
public enum LogFormat: String, Sendable {
    case json, text
}

/// A structured logger writing one line per event to stderr: JSON `{level,time,message,component,…}` or text.
///
/// A value type; `with(component:)` derives a logger for a subsystem. The threshold is shared, so it can be
/// changed at run time (remote config) for every derived logger.
public struct Logger: Sendable {
    final class Sink: Sendable {
        let threshold: Atomic<Int>
        let format: LogFormat
        let lock = Mutex(())
        let write: @Sendable (String) -> Void
        init(level: LogLevel, format: LogFormat, write: @escaping @Sendable (String) -> Void) {
            threshold = Atomic(level.rawValue)
            self.format = format
            self.write = write
        }
    }

    let sink: Sink
    /// The subsystem, written as `component`.
    public let component: String

    public init(level: LogLevel = .info, format: LogFormat = .json, component: String = "main",
                write: (@Sendable (String) -> Void)? = nil) {
        sink = Sink(level: level, format: format, write: write ?? { line in
            var bytes = Array(line.utf8)
            bytes.append(10)
            _ = bytes.withUnsafeBytes { fputs_unlocked_bytes($0) }
        })
        self.component = component
    }

    private init(sink: Sink, component: String) {
        self.sink = sink
        self.component = component
    }

    /// A logger for another component sharing this one's output and threshold.
    public func with(component: String) -> Logger { Logger(sink: sink, component: component) }

    /// The current threshold.
    public var level: LogLevel {
        get { LogLevel(rawValue: sink.threshold.load(ordering: .relaxed)) ?? .info }
        nonmutating set { sink.threshold.store(newValue.rawValue, ordering: .relaxed) }
    }

    public func debug(_ message: @autoclosure () -> String, _ fields: @autoclosure () -> [String: String] = [:]) {
        log(.debug, message(), fields())
    }
    public func info(_ message: @autoclosure () -> String, _ fields: @autoclosure () -> [String: String] = [:]) {
        log(.info, message(), fields())
    }
    public func warn(_ message: @autoclosure () -> String, _ fields: @autoclosure () -> [String: String] = [:]) {
        log(.warn, message(), fields())
    }
    public func error(_ message: @autoclosure () -> String, _ fields: @autoclosure () -> [String: String] = [:]) {
        log(.error, message(), fields())
    }

    /// Writes one event if `level` passes the threshold.
    public func log(_ level: LogLevel, _ message: @autoclosure () -> String,
                    _ fields: @autoclosure () -> [String: String] = [:]) {
        guard level.rawValue >= sink.threshold.load(ordering: .relaxed) else { return }
        let time = RFC3339.format(Date())
        let text = message()
        let extra = fields()
        let line: String
        switch sink.format {
        case .json:
            var out = "{\"level\":\"\(level.name)\",\"time\":\"\(time)\",\"message\":\(Self.quote(text)),\"component\":\(Self.quote(component))"
            for key in extra.keys.sorted() { out += ",\(Self.quote(key)):\(Self.quote(extra[key]!))" }
            line = out + "}"
        case .text:
            var out = "\(time) \(level.name.uppercased()) [\(component)] \(text)"
            for key in extra.keys.sorted() { out += " \(key)=\(extra[key]!)" }
            line = out
        }
        sink.lock.withLock { _ in sink.write(line) }
    }

    /// A JSON string literal.
    static func quote(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}

private func fputs_unlocked_bytes(_ buffer: UnsafeRawBufferPointer) -> Int {
    var offset = 0
    while offset < buffer.count {
        let written = write(2, buffer.baseAddress! + offset, buffer.count - offset)
        if written <= 0 { return offset }
        offset += written
    }
    return offset
}
