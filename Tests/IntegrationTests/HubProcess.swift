import Foundation
#if canImport(Glibc)
import Glibc
#endif
import PulseCommon
import Testing

/// A failure of the test harness itself (the binary is missing, the hub did not start or stop, …).
struct HarnessError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// The result of one synchronous `pulse-hub` CLI run.
struct CLIResult {
    let status: Int32
    let stdout: String
    let stderr: String
}

/// One `pulse-hub` under test: its own temp directory, data directory, loopback port and HTTP client.
///
/// Usage: `let hub = try HubProcess(); defer { hub.shutdown() }; try hub.start()`. `shutdown()` stops the hub with
/// SIGTERM (by PID), records an issue unless it exits 0 within 10 s (SIGKILL as a last resort), and deletes the
/// temp directory, so every test stops what it started even when an expectation fails.
///
/// Not thread-safe: use one instance from one (synchronous) test function.
final class HubProcess {
    /// The directory holding everything this hub writes.
    let root: String
    /// `PULSE_DATA_DIR`.
    let dataDirectory: String
    /// Where the hub's stderr goes (appended across restarts).
    let stderrLogPath: String
    let stdoutLogPath: String
    let binary: String
    let logLevel: String
    /// The loopback port of the current (or last) run.
    private(set) var port: UInt16 = 0
    /// Extra environment for the server process (not the CLI).
    var extraEnvironment: [String: String] = [:]
    /// The hub's PID while it runs.
    private(set) var pid: pid_t?
    private let client = HTTPClient()
    private var cliRuns = 0
    private var removed = false

    var baseURL: String { "http://127.0.0.1:\(port)" }

    init(logLevel: String = "warn") throws {
        binary = try Self.binaryPath()
        self.logLevel = logLevel
        var template = Array((FileManager.default.temporaryDirectory.path + "/pulse-it-XXXXXX").utf8CString)
        let made = template.withUnsafeMutableBufferPointer { buffer in mkdtemp(buffer.baseAddress!) != nil }
        guard made else { throw HarnessError("mkdtemp failed: errno \(errno)") }
        root = String(decoding: template.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        dataDirectory = root + "/data"
        stderrLogPath = root + "/hub-stderr.log"
        stdoutLogPath = root + "/hub-stdout.log"
    }

    deinit {
        // Safety net only; tests call shutdown() from a defer.
        if let pid {
            kill(pid, SIGKILL)
            _ = Self.waitForExit(pid, timeout: .seconds(5))
        }
        if !removed { try? FileManager.default.removeItem(atPath: root) }
    }

    // MARK: Binary

    /// `$PULSE_HUB_BIN`, else `<package root>/.build/debug/pulse-hub`.
    static func binaryPath() throws -> String {
        let candidate: String
        if let fromEnvironment = ProcessInfo.processInfo.environment["PULSE_HUB_BIN"], !fromEnvironment.isEmpty {
            candidate = fromEnvironment
        } else {
            // #filePath = <root>/Tests/IntegrationTests/HubProcess.swift
            let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .deletingLastPathComponent().path
            candidate = packageRoot + "/.build/debug/pulse-hub"
        }
        guard access(candidate, X_OK) == 0 else {
            throw HarnessError("""
                pulse-hub binary not found or not executable at \(candidate). Build it first \
                (`swift build --product pulse-hub`) or point PULSE_HUB_BIN at it.
                """)
        }
        return candidate
    }

    // MARK: CLI

    private var baseEnvironment: [String: String] {
        [
            "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin",
            "HOME": root,
            "PULSE_DATA_DIR": dataDirectory,
        ]
    }

    /// Runs `pulse-hub <arguments>` against this data directory and waits for it (at most 30 s).
    func cli(_ arguments: [String]) throws -> CLIResult {
        cliRuns += 1
        let out = root + "/cli-\(cliRuns).stdout", err = root + "/cli-\(cliRuns).stderr"
        defer {
            unlink(out)
            unlink(err)
        }
        let child = try Self.spawn(binary, arguments: arguments, environment: baseEnvironment, stdoutPath: out,
                                   stderrPath: err, append: false)
        guard let status = Self.waitForExit(child, timeout: .seconds(30)) else {
            kill(child, SIGKILL)
            _ = Self.waitForExit(child, timeout: .seconds(5))
            throw HarnessError("pulse-hub \(arguments.joined(separator: " ")) did not finish within 30 s")
        }
        let stdout = (try? String(contentsOfFile: out, encoding: .utf8)) ?? ""
        let stderr = (try? String(contentsOfFile: err, encoding: .utf8)) ?? ""
        return CLIResult(status: Self.exitCode(status) ?? -1, stdout: stdout, stderr: stderr)
    }

    /// `pulse-hub token create --name NAME [--scopes SCOPES]`; returns the raw token (the only stdout line).
    func createToken(name: String, scopes: String? = nil) throws -> String {
        var arguments = ["token", "create", "--name", name]
        if let scopes { arguments += ["--scopes", scopes] }
        let result = try cli(arguments)
        guard result.status == 0 else {
            throw HarnessError("token create failed (\(result.status)): \(result.stderr)")
        }
        let lines = result.stdout.split(separator: "\n", omittingEmptySubsequences: true)
        guard lines.count == 1, isHex(String(lines[0]), length: 64) else {
            throw HarnessError("token create printed \(lines.count) lines, expected one 64-hex token: \(result.stdout)")
        }
        return String(lines[0])
    }

    // MARK: Serve

    /// Starts `pulse-hub` (no arguments) and waits until `GET /api/health` answers 200 (at most 20 s).
    func start(timeout: Duration = .seconds(20)) throws {
        guard pid == nil else { throw HarnessError("hub already running (pid \(pid!))") }
        var lastProblem = ""
        for _ in 1...3 {
            port = try Self.freeLoopbackPort()
            var environment = baseEnvironment
            environment["FRONTEND_PORT"] = String(port)
            environment["BACKEND_HOST"] = "127.0.0.1"
            environment["LOG_LEVEL"] = logLevel
            environment.merge(extraEnvironment) { _, extra in extra }
            let child = try Self.spawn(binary, arguments: [], environment: environment, stdoutPath: stdoutLogPath,
                                       stderrPath: stderrLogPath, append: true)
            pid = child
            let deadline = ContinuousClock.now + timeout
            var exited: Int32?
            while ContinuousClock.now < deadline {
                if let status = Self.reap(child) {
                    exited = status
                    break
                }
                let probe = HTTPClientRequest(method: "GET", url: baseURL + "/api/health", timeout: .seconds(2))
                if let response = try? client.perform(probe), response.status == 200 { return }
                usleep(50_000)
            }
            if let exited {
                pid = nil
                lastProblem = "pulse-hub exited during startup (\(Self.describe(exited)))"
                // Another process may have taken the port between our probe and the hub's bind: try another one.
                if log.contains("cannot listen") { continue }
                throw HarnessError("\(lastProblem). Log:\n\(log)")
            }
            kill(child, SIGKILL)
            _ = Self.waitForExit(child, timeout: .seconds(5))
            pid = nil
            throw HarnessError("pulse-hub did not answer GET /api/health with 200 within \(timeout). Log:\n\(log)")
        }
        throw HarnessError("\(lastProblem) three times. Log:\n\(log)")
    }

    /// Sends SIGTERM to the hub's PID and requires exit status 0 within `timeout`; SIGKILL and a thrown error
    /// otherwise. Returns how long the shutdown took.
    @discardableResult
    func stop(timeout: Duration = .seconds(10)) throws -> Duration {
        guard let child = pid else { return .zero }
        let started = ContinuousClock.now
        kill(child, SIGTERM)
        guard let status = Self.waitForExit(child, timeout: timeout) else {
            kill(child, SIGKILL)
            _ = Self.waitForExit(child, timeout: .seconds(5))
            pid = nil
            throw HarnessError("pulse-hub (pid \(child)) did not exit within \(timeout) of SIGTERM; killed it. Log:\n\(log)")
        }
        pid = nil
        let elapsed = ContinuousClock.now - started
        guard Self.exitCode(status) == 0 else {
            throw HarnessError("pulse-hub (pid \(child)) ended with \(Self.describe(status)) after SIGTERM. Log:\n\(log)")
        }
        return elapsed
    }

    /// Kills the hub with SIGKILL (a crash) and reaps it.
    func killHard() {
        guard let child = pid else { return }
        kill(child, SIGKILL)
        _ = Self.waitForExit(child, timeout: .seconds(10))
        pid = nil
    }

    /// Stops the hub if it runs (recording an issue unless it exits 0) and deletes the temp directory.
    func shutdown() {
        do {
            try stop()
        } catch {
            Issue.record("\(error)")
        }
        if !removed {
            try? FileManager.default.removeItem(atPath: root)
            removed = true
        }
    }

    /// The hub's captured stdout and stderr so far.
    var log: String {
        let err = (try? String(contentsOfFile: stderrLogPath, encoding: .utf8)) ?? ""
        let out = (try? String(contentsOfFile: stdoutLogPath, encoding: .utf8)) ?? ""
        return out.isEmpty ? err : err + "\n[stdout]\n" + out
    }

    // MARK: HTTP

    /// Sends a request to this hub. `token` goes in `X-API-Token`, or `Authorization: Bearer` with `bearer`.
    func request(_ method: String, _ path: String, token: String? = nil, bearer: Bool = false,
                 headers: [(String, String)] = [], body: [UInt8]? = nil, pathAsIs: Bool = false,
                 timeout: Duration = .seconds(15)) throws -> HTTPClientResponse {
        var allHeaders = headers
        if let token { allHeaders.append(bearer ? ("Authorization", "Bearer \(token)") : ("X-API-Token", token)) }
        if body != nil { allHeaders.append(("Content-Type", "application/json")) }
        let request = HTTPClientRequest(method: method, url: baseURL + path, headers: allHeaders, body: body,
                                        timeout: timeout, pathAsIs: pathAsIs)
        return try client.perform(request)
    }

    func get(_ path: String, token: String? = nil, headers: [(String, String)] = []) throws -> HTTPClientResponse {
        try request("GET", path, token: token, headers: headers)
    }

    func post(_ path: String, json: String, token: String? = nil, bearer: Bool = false) throws -> HTTPClientResponse {
        try request("POST", path, token: token, bearer: bearer, body: Array(json.utf8))
    }

    /// Posts a host report.
    func report(_ json: String, token: String?, bearer: Bool = false) throws -> HTTPClientResponse {
        try post("/api/agents/host/report", json: json, token: token, bearer: bearer)
    }

    // MARK: Processes

    /// A port that was free on 127.0.0.1 a moment ago.
    static func freeLoopbackPort() throws -> UInt16 {
        do { return try LoopbackPort.free() } catch { throw HarnessError(error.description) }
    }

    /// posix_spawn with stdin from /dev/null, stdout/stderr to files, no inherited descriptors beyond 0–2, and
    /// default signal handling (so SIGTERM reaches the hub whatever the test runner did with its own signals).
    static func spawn(_ path: String, arguments: [String], environment: [String: String], stdoutPath: String,
                      stderrPath: String, append: Bool) throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        let flags = O_WRONLY | O_CREAT | (append ? O_APPEND : O_TRUNC)
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, stdoutPath, flags, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, stderrPath, flags, 0o600)
        // Parallel tests hold sockets to other hubs; a child must not keep those connections alive.
        closeInheritedDescriptors(&actions)

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var mask = sigset_t()
        sigemptyset(&mask)
        posix_spawnattr_setsigmask(&attributes, &mask)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGTERM, SIGINT, SIGHUP, SIGPIPE, SIGCHLD] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        let argv: [UnsafeMutablePointer<CChar>?] = ([path] + arguments).map { strdup($0) } + [nil]
        let envp: [UnsafeMutablePointer<CChar>?] = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var child: pid_t = 0
        let result = posix_spawn(&child, path, &actions, &attributes, argv, envp)
        guard result == 0 else { throw HarnessError("posix_spawn \(path) failed: \(String(cString: strerror(result)))") }
        return child
    }

    /// Adds close actions for every descriptor above 2: `posix_spawn_file_actions_addclosefrom_np` (glibc 2.34+,
    /// looked up at run time because the Glibc module does not import it), else one close per open descriptor.
    private static func closeInheritedDescriptors(_ actions: inout posix_spawn_file_actions_t) {
        typealias AddCloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>?, Int32) -> Int32
        if let symbol = dlsym(nil, "posix_spawn_file_actions_addclosefrom_np") {
            let addCloseFrom = unsafeBitCast(symbol, to: AddCloseFrom.self)
            if addCloseFrom(&actions, 3) == 0 { return }
        }
        let open = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
        for descriptor in open.compactMap(Int32.init) where descriptor > 2 {
            posix_spawn_file_actions_addclose(&actions, descriptor)
        }
    }

    /// The raw wait status if the child has ended (and reaps it), else nil.
    static func reap(_ child: pid_t) -> Int32? {
        var status: Int32 = 0
        let result = waitpid(child, &status, WNOHANG)
        if result == child { return status }
        if result == -1, errno == ECHILD { return -1 }
        return nil
    }

    /// Polls for the child's exit; the raw wait status, or nil on timeout.
    static func waitForExit(_ child: pid_t, timeout: Duration) -> Int32? {
        let deadline = ContinuousClock.now + timeout
        repeat {
            if let status = reap(child) { return status }
            usleep(10_000)
        } while ContinuousClock.now < deadline
        return reap(child)
    }

    /// The exit code for a normal exit, nil for death by signal.
    static func exitCode(_ status: Int32) -> Int32? {
        status != -1 && status & 0x7f == 0 ? (status >> 8) & 0xff : nil
    }

    static func describe(_ status: Int32) -> String {
        if status == -1 { return "unknown status (already reaped)" }
        if let code = exitCode(status) { return "exit status \(code)" }
        return "signal \(status & 0x7f)"
    }
}

// MARK: - Small helpers shared by the tests

/// Whether `text` is exactly `length` lowercase hex digits.
func isHex(_ text: String, length: Int) -> Bool {
    text.utf8.count == length && text.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) }
}

/// The response body as a JSON object.
func jsonObject(_ response: HTTPClientResponse, sourceLocation: SourceLocation = #_sourceLocation) throws -> [String: Any] {
    let value: Any
    do {
        value = try JSONSerialization.jsonObject(with: Data(response.body), options: [.fragmentsAllowed])
    } catch {
        throw HarnessError("status \(response.status): body is not JSON: \(response.text.prefix(500))")
    }
    return try #require(value as? [String: Any], "status \(response.status): body is not a JSON object: \(response.text.prefix(500))",
                        sourceLocation: sourceLocation)
}

/// Whether a JSON value is a number (not a boolean, not a string).
func isJSONNumber(_ value: Any?) -> Bool {
    guard let value, !(value is String) else { return false }
    if let number = value as? NSNumber {
        // JSONSerialization gives booleans as NSNumber too; tell them apart by their type encoding.
        let type = String(cString: number.objCType)
        return type != "c" && type != "B"
    }
    return value is Int || value is Double
}

/// Whether a key occurs anywhere in a JSON value.
func jsonContainsKey(_ value: Any, _ key: String) -> Bool {
    if let object = value as? [String: Any] {
        return object.keys.contains(key) || object.values.contains { jsonContainsKey($0, key) }
    }
    if let array = value as? [Any] { return array.contains { jsonContainsKey($0, key) } }
    return false
}

/// The standard error body: `{"error","code","status_code","timestamp",…}` with this status and code.
func expectErrorBody(_ response: HTTPClientResponse, status: Int, code: String,
                     sourceLocation: SourceLocation = #_sourceLocation) throws -> [String: Any] {
    #expect(response.status == status, "expected \(status), got \(response.status): \(response.text)",
            sourceLocation: sourceLocation)
    let body = try jsonObject(response, sourceLocation: sourceLocation)
    #expect(body["code"] as? String == code, "body: \(response.text)", sourceLocation: sourceLocation)
    #expect((body["status_code"] as? NSNumber)?.intValue == status, "body: \(response.text)", sourceLocation: sourceLocation)
    #expect(isJSONNumber(body["timestamp"]), "body: \(response.text)", sourceLocation: sourceLocation)
    #expect(body["error"] is String, "body: \(response.text)", sourceLocation: sourceLocation)
    return body
}

/// Expects exactly `{"error":"missing_scope","requiredScope":scope}` with status 403.
func expectMissingScope(_ response: HTTPClientResponse, _ scope: String,
                        sourceLocation: SourceLocation = #_sourceLocation) throws {
    #expect(response.status == 403, "expected 403, got \(response.status): \(response.text)", sourceLocation: sourceLocation)
    let body = try jsonObject(response, sourceLocation: sourceLocation)
    #expect(body as? [String: String] == ["error": "missing_scope", "requiredScope": scope],
            "body: \(response.text)", sourceLocation: sourceLocation)
}
