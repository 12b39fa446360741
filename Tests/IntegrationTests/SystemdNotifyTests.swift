import Foundation
import PulseCommon
import Testing

/// The hub under a (fake) systemd: readiness, watchdog pings and stopping, over the `NOTIFY_SOCKET` datagram
/// protocol that libsystemd speaks.
@Suite struct SystemdNotifyTests {
    /// A bound unix datagram socket standing in for systemd's notify socket.
    final class FakeNotifySocket {
        let path: String
        let descriptor: Int32

        init(path: String) throws {
            self.path = path
            descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
            guard descriptor >= 0 else { throw HarnessError("socket() failed") }
            var address = sockaddr_un()
            address.sun_family = sa_family_t(AF_UNIX)
            let bytes = Array(path.utf8)
            guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else { throw HarnessError("path too long") }
            withUnsafeMutableBytes(of: &address.sun_path) { buffer in
                buffer.copyBytes(from: bytes)
                buffer[bytes.count] = 0
            }
            let bound = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
            }
            guard bound == 0 else { throw HarnessError("bind(\(path)) failed: errno \(errno)") }
            var timeout = timeval(tv_sec: 0, tv_usec: 200_000)
            setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        }

        deinit {
            close(descriptor)
            unlink(path)
        }

        /// Messages received until `predicate` holds for one of them or `timeout` passes.
        func receive(until predicate: (String) -> Bool, timeout: Duration) -> [String] {
            var messages: [String] = []
            let deadline = ContinuousClock.now + timeout
            var buffer = [UInt8](repeating: 0, count: 4096)
            while ContinuousClock.now < deadline {
                let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
                guard count > 0 else { continue }
                let message = String(decoding: buffer[..<count], as: UTF8.self)
                messages.append(message)
                if predicate(message) { break }
            }
            return messages
        }
    }

    @Test func readyWatchdogAndStopping() throws {
        let hub = try HubProcess()
        defer { hub.shutdown() }
        let notify = try FakeNotifySocket(path: hub.root + "/notify.sock")
        hub.extraEnvironment = ["NOTIFY_SOCKET": notify.path, "WATCHDOG_USEC": "1000000"]
        try hub.start()

        let ready = notify.receive(until: { $0.contains("READY=1") }, timeout: .seconds(10))
        #expect(ready.contains { $0.contains("READY=1") }, "no READY=1; got \(ready)")
        #expect(ready.contains { $0.contains("STATUS=listening on port \(hub.port)") })

        let pings = notify.receive(until: { $0.contains("WATCHDOG=1") }, timeout: .seconds(5))
        #expect(pings.contains("WATCHDOG=1"), "no watchdog ping within 5 s of a 1 s watchdog; got \(pings)")

        _ = try hub.stop()
        let stopping = notify.receive(until: { $0.contains("STOPPING=1") }, timeout: .seconds(5))
        #expect(stopping.contains("STOPPING=1"), "no STOPPING=1; got \(stopping)")
    }

    @Test func withoutNotifySocketNothingBreaks() throws {
        let hub = try HubProcess()
        defer { hub.shutdown() }
        hub.extraEnvironment = ["WATCHDOG_USEC": "1000000"]
        try hub.start()
        #expect(try hub.request("GET", "/api/health").status == 200)
        _ = try hub.stop()
    }
}
