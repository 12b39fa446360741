#if canImport(Glibc)
import Glibc
#endif

/// SIGTERM and SIGINT handled synchronously: blocked in every thread, then collected with `sigwait` by one
/// thread, so no work ever runs in a signal handler.
public enum TerminationSignals {
    /// Blocks SIGTERM and SIGINT for the calling thread and every thread it starts later, and ignores SIGPIPE.
    /// Call it first thing in `main`, before any thread exists.
    public static func block() {
        var set = signalSet()
        pthread_sigmask(SIG_BLOCK, &set, nil)
        signal(SIGPIPE, SIG_IGN)
    }

    /// Unblocks them again in the calling thread (before `execve`, whose new image inherits the mask).
    public static func unblock() {
        var set = signalSet()
        pthread_sigmask(SIG_UNBLOCK, &set, nil)
    }

    /// Waits for SIGTERM or SIGINT and returns its number.
    public static func wait() -> Int32 {
        var set = signalSet()
        var received: Int32 = 0
        while sigwait(&set, &received) != 0 {}
        return received
    }

    /// The signal's name for logs.
    public static func name(_ signal: Int32) -> String {
        switch signal {
        case SIGTERM: "SIGTERM"
        case SIGINT: "SIGINT"
        default: "signal \(signal)"
        }
    }

    private static func signalSet() -> sigset_t {
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGTERM)
        sigaddset(&set, SIGINT)
        return set
    }
}
