import Foundation
import Glibc
import PulseCommon

/// How a spawned hub ended after SIGTERM.
struct HubStopReport: Codable {
    /// True when the hub exited with status 0 before the deadline.
    var clean: Bool
    /// `exit status 0`, `killed by signal 15 (Terminated)`, ...
    var status: String
    /// From SIGTERM to exit.
    var milliseconds: Int
    var note: String?
}

/// A private hub for one run: a temporary directory holding `data/` (`PULSE_DATA_DIR`), `hub.log` (its stdout and
/// stderr) and the token CLI's output, a free port on 127.0.0.1, and the hub's PID. The bench stops it by PID.
final class SpawnedHub {
    let binary: String
    let rootDirectory: String
    let port: Int
    private let environment: [String: String]
    private(set) var pid: pid_t?

    var dataDirectory: String { rootDirectory + "/data" }
    var logPath: String { rootDirectory + "/hub.log" }
    var baseURL: String { "http://127.0.0.1:\(port)" }

    /// Checks the binary, picks a port and creates the directories; starts nothing yet.
    init(binary: String, extraEnvironment: [(String, String)]) throws(SetupError) {
        guard access(binary, X_OK) == 0, !FileManager.default.directoryExists(binary) else {
            throw SetupError("--hub-bin \(binary): not an executable file")
        }
        self.binary = binary
        var inherited = ProcessInfo.processInfo.environment
        rootDirectory = try Spawn.makeTemporaryDirectory(prefix: "pulse-bench", environment: inherited)
        guard mkdir(rootDirectory + "/data", 0o700) == 0 else {
            throw SetupError("cannot create \(rootDirectory)/data: \(String(cString: strerror(errno)))")
        }
        port = try Spawn.freeLoopbackPort()
        for (key, value) in extraEnvironment { inherited[key] = value }
        inherited["PULSE_DATA_DIR"] = rootDirectory + "/data"
        inherited["FRONTEND_PORT"] = String(port)
        inherited["BACKEND_HOST"] = "127.0.0.1"
        environment = inherited
    }

    /// Runs `pulse-hub token create --name pulse-bench --scopes host-agent:report` and returns the printed token.
    func createToken(timeout: Duration) throws(SetupError) -> String {
        let stdoutPath = rootDirectory + "/token-create.out"
        let stderrPath = rootDirectory + "/token-create.err"
        let arguments = ["token", "create", "--name", "pulse-bench", "--scopes", "host-agent:report"]
        let command = "\(binary) \(arguments.joined(separator: " "))"
        let child = try Spawn.start(executable: binary, arguments: arguments, environment: environment,
                                    stdoutPath: stdoutPath, stderrPath: stderrPath, newProcessGroup: true)
        guard let status = Spawn.wait(child, timeout: timeout) else {
            kill(child, SIGKILL)
            _ = Spawn.wait(child, timeout: .seconds(5))
            throw SetupError("`\(command)` did not finish within \(Int(timeout.seconds)) s")
        }
        let output = ProcessProbe.readSmallFile(stdoutPath) ?? ""
        let errors = ProcessProbe.readSmallFile(stderrPath) ?? ""
        guard status == .exited(0) else {
            throw SetupError("`\(command)` failed (\(status))" + Self.quoted("stderr", errors)
                             + Self.quoted("stdout", output))
        }
        let lines = output.split(whereSeparator: \.isNewline).map { $0.trimmingWhitespace() }.filter { !$0.isEmpty }
        guard lines.count == 1, let token = lines.first, !token.contains(" ") else {
            throw SetupError("`\(command)` should print the token as the only line on stdout, "
                             + "but printed \(lines.count) lines"
                             + Self.quoted("stdout", output))
        }
        return token
    }

    /// Starts the server (`pulse-hub` with no arguments) in its own process group.
    func start() throws(SetupError) {
        pid = try Spawn.start(executable: binary, arguments: [], environment: environment, stdoutPath: logPath,
                              stderrPath: logPath, newProcessGroup: true)
    }

    /// Polls `GET /api/health` every 100 ms until it answers 200.
    func waitUntilHealthy(timeout: Duration, control: RunControl) throws(SetupError) {
        guard let pid else { throw SetupError("the hub is not running") }
        let client = HTTPClient()
        let request = HTTPClientRequest(url: baseURL + "/api/health", timeout: .seconds(2))
        let deadline = Clock.monotonicNanos() + timeout.nanos
        var lastProblem = "no answer yet"
        while true {
            if let status = Spawn.poll(pid) {
                self.pid = nil
                throw SetupError("the hub exited during startup (\(status))" + logTail())
            }
            if control.isStopping { throw SetupError(control.stopReason ?? "stopped") }
            do {
                let response = try client.perform(request)
                if response.status == 200 { return }
                lastProblem = "HTTP \(response.status): \(String(response.text.prefix(200)))"
            } catch {
                lastProblem = error.message
            }
            if Clock.monotonicNanos() >= deadline {
                throw SetupError("the hub did not answer 200 on GET \(baseURL)/api/health within "
                                 + "\(Int(timeout.seconds)) s (last: \(lastProblem))" + logTail())
            }
            Clock.sleep(nanos: 100_000_000)
        }
    }

    /// Whether the hub process is still running (reaps it if it ended).
    func hasExited() -> ExitStatus? {
        guard let pid else { return nil }
        guard let status = Spawn.poll(pid) else { return nil }
        self.pid = nil
        return status
    }

    /// Sends SIGTERM and waits; after `timeout` sends SIGKILL. Returns nil if the hub was not running.
    func stop(timeout: Duration) -> HubStopReport? {
        guard let pid else { return nil }
        self.pid = nil
        let started = Clock.monotonicNanos()
        kill(pid, SIGTERM)
        if let status = Spawn.wait(pid, timeout: timeout) {
            let elapsed = Int((Clock.monotonicNanos() - started) / 1_000_000)
            let note: String? = status == .exited(0) ? nil
                : (status == .signaled(SIGTERM) ? "the hub does not handle SIGTERM (died of the default action)" : nil)
            return HubStopReport(clean: status == .exited(0), status: status.description, milliseconds: elapsed,
                                 note: note)
        }
        kill(pid, SIGKILL)
        let status = Spawn.wait(pid, timeout: .seconds(5))
        let elapsed = Int((Clock.monotonicNanos() - started) / 1_000_000)
        return HubStopReport(clean: false, status: status?.description ?? "still running after SIGKILL",
                             milliseconds: elapsed,
                             note: "did not exit within \(Int(timeout.seconds)) s of SIGTERM; sent SIGKILL")
    }

    /// Deletes the temporary directory.
    func removeFiles() {
        do {
            try FileManager.default.removeItem(atPath: rootDirectory)
        } catch {
            Console.error("pulse-bench: cannot remove \(rootDirectory): \(error)")
        }
    }

    /// The last lines of hub.log, formatted for an error message.
    func logTail(lines count: Int = 20) -> String {
        guard let text = ProcessProbe.readSmallFile(logPath), !text.isEmpty else { return "\n  (hub.log is empty)" }
        let lines = text.split(whereSeparator: \.isNewline).suffix(count)
        return "\n  last lines of hub.log:\n" + lines.map { "    " + $0 }.joined(separator: "\n")
    }

    private static func quoted(_ name: String, _ text: String) -> String {
        let trimmed = text.trimmingWhitespace()
        guard !trimmed.isEmpty else { return "" }
        let lines = trimmed.split(whereSeparator: \.isNewline).suffix(10)
        return "\n  \(name):\n" + lines.map { "    " + $0 }.joined(separator: "\n")
    }
}

extension FileManager {
    fileprivate func directoryExists(_ path: String) -> Bool {
        var isDirectory: ObjCBool = false
        return fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue
    }
}
