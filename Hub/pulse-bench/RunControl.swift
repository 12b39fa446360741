import Glibc
import Synchronization

/// Shared between the coordinator, the client threads and the signal thread: whether to stop, and why.
final class RunControl: Sendable {
    private let stopping = Atomic<Bool>(false)
    private let reason = Mutex<String?>(nil)
    private let signals = Atomic<Int>(0)
    /// The PID of a hub this bench started (0 while none runs); killed if the user interrupts twice.
    let spawnedHubPID = Atomic<Int32>(0)

    /// True once anyone asked the run to end early.
    var isStopping: Bool { stopping.load(ordering: .relaxed) }

    /// Why the run was stopped early, if it was.
    var stopReason: String? { reason.withLock { $0 } }

    /// Asks every loop to finish its current request and stop; the first reason given is kept.
    func requestStop(reason text: String) {
        reason.withLock { if $0 == nil { $0 = text } }
        stopping.store(true, ordering: .relaxed)
    }

    /// Counts a received SIGINT/SIGTERM and returns how many arrived so far.
    func countSignal() -> Int { signals.wrappingAdd(1, ordering: .relaxed).newValue }
}

/// A POSIX thread that can be joined.
struct JoinableThread {
    private let handle: pthread_t

    /// Starts `body` on a new thread.
    static func start(_ body: @escaping @Sendable () -> Void) -> JoinableThread {
        let context = Unmanaged.passRetained(ThreadBody(body)).toOpaque()
        var handle = pthread_t()
        let status = pthread_create(&handle, nil, threadTrampoline, context)
        if status != 0 {
            Unmanaged<ThreadBody>.fromOpaque(context).release()
            Console.error("pulse-bench: cannot start a thread: \(String(cString: strerror(status)))")
            exit(1)
        }
        return JoinableThread(handle: handle)
    }

    /// Waits for the thread to finish.
    func join() {
        pthread_join(handle, nil)
    }
}

private final class ThreadBody {
    let run: @Sendable () -> Void
    init(_ run: @escaping @Sendable () -> Void) { self.run = run }
}

private func threadTrampoline(_ context: UnsafeMutableRawPointer?) -> UnsafeMutableRawPointer? {
    guard let context else { return nil }
    Unmanaged<ThreadBody>.fromOpaque(context).takeRetainedValue().run()
    return nil
}

/// Turns SIGINT/SIGTERM into a clean stop, without a signal handler: the signals are blocked in every thread and
/// one thread receives them with `sigwait`. The first one stops the run (the hub is then stopped and the temp
/// directory removed as usual); a second one kills a spawned hub and exits at once. SIGPIPE is blocked too.
enum SignalWatcher {
    /// Must run before any other thread is started, so that all of them inherit the mask.
    static func install(_ control: RunControl) {
        // An ignored signal is discarded before sigwait could see it (shells ignore SIGINT in background jobs).
        signal(SIGINT, SIG_DFL)
        signal(SIGTERM, SIG_DFL)
        var blocked = sigset_t()
        sigemptyset(&blocked)
        sigaddset(&blocked, SIGINT)
        sigaddset(&blocked, SIGTERM)
        sigaddset(&blocked, SIGPIPE)
        pthread_sigmask(SIG_BLOCK, &blocked, nil)

        let thread = JoinableThread.start {
            var waited = sigset_t()
            sigemptyset(&waited)
            sigaddset(&waited, SIGINT)
            sigaddset(&waited, SIGTERM)
            while true {
                var number: Int32 = 0
                guard sigwait(&waited, &number) == 0 else { continue }
                let name = number == SIGINT ? "SIGINT" : "SIGTERM"
                if control.countSignal() == 1 {
                    Console.error("pulse-bench: \(name) received: stopping (send it again to exit at once)")
                    control.requestStop(reason: "interrupted by \(name)")
                } else {
                    let pid = control.spawnedHubPID.load(ordering: .relaxed)
                    if pid > 0 {
                        kill(pid, SIGKILL)
                        Console.error("pulse-bench: second \(name): killed hub pid \(pid); "
                                      + "its temp directory is left behind")
                    } else {
                        Console.error("pulse-bench: second \(name): exiting")
                    }
                    _exit(130)
                }
            }
        }
        _ = thread  // runs until the process exits
    }
}
