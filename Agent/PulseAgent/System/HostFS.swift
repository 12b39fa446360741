#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The roots the agent reads the host through: procfs, sysfs, the root filesystem and `/etc`.
///
/// Every collector reads files only through a `HostFS`, so tests point it at a fixture tree and a containerised
/// agent points it at the host's mounts (`--path.procfs=/host/proc`, or gopsutil's `HOST_PROC`, `HOST_SYS`,
/// `HOST_ROOT`, `HOST_ETC`). Reads are bounded (procfs reports sizes of 0 or 4096 whatever the content, so the
/// file is read until EOF up to `readLimit`).
public struct HostFS: Sendable, Equatable {
    /// procfs mount, `/proc` by default.
    public var procfs: String
    /// sysfs mount, `/sys` by default.
    public var sysfs: String
    /// The host's root filesystem, `/` by default; mountpoints are resolved under it for `statvfs`.
    public var rootfs: String
    /// The host's `/etc`, `<rootfs>/etc` by default.
    public var etc: String

    /// The largest file the agent reads (1 MiB).
    public static let readLimit = 1 << 20

    public init(procfs: String = "/proc", sysfs: String = "/sys", rootfs: String = "/", etc: String? = nil) {
        self.procfs = procfs
        self.sysfs = sysfs
        self.rootfs = rootfs
        self.etc = etc ?? Self.join(rootfs, "etc")
    }

    /// Whether this is the machine's own view (`/proc`, `/sys`, `/`), not a fixture or a container's host mount.
    public var isHostRoot: Bool {
        Self.normalise(procfs) == "/proc" && Self.normalise(sysfs) == "/sys" && Self.normalise(rootfs) == "/"
    }

    /// A path under procfs.
    public func procPath(_ components: String...) -> String { Self.join(procfs, components) }
    /// A path under sysfs.
    public func sysPath(_ components: String...) -> String { Self.join(sysfs, components) }
    /// A path under the root filesystem (a mountpoint such as `/boot` becomes `<rootfs>/boot`).
    public func rootPath(_ components: String...) -> String { Self.join(rootfs, components) }
    /// A path under the host's `/etc`.
    public func etcPath(_ components: String...) -> String { Self.join(etc, components) }

    /// Reads a whole file as UTF-8 text (invalid bytes replaced), at most `limit` bytes.
    public func read(_ path: String, limit: Int = HostFS.readLimit) throws(HostFSError) -> String {
        String(decoding: try Self.readBytes(path, limit: limit), as: UTF8.self)
    }

    /// Reads a one-value attribute file (sysfs, `machine-id`), trimmed of surrounding whitespace.
    public func readValue(_ path: String) throws(HostFSError) -> String {
        try read(path, limit: 64 * 1024).trimmingWhitespace()
    }

    /// The entry names of a directory, sorted, without `.` and `..`.
    public func list(_ path: String) throws(HostFSError) -> [String] {
        guard let directory = opendir(path) else { throw HostFSError(path: path, errno: errno, operation: "opendir") }
        defer { closedir(directory) }
        var names: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafePointer(to: entry.pointee.d_name) { pointer in
                pointer.withMemoryRebound(to: CChar.self, capacity: MemoryLayout.size(ofValue: entry.pointee.d_name)) {
                    String(cString: $0)
                }
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }

    /// Whether a path exists (following symlinks).
    public func exists(_ path: String) -> Bool {
        access(path, F_OK) == 0
    }

    /// Reads at most `limit` bytes with plain `read(2)` calls until EOF.
    static func readBytes(_ path: String, limit: Int) throws(HostFSError) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw HostFSError(path: path, errno: errno, operation: "open") }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16 * 1024)
        while bytes.count < limit {
            let wanted = min(chunk.count, limit - bytes.count)
            let count = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, wanted) }
            if count < 0 {
                if errno == EINTR { continue }
                throw HostFSError(path: path, errno: errno, operation: "read")
            }
            if count == 0 { break }
            bytes.append(contentsOf: chunk[0..<count])
        }
        return bytes
    }

    static func join(_ root: String, _ components: String...) -> String { join(root, components) }

    static func join(_ root: String, _ components: [String]) -> String {
        var path = normalise(root)
        for component in components {
            let trimmed = component.drop(while: { $0 == "/" })
            guard !trimmed.isEmpty else { continue }
            path += path.hasSuffix("/") ? String(trimmed) : "/" + trimmed
        }
        return path
    }

    /// The path without trailing slashes (`/` stays `/`; empty means the current directory).
    static func normalise(_ path: String) -> String {
        var result = path
        while result.count > 1 && result.hasSuffix("/") { result.removeLast() }
        return result.isEmpty ? "." : result
    }
}

/// A failed read of a host file.
public struct HostFSError: Error, CustomStringConvertible, Sendable, Equatable {
    public let path: String
    /// The `errno` of the failing call.
    public let errno: Int32
    public let operation: String

    /// Whether the file or directory does not exist.
    public var isNotFound: Bool { errno == ENOENT || errno == ENOTDIR }

    public var description: String {
        "\(operation) \(path): \(String(cString: strerror(errno)))"
    }
}
