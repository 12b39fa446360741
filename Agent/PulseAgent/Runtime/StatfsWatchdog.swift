#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import PulseCommon
import Synchronization

/// `statvfs` with a time limit: a hung network mount must not stall a report.
///
/// Calls run one at a time on a small worker thread; the caller waits at most `timeout` (2 s) per path. A path
/// that times out is marked hung: the worker is abandoned to its blocked call (a thread stuck in the kernel
/// cannot be cancelled) and later calls for that path fail at once, without touching the kernel, until the
/// blocked call returns. That call is the background re-probe: when it comes back the path is measured normally
/// again. Other paths get a fresh worker. So each hung mount holds at most one thread, however long it hangs.
public final class StatfsWatchdog: Sendable {
    public static let defaultTimeout = Duration.seconds(2)

    private struct State: Sendable {
        var hung: Set<String> = []
        var worker: StatWorker?
    }

    let timeout: Duration
    private let state = Mutex(State())
    /// One call at a time: a worker runs one job.
    private let turn = Mutex(())
    private let logger: Logger?

    public init(timeout: Duration = defaultTimeout, logger: Logger? = nil) {
        self.timeout = timeout
        self.logger = logger
    }

    deinit {
        state.withLock { $0.worker }?.retire()  // its thread exits instead of waiting for work forever
    }

    /// `probes` with `filesystemStats` guarded by this watchdog.
    public func guarding(_ probes: SystemProbes) -> SystemProbes {
        var guarded = probes
        let stat = probes.filesystemStats
        guarded.filesystemStats = { [self] path in try stats(path, using: stat) }
        return guarded
    }

    /// Paths currently skipped as hung.
    public var hungPaths: Set<String> { state.withLock { $0.hung } }

    /// `stat(path)` on the worker, or `StatfsTimeout` after `timeout` (or at once for a path known to hang).
    /// Calls from several threads take turns.
    public func stats(_ path: String, using stat: @escaping @Sendable (String) throws -> FilesystemStats)
        throws -> FilesystemStats {
        try turn.withLock { _ in try measure(path, using: stat) }
    }

    private func measure(_ path: String, using stat: @escaping @Sendable (String) throws -> FilesystemStats)
        throws -> FilesystemStats {
        let worker: StatWorker
        do {
            worker = try state.withLock { state throws(StatfsTimeout) -> StatWorker in
                if state.hung.contains(path) { throw StatfsTimeout(path: path, timeout: timeout, isNew: false) }
                if let worker = state.worker { return worker }
                let worker = StatWorker()
                state.worker = worker
                return worker
            }
        }
        let job: @Sendable () -> StatWorker.Outcome = {
            do {
                return .stats(try stat(path))
            } catch {
                return .failed("\(error)")
            }
        }
        guard let outcome = worker.run(job, timeout: timeout) else {
            state.withLock { state in
                state.hung.insert(path)
                if state.worker === worker { state.worker = nil }
            }
            worker.abandon { [self] in
                state.withLock { _ = $0.hung.remove(path) }
                logger?.info("filesystem answers statvfs again; measuring it from the next report", ["path": path])
            }
            throw StatfsTimeout(path: path, timeout: timeout, isNew: true)
        }
        switch outcome {
        case .stats(let stats): return stats
        case .failed(let message): throw StatfsFailure(description: message)
        }
    }
}

/// `statvfs` did not answer in time (`isNew`), or the path is still skipped after an earlier timeout.
public struct StatfsTimeout: Error, CustomStringConvertible, Sendable, Equatable {
    public let path: String
    public let timeout: Duration
    /// `true` for the call that timed out, `false` for calls skipped while it is still blocked.
    public let isNew: Bool

    public var description: String {
        isNew ? "statvfs \(path) did not answer within \(timeout.milliseconds) ms"
            : "statvfs \(path) skipped: an earlier call is still blocked"
    }
}

/// A `statvfs` failure passed back from the worker thread.
public struct StatfsFailure: Error, CustomStringConvertible, Sendable {
    public let description: String
}

/// One thread running blocking calls one at a time, handed over through two pipes.
final class StatWorker: Sendable {
    enum Outcome: Sendable {
        case stats(FilesystemStats)
        case failed(String)
    }

    private struct Slot: Sendable {
        var job: (@Sendable () -> Outcome)?
        var outcome: Outcome?
        var abandoned = false
        var onLateFinish: (@Sendable () -> Void)?
        var running = false
    }

    private let requestRead: Int32
    private let requestWrite: Atomic<Int32>
    private let doneRead: Int32
    private let doneWrite: Int32
    private let slot = Mutex(Slot())
    private let threadStarted = Atomic<Bool>(false)

    /// Starts the thread. If no thread can be started, calls run on the caller's thread instead.
    init() {
        var request: [Int32] = [-1, -1]
        var done: [Int32] = [-1, -1]
        if pipe(&request) != 0 || pipe(&done) != 0 { fatalError("pipe() failed: \(String(cString: strerror(errno)))") }
        for fd in request + done { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        requestRead = request[0]
        requestWrite = Atomic(request[1])
        doneRead = done[0]
        doneWrite = done[1]
        if (try? WorkerThread { [self] in loop() }) != nil { threadStarted.store(true, ordering: .releasing) }
    }

    deinit {
        close(requestRead)
        let write = requestWrite.exchange(-1, ordering: .acquiringAndReleasing)
        if write >= 0 { close(write) }
        close(doneRead)
        close(doneWrite)
    }

    /// Runs `job` on the thread and waits at most `timeout`; `nil` on timeout.
    func run(_ job: @escaping @Sendable () -> Outcome, timeout: Duration) -> Outcome? {
        guard threadStarted.load(ordering: .acquiring) else { return job() }
        slot.withLock { $0.job = job; $0.outcome = nil }
        var byte: UInt8 = 1
        let fd = requestWrite.load(ordering: .acquiring)
        guard fd >= 0, write(fd, &byte, 1) == 1 else { return job() }
        let deadline = ContinuousClock.now.advanced(by: timeout)
        while true {
            let remaining = ContinuousClock.now.duration(to: deadline)
            if remaining <= .zero { return nil }
            var descriptor = pollfd(fd: doneRead, events: Int16(POLLIN), revents: 0)
            let ready = poll(&descriptor, 1, Int32(clamping: max(1, remaining.milliseconds)))
            if ready > 0 {
                _ = read(doneRead, &byte, 1)
                return slot.withLock { $0.outcome }
            }
        }
    }

    /// Gives up on the running job: the thread exits after it, calling `onLateFinish` then. If the job finished
    /// in the meantime, `onLateFinish` runs at once.
    func abandon(onLateFinish: @escaping @Sendable () -> Void) {
        let finishedAlready = slot.withLock { slot in
            slot.abandoned = true
            if slot.running { slot.onLateFinish = onLateFinish }
            return !slot.running
        }
        retire()
        if finishedAlready { onLateFinish() }
    }

    /// Ends the idle thread (its next read sees end-of-file).
    func retire() {
        let fd = requestWrite.exchange(-1, ordering: .acquiringAndReleasing)
        if fd >= 0 { close(fd) }
    }

    private func loop() {
        var byte: UInt8 = 0
        while true {
            let count = read(requestRead, &byte, 1)
            if count < 0 && errno == EINTR { continue }
            guard count == 1 else { return }
            guard let job = slot.withLock({ slot -> (@Sendable () -> Outcome)? in
                slot.running = slot.job != nil
                return slot.job
            }) else { continue }
            let outcome = job()
            let lateFinish = slot.withLock { slot -> (@Sendable () -> Void)? in
                slot.running = false
                slot.job = nil
                slot.outcome = outcome
                return slot.abandoned ? slot.onLateFinish : nil
            }
            if let lateFinish {
                lateFinish()
                return
            }
            byte = 1
            _ = write(doneWrite, &byte, 1)
        }
    }
}
