import Glibc
import PulseCommon

/// Something that stopped the bench before or around the load; the message is shown to the user as is.
struct SetupError: Error, CustomStringConvertible {
    let message: String
    init(_ message: String) { self.message = message }
    var description: String { message }
}

/// How a child process ended.
enum ExitStatus: Equatable, CustomStringConvertible {
    case exited(Int32)
    case signaled(Int32)

    /// Decodes a `waitpid` status (the W* macros are not imported into Swift).
    init(raw: Int32) {
        let low = raw & 0x7f
        self = low == 0 ? .exited((raw >> 8) & 0xff) : .signaled(low)
    }

    var description: String {
        switch self {
        case .exited(let code): return "exit status \(code)"
        case .signaled(let signal): return "killed by signal \(signal) (\(String(cString: strsignal(signal))))"
        }
    }
}

/// Starts programs with `posix_spawn`: stdin from /dev/null, stdout and stderr to files, an empty signal mask and
/// default dispositions (this process blocks SIGINT/SIGTERM), optionally in a new process group so that a Ctrl-C
/// at the terminal reaches only the bench, which then stops the child itself.
enum Spawn {
    /// Starts `executable` and returns its PID.
    static func start(executable: String, arguments: [String], environment: [String: String], stdoutPath: String,
                      stderrPath: String, newProcessGroup: Bool) throws(SetupError) -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, stdoutPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        if stderrPath == stdoutPath {
            posix_spawn_file_actions_adddup2(&actions, 1, 2)
        } else {
            posix_spawn_file_actions_addopen(&actions, 2, stderrPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        }

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var emptyMask = sigset_t()
        sigemptyset(&emptyMask)
        posix_spawnattr_setsigmask(&attributes, &emptyMask)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGINT, SIGTERM, SIGPIPE, SIGHUP, SIGQUIT] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        var flags = POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF
        if newProcessGroup {
            flags |= POSIX_SPAWN_SETPGROUP
            posix_spawnattr_setpgroup(&attributes, 0)
        }
        posix_spawnattr_setflags(&attributes, Int16(flags))

        let argv: [UnsafeMutablePointer<CChar>?] = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp: [UnsafeMutablePointer<CChar>?] = environment.sorted { $0.key < $1.key }
            .map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var pid: pid_t = 0
        let status = posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
        guard status == 0 else {
            throw SetupError("cannot start \(executable): \(String(cString: strerror(status)))")
        }
        return pid
    }

    /// The exit status if the child has ended (it is then reaped), nil while it runs.
    static func poll(_ pid: pid_t) -> ExitStatus? {
        var raw: Int32 = 0
        let result = waitpid(pid, &raw, WNOHANG)
        if result == pid { return ExitStatus(raw: raw) }
        if result == -1, errno == ECHILD { return .exited(-1) }  // not our child (any more)
        return nil
    }

    /// Waits up to `timeout` for the child to end; nil if it still runs.
    static func wait(_ pid: pid_t, timeout: Duration) -> ExitStatus? {
        let deadline = Clock.monotonicNanos() + timeout.nanos
        while true {
            if let status = poll(pid) { return status }
            if Clock.monotonicNanos() >= deadline { return nil }
            Clock.sleep(nanos: 10_000_000)
        }
    }

    /// A TCP port on 127.0.0.1 that was free a moment ago.
    static func freeLoopbackPort() throws(SetupError) -> Int {
        do { return Int(try LoopbackPort.free()) } catch { throw SetupError("no free loopback port: \(error.description)") }
    }

    /// Creates a fresh private directory under $TMPDIR (or /tmp).
    static func makeTemporaryDirectory(prefix: String, environment: [String: String]) throws(SetupError) -> String {
        let base = environment["TMPDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
        var template = Array("\(base)/\(prefix).XXXXXX".utf8CString)
        let created = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        guard let created else {
            throw SetupError("cannot create a temporary directory in \(base): \(String(cString: strerror(errno)))")
        }
        return String(cString: created)
    }
}

/// Reads another process's memory and CPU time from `/proc/<pid>`.
struct ProcessProbe: Sendable {
    let pid: Int32

    /// `VmRSS` in KiB; nil when the process is gone or a zombie.
    func residentKiB() -> Int? {
        guard let status = Self.readSmallFile("/proc/\(pid)/status") else { return nil }
        for line in status.split(separator: "\n") where line.hasPrefix("VmRSS:") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count >= 2, let kib = Int(fields[1]) else { return nil }
            return kib
        }
        return nil
    }

    /// User plus system CPU time, in nanoseconds.
    func cpuNanos() -> UInt64? {
        guard let stat = Self.readSmallFile("/proc/\(pid)/stat"),
              let close = stat.lastIndex(of: ")") else { return nil }
        // After the command name: state(3) ppid(4) ... utime(14) stime(15).
        let fields = stat[stat.index(after: close)...].split(separator: " ", omittingEmptySubsequences: true)
        guard fields.count > 12, let user = UInt64(fields[11]), let system = UInt64(fields[12]) else { return nil }
        let ticks = UInt64(max(1, sysconf(Int32(_SC_CLK_TCK))))
        return (user + system) * 1_000_000_000 / ticks
    }

    /// True when `/proc/<pid>` exists.
    var exists: Bool { access("/proc/\(pid)", F_OK) == 0 }

    /// Reads a small file (such as the size-less files in /proc) to the end.
    static func readSmallFile(_ path: String) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0, errno == EINTR { continue }
            guard count >= 0 else { return nil }
            if count == 0 { break }
            bytes.append(contentsOf: buffer[0..<count])
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
