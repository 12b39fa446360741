#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Synchronization

/// A resettable wake-up: `ring()` from any thread wakes the next `StopSignal.wait(until:or:)` on it, which then
/// drains it. Used to apply a new interval at once instead of after the current sleep.
public final class Doorbell: Sendable {
    private let readEnd: Int32
    private let writeEnd: Int32

    public init() {
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else { fatalError("pipe() failed: \(String(cString: strerror(errno)))") }
        readEnd = fds[0]
        writeEnd = fds[1]
        for fd in fds {
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        }
    }

    deinit {
        close(readEnd)
        close(writeEnd)
    }

    /// Wakes the waiter (a full pipe already means "rung").
    public func ring() {
        var byte: UInt8 = 1
        _ = write(writeEnd, &byte, 1)
    }

    var pollDescriptor: Int32 { readEnd }

    /// Empties the pipe; `true` if it had been rung.
    @discardableResult
    func drain() -> Bool {
        var buffer = [UInt8](repeating: 0, count: 64)
        var rung = false
        while buffer.withUnsafeMutableBytes({ read(readEnd, $0.baseAddress, $0.count) }) > 0 { rung = true }
        return rung
    }
}

extension StopSignal {
    /// Why a wait ended.
    public enum Wake: Sendable, Equatable {
        case deadline, stopped, rang
    }

    /// Sleeps until `deadline`, a stop request, or a ring of `doorbell` (which is drained).
    public func wait(until deadline: ContinuousClock.Instant, or doorbell: Doorbell) -> Wake {
        while !isRequested {
            if doorbell.drain() { return .rang }
            let remaining = ContinuousClock.now.duration(to: deadline)
            if remaining <= .zero { return .deadline }
            var descriptors = [pollfd(fd: pollDescriptor, events: Int16(POLLIN), revents: 0),
                               pollfd(fd: doorbell.pollDescriptor, events: Int16(POLLIN), revents: 0)]
            _ = poll(&descriptors, 2, Int32(clamping: max(1, remaining.milliseconds)))
        }
        return .stopped
    }
}
