#if canImport(Glibc)
import Glibc
#endif
import PulseCommon

/// One program run: an executable and its arguments, passed as they are (no shell), with a time limit.
public struct Command: Sendable, Equatable {
    /// A path (containing `/`) or a bare name, which the runner resolves with `locate`.
    public var executable: String
    public var arguments: [String]
    /// After this long the child's whole process group is killed and the result is `.timedOut`.
    public var timeout: Duration

    public init(_ executable: String, _ arguments: [String], timeout: Duration) {
        self.executable = executable
        self.arguments = arguments
        self.timeout = timeout
    }
}

/// What a finished (or killed) program left behind.
public struct CommandResult: Sendable, Equatable {
    /// How the program ended.
    public enum Termination: Sendable, Equatable {
        case exited(Int32)
        case signalled(Int32)
        /// Killed by the runner when its timeout passed.
        case timedOut
    }

    public var termination: Termination
    /// Standard output, at most the runner's output limit.
    public var stdout: [UInt8]
    /// Standard error, at most the runner's output limit.
    public var stderr: [UInt8]
    /// Whether either stream was cut at the output limit (the rest was read and dropped).
    public var truncated: Bool

    public init(termination: Termination, stdout: [UInt8] = [], stderr: [UInt8] = [], truncated: Bool = false) {
        self.termination = termination
        self.stdout = stdout
        self.stderr = stderr
        self.truncated = truncated
    }

    /// The exit status when the program exited by itself.
    public var exitStatus: Int32? {
        if case .exited(let status) = termination { return status }
        return nil
    }

    /// Standard output as UTF-8 text (invalid bytes replaced).
    public var standardOutput: String { String(decoding: stdout, as: UTF8.self) }
    /// Standard error as UTF-8 text, trimmed, for log lines.
    public var standardError: String { String(decoding: stderr, as: UTF8.self).trimmingWhitespace() }
}

/// A program that could not be started or watched.
public struct CommandError: Error, CustomStringConvertible, Sendable, Equatable {
    public let executable: String
    /// The failing call (`posix_spawn`, `pipe2`, `poll`), or `lookup` when the executable was not found.
    public let call: String
    public let errno: Int32

    public init(executable: String, call: String, errno: Int32) {
        self.executable = executable
        self.call = call
        self.errno = errno
    }

    public var description: String {
        if call == "lookup" { return "\(executable): not found on the search path" }
        return "\(executable): \(call): \(String(cString: strerror(errno)))"
    }
}

/// Runs outside programs for collectors (`smartctl`, `mdadm`, `ceph`).
///
/// Collectors get one through `CollectContext.commands` and never spawn processes themselves, so tests give them
/// a fake that answers from fixtures.
public protocol CommandRunner: Sendable {
    /// The path of an executable, or `nil` when it is not installed. A name containing `/` is checked as given.
    func locate(_ name: String) -> String?

    /// Runs the commands, at most `concurrency` at a time, and returns one result per command, in order.
    func run(_ commands: [Command], concurrency: Int) -> [Result<CommandResult, CommandError>]
}

extension CommandRunner {
    /// Runs one command.
    public func run(_ command: Command) throws(CommandError) -> CommandResult {
        guard let result = run([command], concurrency: 1).first else {
            throw CommandError(executable: command.executable, call: "run", errno: EINVAL)
        }
        return try result.get()
    }
}

/// The real runner: `posix_spawn` with no shell, stdin from `/dev/null`, stdout and stderr captured through pipes.
///
/// Each child starts in its own process group with the default signal mask and dispositions (the agent blocks
/// SIGTERM/SIGINT for its own signal thread; a child must not inherit that), and with `LC_ALL=C` so that tool
/// output is not translated. Output beyond `outputLimit` per stream is read and dropped so the child never blocks
/// on a full pipe. On timeout the whole process group gets SIGKILL; a child that does not die at once (stuck in
/// uninterruptible I/O on a failing disk) is reaped later by a background thread instead of blocking the report.
public struct SystemCommandRunner: CommandRunner {
    /// The default per-stream capture limit, 4 MiB.
    public static let defaultOutputLimit = 4 << 20
    /// Searched after `PATH`: where storage tools live even when a service manager's `PATH` leaves them out.
    public static let systemDirectories = ["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin",
                                           "/bin"]

    /// Directories searched for bare executable names, in order.
    public let searchPath: [String]
    public let outputLimit: Int
    let environment: [String]

    /// `searchPath` defaults to the agent's `PATH` followed by `systemDirectories`.
    public init(searchPath: [String]? = nil, outputLimit: Int = SystemCommandRunner.defaultOutputLimit,
                excludingEnvironment excluded: Set<String> = []) {
        let inherited = Self.inheritedEnvironment().filter { entry in
            !excluded.contains(String(entry.prefix(while: { $0 != "=" })))
        }
        if let searchPath {
            self.searchPath = searchPath
        } else {
            let path = inherited.first { $0.hasPrefix("PATH=") }.map { String($0.dropFirst(5)) } ?? ""
            var directories: [String] = []
            for directory in path.split(separator: ":").map(String.init) + Self.systemDirectories
            where directory.hasPrefix("/") && !directories.contains(directory) {
                directories.append(directory)
            }
            self.searchPath = directories
        }
        self.outputLimit = max(0, outputLimit)
        environment = inherited.filter { !$0.hasPrefix("LC_ALL=") && !$0.hasPrefix("LANGUAGE=") } + ["LC_ALL=C"]
    }

    public func locate(_ name: String) -> String? {
        if name.contains("/") { return Self.isExecutableFile(name) ? name : nil }
        guard !name.isEmpty else { return nil }
        for directory in searchPath {
            let candidate = directory.hasSuffix("/") ? directory + name : directory + "/" + name
            if Self.isExecutableFile(candidate) { return candidate }
        }
        return nil
    }

    public func run(_ commands: [Command], concurrency: Int) -> [Result<CommandResult, CommandError>] {
        var results = [Result<CommandResult, CommandError>?](repeating: nil, count: commands.count)
        var running: [RunningChild] = []
        var next = 0
        let width = max(1, concurrency)
        while next < commands.count || !running.isEmpty {
            while running.count < width && next < commands.count {
                do {
                    running.append(try start(commands[next], index: next))
                } catch {
                    results[next] = .failure(error)
                }
                next += 1
            }
            guard !running.isEmpty else { continue }
            do {
                try pump(running)
            } catch {
                for child in running { child.kill() }
                for child in running { results[child.index] = .failure(error) }
                running.removeAll()
                continue
            }
            running.removeAll { child in
                guard let result = child.finish() else { return false }
                results[child.index] = .success(result)
                return true
            }
        }
        return results.enumerated().map { index, result in
            result ?? .failure(CommandError(executable: commands[index].executable, call: "run", errno: EINVAL))
        }
    }

    // MARK: Spawning

    private func start(_ command: Command, index: Int) throws(CommandError) -> RunningChild {
        let name = command.executable
        guard let path = locate(name) else { throw CommandError(executable: name, call: "lookup", errno: ENOENT) }
        var output: [Int32] = [-1, -1]
        var errors: [Int32] = [-1, -1]
        guard pipe(&output) == 0 else { throw CommandError(executable: name, call: "pipe", errno: errno) }
        guard pipe(&errors) == 0 else {
            let code = errno
            close(output[0])
            close(output[1])
            throw CommandError(executable: name, call: "pipe", errno: code)
        }
        for fd in output + errors { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        defer {
            close(output[1])
            close(errors[1])
        }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, output[1], 1)
        posix_spawn_file_actions_adddup2(&actions, errors[1], 2)
        // Descriptors the agent opened without close-on-exec (a library's socket) must not leak into the child.
        for fd in Self.inheritableDescriptors() { posix_spawn_file_actions_addclose(&actions, fd) }

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var mask = sigset_t()
        sigemptyset(&mask)
        posix_spawnattr_setsigmask(&attributes, &mask)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGPIPE, SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGCHLD, SIGUSR1, SIGUSR2, SIGALRM] {
            sigaddset(&defaults, signal)
        }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(&attributes,
                                 Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        let argv = Self.cStrings([path] + command.arguments)
        let envp = Self.cStrings(environment)
        defer {
            for pointer in argv { free(pointer) }
            for pointer in envp { free(pointer) }
        }
        var pid = pid_t()
        let status = posix_spawn(&pid, path, &actions, &attributes, argv, envp)
        guard status == 0 else {
            close(output[0])
            close(errors[0])
            throw CommandError(executable: name, call: "posix_spawn", errno: status)
        }
        return RunningChild(index: index, pid: pid, stdout: output[0], stderr: errors[0],
                            deadline: .now + command.timeout, limit: outputLimit)
    }

    /// One `poll` round over every open pipe; reads what is ready, then checks exits and deadlines.
    private func pump(_ children: [RunningChild]) throws(CommandError) {
        var fds: [pollfd] = []
        var owners: [(child: RunningChild, stream: Int)] = []
        var wait = Duration.milliseconds(100)  // also re-checks exits when a grandchild keeps a pipe open
        let now = ContinuousClock.now
        for child in children {
            wait = min(wait, max(.zero, now.duration(to: child.deadline)))
            for stream in 0..<2 where child.fds[stream] >= 0 {
                fds.append(pollfd(fd: child.fds[stream], events: Int16(POLLIN), revents: 0))
                owners.append((child, stream))
            }
            if child.fds.allSatisfy({ $0 < 0 }) { wait = min(wait, .milliseconds(5)) }
        }
        let timeout = Int32(clamping: wait.milliseconds)
        let ready = fds.withUnsafeMutableBufferPointer { poll($0.baseAddress, nfds_t($0.count), timeout) }
        if ready < 0 && errno != EINTR {
            throw CommandError(executable: "poll", call: "poll", errno: errno)
        }
        if ready > 0 {
            for (slot, descriptor) in fds.enumerated() where descriptor.revents != 0 {
                owners[slot].child.read(stream: owners[slot].stream)
            }
        }
        for child in children { child.checkProgress() }
    }

    // MARK: Helpers

    static func isExecutableFile(_ path: String) -> Bool {
        var info = stat()
        guard stat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return false }
        return access(path, X_OK) == 0
    }

    /// Open descriptors from 3 up that lack close-on-exec (a bounded scan, no `/proc` needed).
    private static func inheritableDescriptors() -> [Int32] {
        let highest = Int32(clamping: min(4096, max(256, sysconf(Int32(_SC_OPEN_MAX)))))
        return (3..<highest).filter { fd in
            let flags = fcntl(fd, F_GETFD)
            return flags >= 0 && flags & FD_CLOEXEC == 0
        }
    }

    private static func cStrings(_ strings: [String]) -> [UnsafeMutablePointer<CChar>?] {
        strings.map { strdup($0) } + [nil]
    }

    private static func inheritedEnvironment() -> [String] {
        var result: [String] = []
        var cursor = environ
        while let entry = cursor.pointee {
            result.append(String(cString: entry))
            cursor += 1
        }
        return result
    }
}

/// A spawned child being watched by `SystemCommandRunner.run`. Used from one thread only.
private final class RunningChild {
    let index: Int
    let pid: pid_t
    /// stdout and stderr read ends; -1 once closed.
    var fds: [Int32]
    var captured: [[UInt8]] = [[], []]
    var truncated = false
    let deadline: ContinuousClock.Instant
    let limit: Int
    var waitStatus: Int32?
    var timedOut = false

    init(index: Int, pid: pid_t, stdout: Int32, stderr: Int32, deadline: ContinuousClock.Instant, limit: Int) {
        self.index = index
        self.pid = pid
        fds = [stdout, stderr]
        self.deadline = deadline
        self.limit = limit
    }

    deinit {
        for fd in fds where fd >= 0 { close(fd) }
    }

    /// One `read` of a stream that `poll` reported ready; EOF or an error closes it.
    func read(stream: Int) {
        let fd = fds[stream]
        guard fd >= 0 else { return }
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        let count = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
        if count < 0 && (errno == EINTR || errno == EAGAIN) { return }
        guard count > 0 else {
            close(fd)
            fds[stream] = -1
            return
        }
        let room = max(0, limit - captured[stream].count)
        if count > room { truncated = true }
        captured[stream].append(contentsOf: buffer[0..<min(count, room)])
    }

    /// Reaps the child if it exited, and kills it when its deadline passed.
    func checkProgress() {
        guard waitStatus == nil && !timedOut else { return }
        var status: Int32 = 0
        if waitpid(pid, &status, WNOHANG) == pid {
            waitStatus = status
            drainAvailable()
            if fds.contains(where: { $0 >= 0 }) {
                // The child is gone but something it started still holds a pipe open: end the stragglers so they
                // do not outlive the command.
                Glibc.kill(-pid, SIGKILL)
                closePipes()
            }
            return
        }
        if ContinuousClock.now >= deadline {
            timedOut = true
            kill()
        }
    }

    /// Kills the process group and reaps the child, waiting at most a moment before handing it to a reaper thread.
    func kill() {
        Glibc.kill(-pid, SIGKILL)
        closePipes()
        var status: Int32 = 0
        for _ in 0..<50 {
            let reaped = waitpid(pid, &status, WNOHANG)
            if reaped == pid || (reaped < 0 && errno != EINTR) { return }
            var pause = timespec(tv_sec: 0, tv_nsec: 10_000_000)
            nanosleep(&pause, nil)
        }
        let pid = self.pid
        _ = try? WorkerThread {
            var status: Int32 = 0
            while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        }
    }

    /// The result once the child has ended and both pipes are closed, else `nil`.
    func finish() -> CommandResult? {
        if timedOut {
            return CommandResult(termination: .timedOut, stdout: captured[0], stderr: captured[1], truncated: truncated)
        }
        guard let status = waitStatus, fds.allSatisfy({ $0 < 0 }) else { return nil }
        let signal = status & 0x7f
        let termination: CommandResult.Termination = signal == 0 ? .exited((status >> 8) & 0xff) : .signalled(signal)
        return CommandResult(termination: termination, stdout: captured[0], stderr: captured[1], truncated: truncated)
    }

    private func drainAvailable() {
        for stream in 0..<2 {
            // Bounded: a straggler that keeps writing must not hold the report.
            for _ in 0..<256 where fds[stream] >= 0 {
                var descriptor = pollfd(fd: fds[stream], events: Int16(POLLIN), revents: 0)
                guard poll(&descriptor, 1, 0) > 0 else { break }
                read(stream: stream)
            }
        }
    }

    private func closePipes() {
        for stream in 0..<2 where fds[stream] >= 0 {
            close(fds[stream])
            fds[stream] = -1
        }
    }
}
