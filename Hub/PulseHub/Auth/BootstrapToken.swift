import Foundation
import PulseCommon

/// The first-run token (hub-api section 2.6): 24 random bytes as hex in `<data>/.bootstrap_token` (0600), present
/// while no administrator login exists. The hub keeps only its SHA3-256 digest in memory.
public struct BootstrapToken: Sendable {
    public static let fileName = ".bootstrap_token"

    /// The file's path for a data directory.
    public static func path(in dataDirectory: String) -> String { dataDirectory + "/" + fileName }

    /// Reads the token, or creates it when absent or malformed. Returns the raw token and whether it was created.
    public static func ensure(in dataDirectory: String) throws -> (token: String, created: Bool) {
        if let existing = read(in: dataDirectory) { return (existing, false) }
        let token = Crypto.randomBytes(24).hexString
        try FileSecurity.writePrivate(Array((token + "\n").utf8), to: path(in: dataDirectory))
        return (token, true)
    }

    /// The current token, if the file exists and holds one.
    public static func read(in dataDirectory: String) -> String? {
        guard let text = try? String(contentsOfFile: path(in: dataDirectory), encoding: .utf8) else { return nil }
        let token = text.trimmingWhitespace()
        return token.isHex(length: 48) ? token : nil
    }

    /// Deletes the file (after setup completes, or when a login exists).
    public static func remove(in dataDirectory: String) {
        unlink(path(in: dataDirectory))
    }
}

/// Files holding secrets.
public enum FileSecurity {
    /// Writes a file readable only by its owner, atomically (temporary file, fsync, rename).
    public static func writePrivate(_ bytes: [UInt8], to path: String) throws {
        let temporary = path + ".tmp-\(getpid())"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw POSIXFailure(operation: "create", path: path, code: errno) }
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress! + offset, bytes.count - offset) }
            guard written > 0 else {
                let code = errno
                close(descriptor)
                unlink(temporary)
                throw POSIXFailure(operation: "write", path: path, code: code)
            }
            offset += written
        }
        fsync(descriptor)
        close(descriptor)
        guard rename(temporary, path) == 0 else {
            let code = errno
            unlink(temporary)
            throw POSIXFailure(operation: "rename", path: path, code: code)
        }
    }

    /// Creates a directory (and parents) with mode 0700 when missing.
    public static func ensureDirectory(_ path: String) throws {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else { throw POSIXFailure(operation: "use as directory", path: path, code: ENOTDIR) }
            return
        }
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
    }
}

/// A failed system call on a file; for operators (logs, CLI), never for HTTP bodies.
public struct POSIXFailure: Error, CustomStringConvertible {
    public let operation: String
    public let path: String
    public let code: Int32
    public var description: String { "cannot \(operation) \(path): \(String(cString: strerror(code)))" }
}
