import Foundation
import Glibc

/// A helper process (a Python fake engine or API server) started for one test and stopped by PID.
final class FakeProcess {
    static let python: String? = ["/usr/bin/python3", "/usr/local/bin/python3"].first {
        FileManager.default.isExecutableFile(atPath: $0)
    }

    let process = Process()

    /// Starts `executable arguments` and waits (at most 10 s) for the line `ready` on its stdout.
    init(_ executable: String, _ arguments: [String], environment: [String: String]? = nil) throws {
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let environment { process.environment = environment }
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        let handle = out.fileHandleForReading
        let deadline = Date().addingTimeInterval(10)
        var text = ""
        while !text.contains("ready"), Date() < deadline, process.isRunning {
            var descriptor = pollfd(fd: handle.fileDescriptor, events: Int16(POLLIN), revents: 0)
            if poll(&descriptor, 1, 200) > 0 {
                let data = handle.availableData
                if data.isEmpty { break }
                text += String(decoding: data, as: UTF8.self)
            }
        }
        guard text.contains("ready") else {
            stop()
            throw FakeProcessError(message: "\(executable) \(arguments.joined(separator: " ")) did not start")
        }
    }

    /// A Python fake from `Tests/AgentTests/Fixtures`.
    convenience init(python script: String, _ arguments: [String]) throws {
        guard let python = Self.python else { throw FakeProcessError(message: "python3 is not installed") }
        try self.init(python, [TestSupport.fixtures + "/" + script] + arguments)
    }

    deinit { stop() }

    func stop() {
        // SIGKILL: a child inherits the test runner's signal mask, in which SIGTERM may be blocked. The fakes keep
        // nothing worth a clean exit (their sockets live in the test's temp directory).
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }
}

struct FakeProcessError: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}
