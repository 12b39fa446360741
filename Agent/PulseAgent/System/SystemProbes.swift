#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Kernel identification from `uname(2)`.
public struct Uname: Sendable, Equatable {
    public var nodename: String
    public var release: String
    public var machine: String

    public init(nodename: String, release: String, machine: String) {
        self.nodename = nodename
        self.release = release
        self.machine = machine
    }
}

/// Filesystem usage from `statvfs(2)`, in bytes.
public struct FilesystemStats: Sendable, Equatable {
    /// Size of the filesystem (blocks · fragment size).
    public var totalBytes: UInt64
    /// Blocks free to the superuser (bfree · fragment size).
    public var freeBytes: UInt64
    /// Blocks free to unprivileged users (bavail · fragment size); what `df` shows as available.
    public var availableBytes: UInt64

    public init(totalBytes: UInt64, freeBytes: UInt64, availableBytes: UInt64) {
        self.totalBytes = totalBytes
        self.freeBytes = freeBytes
        self.availableBytes = availableBytes
    }
}

/// The system calls collectors need beyond reading files, as replaceable functions.
///
/// `live` calls the kernel; tests build one from fixed values so nothing depends on the machine running them.
public struct SystemProbes: Sendable {
    /// The OS hostname (`gethostname`), `nil` if unavailable.
    public var hostname: @Sendable () -> String?
    /// `uname(2)`, `nil` if it failed.
    public var uname: @Sendable () -> Uname?
    /// `statvfs(2)` of a path.
    public var filesystemStats: @Sendable (String) throws -> FilesystemStats
    /// CIDR addresses per interface name; `nil` when addresses cannot be known (a fixture tree or a foreign root).
    public var interfaceAddresses: (@Sendable () throws -> [String: [String]])?
    /// Sleeps the calling thread (used for the first, short CPU sample).
    public var sleep: @Sendable (Duration) -> Void

    public init(hostname: @escaping @Sendable () -> String?,
                uname: @escaping @Sendable () -> Uname?,
                filesystemStats: @escaping @Sendable (String) throws -> FilesystemStats,
                interfaceAddresses: (@Sendable () throws -> [String: [String]])?,
                sleep: @escaping @Sendable (Duration) -> Void) {
        self.hostname = hostname
        self.uname = uname
        self.filesystemStats = filesystemStats
        self.interfaceAddresses = interfaceAddresses
        self.sleep = sleep
    }

    /// The real kernel. Interface addresses come from `getifaddrs` only when `fs` is the machine's own root,
    /// because that call always answers for the agent's own network namespace.
    public static func live(for fs: HostFS) -> SystemProbes {
        var addresses: (@Sendable () throws -> [String: [String]])?
        if fs.isHostRoot { addresses = { try LiveSystem.interfaceAddresses() } }
        return SystemProbes(hostname: { LiveSystem.hostname() }, uname: { LiveSystem.uname() },
                            filesystemStats: { path in try LiveSystem.filesystemStats(path) },
                            interfaceAddresses: addresses, sleep: { LiveSystem.sleep($0) })
    }
}

/// A failed system call.
public struct SystemCallError: Error, CustomStringConvertible, Sendable {
    public let call: String
    public let errno: Int32
    public var description: String { "\(call): \(String(cString: strerror(errno)))" }
}

/// Thin wrappers over the system calls in `SystemProbes.live`.
enum LiveSystem {
    static func hostname() -> String? {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return nil }
        let name = buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }.trimmingWhitespace()
        return name.isEmpty ? nil : name
    }

    static func uname() -> Uname? {
        var info = utsname()
        guard Glibc.uname(&info) == 0 else { return nil }
        return Uname(nodename: field(&info.nodename), release: field(&info.release), machine: field(&info.machine))
    }

    private static func field<T>(_ tuple: inout T) -> String {
        withUnsafeBytes(of: &tuple) { raw in
            String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
        }
    }

    static func filesystemStats(_ path: String) throws -> FilesystemStats {
        var info = statvfs()
        guard statvfs(path, &info) == 0 else { throw SystemCallError(call: "statvfs \(path)", errno: errno) }
        let fragment = UInt64(info.f_frsize != 0 ? info.f_frsize : info.f_bsize)
        return FilesystemStats(totalBytes: UInt64(info.f_blocks) &* fragment,
                               freeBytes: UInt64(info.f_bfree) &* fragment,
                               availableBytes: UInt64(info.f_bavail) &* fragment)
    }

    static func sleep(_ duration: Duration) {
        let milliseconds = max(0, duration.milliseconds)
        var request = timespec(tv_sec: Int(milliseconds / 1000), tv_nsec: Int(milliseconds % 1000) * 1_000_000)
        var remaining = timespec()
        while nanosleep(&request, &remaining) != 0 && errno == EINTR { request = remaining }
    }

    /// IPv4 and IPv6 addresses in CIDR form, per interface, from `getifaddrs(3)`.
    static func interfaceAddresses() throws -> [String: [String]] {
        var head: UnsafeMutablePointer<ifaddrs>?
        guard getifaddrs(&head) == 0 else { throw SystemCallError(call: "getifaddrs", errno: errno) }
        defer { freeifaddrs(head) }
        var result: [String: [String]] = [:]
        var cursor = head
        while let entry = cursor {
            defer { cursor = entry.pointee.ifa_next }
            guard let address = entry.pointee.ifa_addr, let namePointer = entry.pointee.ifa_name else { continue }
            let name = String(cString: namePointer)
            let family = Int32(address.pointee.sa_family)
            guard family == AF_INET || family == AF_INET6,
                  let text = numericHost(address, family: family) else { continue }
            let prefix = entry.pointee.ifa_netmask.map { prefixLength($0, family: family) }
            result[name, default: []].append(prefix.map { "\(text)/\($0)" } ?? text)
        }
        return result
    }

    private static func numericHost(_ address: UnsafeMutablePointer<sockaddr>, family: Int32) -> String? {
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN) + 1)
        let raw = UnsafeRawPointer(address)
        let ok: Bool
        if family == AF_INET {
            var inet = raw.load(as: sockaddr_in.self).sin_addr
            ok = inet_ntop(family, &inet, &buffer, socklen_t(buffer.count)) != nil
        } else {
            var inet6 = raw.load(as: sockaddr_in6.self).sin6_addr
            ok = inet_ntop(family, &inet6, &buffer, socklen_t(buffer.count)) != nil
        }
        guard ok else { return nil }
        return buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }

    private static func prefixLength(_ mask: UnsafeMutablePointer<sockaddr>, family: Int32) -> Int {
        let raw = UnsafeRawPointer(mask)
        var bits = 0
        if family == AF_INET {
            var address = raw.load(as: sockaddr_in.self).sin_addr
            withUnsafeBytes(of: &address) { for byte in $0 { bits += byte.nonzeroBitCount } }
        } else {
            var address = raw.load(as: sockaddr_in6.self).sin6_addr
            withUnsafeBytes(of: &address) { for byte in $0 { bits += byte.nonzeroBitCount } }
        }
        return bits
    }
}
