#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// A one-way "stop now" flag that sleeping threads can wait on.
///
/// Backed by a pipe: `request()` writes a byte that is never read, so every `wait` after it returns at once,
/// from any thread, without locks or signal-handler work.
public final class StopSignal: Sendable {
    private let readEnd: Int32
    private let writeEnd: Int32
    private let requested = Atomic<Bool>(false)

    public init() {
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else { fatalError("pipe() failed: \(String(cString: strerror(errno)))") }
        readEnd = fds[0]
        writeEnd = fds[1]
        for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        _ = fcntl(writeEnd, F_SETFL, fcntl(writeEnd, F_GETFL) | O_NONBLOCK)
    }

    deinit {
        close(readEnd)
        close(writeEnd)
    }

    /// A descriptor that becomes readable once a stop is requested, for a `poll` that also watches others.
    var pollDescriptor: Int32 { readEnd }

    /// Whether a stop was requested.
    public var isRequested: Bool { requested.load(ordering: .acquiring) }

    /// Requests a stop and wakes every waiter. Idempotent.
    public func request() {
        guard !requested.exchange(true, ordering: .acquiringAndReleasing) else { return }
        var byte: UInt8 = 1
        _ = write(writeEnd, &byte, 1)
    }

    /// Sleeps until `deadline` or a stop request; returns `true` when stopped.
    @discardableResult
    public func wait(until deadline: ContinuousClock.Instant) -> Bool {
        while !isRequested {
            let remaining = ContinuousClock.now.duration(to: deadline)
            if remaining <= .zero { return false }
            var descriptor = pollfd(fd: readEnd, events: Int16(POLLIN), revents: 0)
            let milliseconds = Int32(clamping: max(1, remaining.milliseconds))
            _ = poll(&descriptor, 1, milliseconds)
        }
        return true
    }

    /// Sleeps for `duration` or until a stop request; returns `true` when stopped.
    @discardableResult
    public func wait(for duration: Duration) -> Bool {
        wait(until: ContinuousClock.now.advanced(by: duration))
    }
}
