#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A failed file operation in the spool directory.
public struct SpoolError: Error, CustomStringConvertible, Sendable {
    public let operation: String
    public let path: String
    public let errno: Int32

    public var description: String {
        errno == 0 ? "\(operation) \(path)" : "\(operation) \(path): \(String(cString: strerror(errno)))"
    }
}

/// The spool's directory: created if missing (mode 700), locked against a second agent, with crash-safe writes.
///
/// A report file is written as `.tmp-<name>`, fsync'd, renamed to its final name, and the directory is fsync'd,
/// so after a crash a file either is complete under its final name or is a leftover `.tmp-` file, which `open`
/// deletes. Deletions are not fsync'd: a deletion lost in a crash replays one report twice, which the hub
/// ignores (its `sequenceId` is not newer than what it has).
///
/// Not thread-safe; `DiskReportSpool` serialises access.
final class SpoolDirectory {
    static let temporaryPrefix = ".tmp-"
    static let lockName = ".lock"

    let path: String
    private let directory: Int32
    private let lock: Int32

    /// Creates (`mkdir -p`), opens and locks the directory.
    init(path: String) throws(SpoolError) {
        self.path = path
        try Self.makeDirectories(path)
        let directory = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard directory >= 0 else { throw SpoolError(operation: "open", path: path, errno: errno) }
        guard access(path, W_OK | X_OK) == 0 else {
            let error = errno
            close(directory)
            throw SpoolError(operation: "write access to", path: path, errno: error)
        }
        let lockPath = path + "/" + Self.lockName
        let lock = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard lock >= 0 else {
            let error = errno
            close(directory)
            throw SpoolError(operation: "open", path: lockPath, errno: error)
        }
        guard flock(lock, LOCK_EX | LOCK_NB) == 0 else {
            let error = errno
            close(lock)
            close(directory)
            if error == EWOULDBLOCK {
                throw SpoolError(operation: "another pulse-agent holds the lock on", path: path, errno: 0)
            }
            throw SpoolError(operation: "flock", path: lockPath, errno: error)
        }
        self.directory = directory
        self.lock = lock
    }

    deinit {
        close(lock)  // releases the flock
        close(directory)
    }

    /// The entry names, without `.` and `..`.
    func names() throws(SpoolError) -> [String] {
        guard let stream = opendir(path) else { throw SpoolError(operation: "opendir", path: path, errno: errno) }
        defer { closedir(stream) }
        var names: [String] = []
        while let entry = readdir(stream) {
            let name = withUnsafePointer(to: entry.pointee.d_name) { pointer in
                pointer.withMemoryRebound(to: CChar.self, capacity: MemoryLayout.size(ofValue: entry.pointee.d_name)) {
                    String(cString: $0)
                }
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    /// The size of a regular file, `nil` if it is not one.
    func size(of name: String) -> Int? {
        var info = stat()
        guard fstatat(directory, name, &info, AT_SYMLINK_NOFOLLOW) == 0, info.st_mode & S_IFMT == S_IFREG else {
            return nil
        }
        return Int(info.st_size)
    }

    /// Writes `bytes` to `name` durably: temp file, fsync, rename, directory fsync.
    func write(_ bytes: [UInt8], to name: String) throws(SpoolError) {
        let temporary = Self.temporaryPrefix + name
        let fd = openat(directory, temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw SpoolError(operation: "create", path: path + "/" + temporary, errno: errno) }
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            if written < 0 && errno == EINTR { continue }
            guard written > 0 else {
                let error = errno
                close(fd)
                unlinkat(directory, temporary, 0)
                throw SpoolError(operation: "write", path: path + "/" + temporary, errno: error)
            }
            offset += written
        }
        guard fsync(fd) == 0 else {
            let error = errno
            close(fd)
            unlinkat(directory, temporary, 0)
            throw SpoolError(operation: "fsync", path: path + "/" + temporary, errno: error)
        }
        close(fd)
        guard renameat(directory, temporary, directory, name) == 0 else {
            let error = errno
            unlinkat(directory, temporary, 0)
            throw SpoolError(operation: "rename", path: path + "/" + name, errno: error)
        }
        guard fsync(directory) == 0 else { throw SpoolError(operation: "fsync", path: path, errno: errno) }
    }

    /// Reads a whole file, at most `limit` bytes.
    func read(_ name: String, limit: Int) throws(SpoolError) -> [UInt8] {
        let fd = openat(directory, name, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw SpoolError(operation: "open", path: path + "/" + name, errno: errno) }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while bytes.count < limit {
            let wanted = min(chunk.count, limit - bytes.count)
            let count = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, wanted) }
            if count < 0 && errno == EINTR { continue }
            guard count >= 0 else { throw SpoolError(operation: "read", path: path + "/" + name, errno: errno) }
            if count == 0 { break }
            bytes += chunk[..<count]
        }
        return bytes
    }

    /// Deletes a file; a file already gone is not an error.
    func remove(_ name: String) {
        _ = unlinkat(directory, name, 0)
    }

    /// `mkdir -p` with mode 700 for the directories it creates.
    static func makeDirectories(_ path: String) throws(SpoolError) {
        guard !path.isEmpty else { throw SpoolError(operation: "empty spool directory", path: path, errno: 0) }
        var prefix = path.hasPrefix("/") ? "" : "."
        for component in path.split(separator: "/") {
            prefix += "/" + component
            if mkdir(prefix, 0o700) == 0 || errno == EEXIST { continue }
            throw SpoolError(operation: "mkdir", path: prefix, errno: errno)
        }
        var info = stat()
        guard stat(path, &info) == 0 else { throw SpoolError(operation: "stat", path: path, errno: errno) }
        guard info.st_mode & S_IFMT == S_IFDIR else {
            throw SpoolError(operation: "not a directory:", path: path, errno: 0)
        }
    }
}
