#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// systemd's notify protocol in pure Swift: one datagram to `$NOTIFY_SOCKET` (a path, or `@name` for an abstract
/// socket). Silent when the variable is unset, so the agent runs the same without systemd (`Type=notify` units
/// get `READY=1` after start and `STOPPING=1` on SIGTERM; `Type=simple` units ignore them).
public struct SystemdNotify: Sendable {
    /// The socket address, `nil` when not under systemd.
    public let socketPath: String?

    public init(environment: [String: String]) {
        let path = environment["NOTIFY_SOCKET"] ?? ""
        socketPath = path.isEmpty ? nil : path
    }

    /// `READY=1` with a status line.
    @discardableResult
    public func ready(status: String) -> Bool { send("READY=1\nSTATUS=\(status)") }

    /// `STOPPING=1`.
    @discardableResult
    public func stopping() -> Bool { send("STOPPING=1") }

    /// Sends one state message; `false` when there is no socket or the send failed.
    @discardableResult
    public func send(_ state: String) -> Bool {
        guard let socketPath else { return false }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        var path = Array(socketPath.utf8)
        let abstract = path.first == UInt8(ascii: "@")
        if abstract { path[0] = 0 }  // Linux abstract namespace: a leading NUL, no terminator
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard path.count < capacity else { return false }
        withUnsafeMutableBytes(of: &address.sun_path) { buffer in
            buffer.copyBytes(from: path)
            if !abstract { buffer[path.count] = 0 }
        }
        let pathOffset = MemoryLayout<sockaddr_un>.offset(of: \.sun_path) ?? 2
        let length = socklen_t(pathOffset + path.count + (abstract ? 0 : 1))
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        let message = Array(state.utf8)
        let sent = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
                message.withUnsafeBytes {
                    sendto(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL), socketAddress, length)
                }
            }
        }
        return sent == message.count
    }
}
