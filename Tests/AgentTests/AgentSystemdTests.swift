import Foundation
import Glibc
import Testing
@testable import PulseAgent

/// `READY=1` / `STOPPING=1` to a (fake) systemd notify socket, by path and in the abstract namespace.
struct AgentSystemdTests {
    /// Binds a unix datagram socket: `path` as given, or abstract when it starts with `@`.
    static func listener(_ path: String) throws -> Int32 {
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        var bytes = Array(path.utf8)
        let abstract = bytes.first == UInt8(ascii: "@")
        if abstract { bytes[0] = 0 }
        withUnsafeMutableBytes(of: &address.sun_path) { buffer in
            buffer.copyBytes(from: bytes)
            if !abstract { buffer[bytes.count] = 0 }
        }
        let length = socklen_t(2 + bytes.count + (abstract ? 0 : 1))
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
        }
        guard bound == 0 else { close(fd); throw POSIXError(.EADDRINUSE) }
        var timeout = timeval(tv_sec: 2, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        return fd
    }

    static func receive(_ fd: Int32) -> String {
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        return count > 0 ? String(decoding: buffer[..<count], as: UTF8.self) : ""
    }

    @Test func notifiesAPathSocket() throws {
        let directory = try TestSupport.temporaryDirectory()
        defer { TestSupport.remove(directory) }
        let path = directory + "/notify.sock"
        let fd = try Self.listener(path)
        defer { close(fd) }
        let notify = SystemdNotify(environment: ["NOTIFY_SOCKET": path])
        #expect(notify.ready(status: "reporting"))
        #expect(Self.receive(fd) == "READY=1\nSTATUS=reporting")
        #expect(notify.stopping())
        #expect(Self.receive(fd) == "STOPPING=1")
    }

    @Test func notifiesAnAbstractSocket() throws {
        let name = "@pulse-agent-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let fd = try Self.listener(name)
        defer { close(fd) }
        #expect(SystemdNotify(environment: ["NOTIFY_SOCKET": name]).stopping())
        #expect(Self.receive(fd) == "STOPPING=1")
    }

    @Test func withoutASocketNothingHappens() {
        #expect(!SystemdNotify(environment: [:]).ready(status: "x"))
        #expect(!SystemdNotify(environment: ["NOTIFY_SOCKET": ""]).stopping())
        #expect(!SystemdNotify(environment: ["NOTIFY_SOCKET": "/nonexistent/notify.sock"]).stopping())
    }
}
