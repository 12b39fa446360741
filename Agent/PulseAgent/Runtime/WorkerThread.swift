#if canImport(Glibc)
import Glibc
#endif

/// A detached OS thread for blocking work (libcurl, file reads), with a bounded wait for its end.
public final class WorkerThread: Sendable {
    private let finished = StopSignal()

    private final class Start {
        let body: @Sendable () -> Void
        let finished: StopSignal
        init(body: @escaping @Sendable () -> Void, finished: StopSignal) {
            self.body = body
            self.finished = finished
        }
    }

    /// Starts `body` on a new thread.
    public init(_ body: @escaping @Sendable () -> Void) throws(SystemCallError) {
        let start = Unmanaged.passRetained(Start(body: body, finished: finished)).toOpaque()
        var thread = pthread_t()
        let result = pthread_create(&thread, nil, { argument in
            guard let argument else { return nil }
            let start = Unmanaged<Start>.fromOpaque(argument).takeRetainedValue()
            start.body()
            start.finished.request()
            return nil
        }, start)
        guard result == 0 else {
            Unmanaged<Start>.fromOpaque(start).release()
            throw SystemCallError(call: "pthread_create", errno: result)
        }
        pthread_detach(thread)
    }

    /// Waits for the thread's body to return, at most `timeout`; `true` if it did.
    public func join(timeout: Duration) -> Bool {
        finished.wait(for: timeout)
    }
}
