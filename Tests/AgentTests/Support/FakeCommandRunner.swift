import Foundation
import PulseCommon
import Synchronization
@testable import PulseAgent

/// A `CommandRunner` that answers from fixtures instead of starting processes, and records what was asked.
final class FakeCommandRunner: CommandRunner {
    typealias Handler = @Sendable (_ arguments: [String]) -> Result<CommandResult, CommandError>

    private let tools: [String: Handler]
    private let recorded = Mutex<[[String]]>([])
    private let widths = Mutex<[Int]>([])

    /// `tools` maps a bare executable name (`smartctl`) to its answers; other names are "not installed".
    init(_ tools: [String: Handler] = [:]) {
        self.tools = tools
    }

    func locate(_ name: String) -> String? {
        tools[name] == nil ? nil : "/fake/bin/" + name
    }

    func run(_ commands: [Command], concurrency: Int) -> [Result<CommandResult, CommandError>] {
        widths.withLock { $0.append(concurrency) }
        return commands.map { command in
            let name = String(command.executable.split(separator: "/").last ?? "")
            recorded.withLock { $0.append([name] + command.arguments) }
            guard let handler = tools[name] else {
                return .failure(CommandError(executable: command.executable, call: "lookup", errno: ENOENT))
            }
            return handler(command.arguments)
        }
    }

    /// Every command run, as `[name, arguments…]`.
    var invocations: [[String]] { recorded.withLock { $0 } }
    /// The `concurrency` of each `run` call.
    var concurrencies: [Int] { widths.withLock { $0 } }

    // MARK: Answers

    static func output(_ text: String, status: Int32 = 0, stderr: String = "") -> Result<CommandResult, CommandError> {
        .success(CommandResult(termination: .exited(status), stdout: Array(text.utf8), stderr: Array(stderr.utf8)))
    }

    /// A fixture file's contents as standard output.
    static func file(_ path: String, status: Int32 = 0) -> Result<CommandResult, CommandError> {
        let data = FileManager.default.contents(atPath: path) ?? Data()
        return .success(CommandResult(termination: .exited(status), stdout: Array(data)))
    }

    static let timedOut: Result<CommandResult, CommandError> = .success(CommandResult(termination: .timedOut))
}
