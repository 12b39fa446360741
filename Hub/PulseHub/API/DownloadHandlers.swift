import Foundation
import PulseCommon
import Synchronization

/// Install scripts and agent binaries (hub-api section 5), served from local directories only: nothing is ever
/// fetched from or redirected to the internet.
public struct DownloadHandlers: Sendable {
    /// Where `install.sh` / `install.ps1` are looked up, in order.
    let installerDirectories: [String]
    /// Where `pulse-agent-<os>-<arch>` binaries are looked up, in order.
    let binDirectories: [String]
    let checksums: ChecksumCache

    /// Canonical `<os>-<arch>` for every accepted alias.
    static let architectureAliases: [String: String] = {
        var aliases: [String: String] = [:]
        let table: [(String, [String])] = [
            ("linux-amd64", ["linux-amd64", "amd64", "x86_64", "linux-x86_64"]),
            ("linux-arm64", ["linux-arm64", "arm64", "aarch64", "linux-aarch64"]),
            ("linux-armv7", ["linux-armv7", "armv7", "armv7l", "armhf", "linux-armhf"]),
            ("linux-armv6", ["linux-armv6", "armv6", "armv6l"]),
            ("linux-386", ["linux-386", "386", "i386", "i686"]),
            ("darwin-amd64", ["darwin-amd64", "macos-amd64"]),
            ("darwin-arm64", ["darwin-arm64", "macos-arm64"]),
            ("windows-amd64", ["windows-amd64"]),
            ("windows-arm64", ["windows-arm64"]),
            ("windows-386", ["windows-386"]),
        ]
        for (canonical, names) in table { for name in names { aliases[name] = canonical } }
        return aliases
    }()

    /// The default search path: `PULSE_BIN_DIR` (else `/opt/pulse/bin`), `/opt/pulse`, `/app`, `<cwd>/bin`, and the
    /// `bin` directory next to the hub's executable.
    static func defaultBinDirectories(environment: [String: String]) -> [String] {
        var directories = [environment["PULSE_BIN_DIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/opt/pulse/bin",
                           "/opt/pulse", "/app", FileManager.default.currentDirectoryPath + "/bin"]
        if let executable = Self.executableDirectory { directories.append(executable + "/bin") }
        return directories
    }

    /// `PULSE_INSTALLERS_DIR`, then `installers/` next to the hub's executable (and `../share/pulse/installers`),
    /// `/opt/pulse/installers`, and `<cwd>/installers` (a source checkout).
    static func defaultInstallerDirectories(environment: [String: String]) -> [String] {
        var directories: [String] = []
        if let configured = environment["PULSE_INSTALLERS_DIR"], !configured.isEmpty { directories.append(configured) }
        if let executable = Self.executableDirectory {
            directories += [executable + "/installers", executable + "/../share/pulse/installers"]
        }
        directories += ["/opt/pulse/installers", FileManager.default.currentDirectoryPath + "/installers"]
        return directories
    }

    static var executableDirectory: String? {
        guard let path = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") else { return nil }
        return (path as NSString).deletingLastPathComponent
    }

    // MARK: Scripts

    /// A handler serving an installer script; `uninstall` makes it default to `--uninstall`.
    public func script(_ name: String, uninstall: Bool = false) -> Handler {
        { context in
            guard let path = installerDirectories.map({ $0 + "/" + name }).first(where: { FileManager.default.isReadableFile(atPath: $0) }),
                  var bytes = FileManager.default.contents(atPath: path).map(Array.init) else {
                throw APIError.notFound("installer_not_found",
                                        "\(name) is not installed on this hub: put the project's installers/ directory next to pulse-hub or set PULSE_INSTALLERS_DIR")
            }
            if uninstall { bytes = Self.defaultingToUninstall(bytes, powershell: name.hasSuffix(".ps1")) }
            var response = HTTPResponse(status: 200, body: bytes)
            response.setHeader("Content-Type", name.hasSuffix(".sh") ? "text/x-shellscript; charset=utf-8" : "text/plain; charset=utf-8")
            response.setHeader("Content-Disposition", "inline; filename=\"\(uninstall ? "uninstall-" : "")\(name)\"")
            Self.noCache(&response)
            _ = context
            return response
        }
    }

    /// Inserts the uninstall default after the shebang / param block marker.
    static func defaultingToUninstall(_ bytes: [UInt8], powershell: Bool) -> [UInt8] {
        let text = String(decoding: bytes, as: UTF8.self)
        if powershell {
            return Array(("$PulseDefaultAction = 'uninstall'\n" + text).utf8)
        }
        guard text.hasPrefix("#!"), let newline = text.firstIndex(of: "\n") else {
            return Array(("PULSE_DEFAULT_ACTION=uninstall\n" + text).utf8)
        }
        return Array((text[...newline] + "PULSE_DEFAULT_ACTION=uninstall\n" + text[text.index(after: newline)...]).utf8)
    }

    static func noCache(_ response: inout HTTPResponse) {
        response.setHeader("Cache-Control", "no-cache, no-store, must-revalidate")
        response.setHeader("Pragma", "no-cache")
        response.setHeader("Expires", "0")
    }

    // MARK: Binaries

    /// `/download/pulse-agent?arch=` and the legacy `/download/pulse-host-agent?platform=&arch=`,
    /// `/download/pulse-docker-agent?arch=`; with `checksumOnly`, the `.sha256` variant (`<hex>\n`).
    public func agentBinary(checksumOnly: Bool = false) -> Handler {
        { context in
            let request = context.request
            var requested = request.queryValue("arch")?.lowercased()
            if let platform = request.queryValue("platform")?.lowercased(), !platform.isEmpty {
                for value in [platform, requested ?? ""] where !value.isEmpty {
                    guard value.utf8.allSatisfy({ $0.isASCIIAlphanumeric || $0 == UInt8(ascii: "-") }), value.utf8.count <= 32 else {
                        throw APIError.badRequest("invalid_parameter", "platform and arch may contain only letters, digits and '-'")
                    }
                }
                requested = requested.map { $0.hasPrefix(platform + "-") ? $0 : platform + "-" + $0 } ?? platform
            }
            if let value = requested, value.utf8.count > 32 || !value.utf8.allSatisfy({ $0.isASCIIAlphanumeric || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") }) {
                throw APIError.badRequest("invalid_parameter", "arch may contain only letters, digits, '-' and '_'")
            }
            let canonical = requested.flatMap { Self.architectureAliases[$0] }
            var names: [String] = []
            if let canonical {
                names.append("pulse-agent-" + canonical)
                if canonical.hasPrefix("windows") { names.append("pulse-agent-\(canonical).exe") }
            } else {
                names.append("pulse-agent")
            }
            let candidates = binDirectories.flatMap { directory in names.map { directory + "/" + $0 } }
            guard let path = candidates.first(where: { FileManager.default.isReadableFile(atPath: $0) && !Self.isDirectory($0) }) else {
                throw notFound(requested: requested, canonical: canonical)
            }
            guard let (checksum, size, modified) = checksums.checksum(of: path) else { throw APIError.internalError }
            if checksumOnly {
                var response = HTTPResponse(status: 200, headers: [("Content-Type", "text/plain; charset=utf-8")],
                                            body: Array((checksum + "\n").utf8))
                Self.noCache(&response)
                return response
            }
            return Self.fileResponse(path: path, size: size, modified: modified, checksum: checksum, request: request,
                                     filename: (path as NSString).lastPathComponent)
        }
    }

    private func notFound(requested: String?, canonical: String?) -> APIError {
        let available = Set(binDirectories.flatMap { directory -> [String] in
            ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).compactMap { name in
                guard name.hasPrefix("pulse-agent-"), !name.hasSuffix(".sha256") else { return nil }
                return String(name.dropFirst("pulse-agent-".count)).replacingOccurrences(of: ".exe", with: "")
            }
        }).sorted()
        let wanted = canonical ?? requested.map { "\"\($0)\" (unknown; generic pulse-agent)" } ?? "the generic pulse-agent"
        let list = available.isEmpty ? "none — build one with scripts/dist.sh or put pulse-agent-<os>-<arch> in PULSE_BIN_DIR"
                                     : available.joined(separator: ", ")
        return APIError(status: 404, code: "agent_binary_not_found",
                        message: "No agent binary for \(wanted) on this hub. Available architectures: \(list)",
                        details: ["available": available.joined(separator: ",")])
    }

    static func isDirectory(_ path: String) -> Bool {
        var flag: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &flag) && flag.boolValue
    }

    /// A file response with conditional (`If-None-Match`) and single-range (`Range: bytes=a-b`) support.
    static func fileResponse(path: String, size: UInt64, modified: Date, checksum: String, request: HTTPRequest,
                             filename: String) -> HTTPResponse {
        let etag = "\"\(checksum.prefix(32))\""
        var response = HTTPResponse(status: 200)
        response.setHeader("Content-Type", "application/octet-stream")
        response.setHeader("Content-Disposition", "attachment; filename=\"\(filename)\"")
        response.setHeader("X-Checksum-Sha256", checksum)
        response.setHeader("ETag", etag)
        response.setHeader("Last-Modified", HTTPConditional.format(modified))
        response.setHeader("Accept-Ranges", "bytes")
        noCache(&response)
        if HTTPConditional.notModified(request, etag: etag, modified: modified) {
            response.status = 304
            return response
        }
        var offset: UInt64 = 0, length = size
        if let range = request.header("Range"), request.header("If-Range").map({ $0 == etag }) ?? true {
            switch parseRange(range, size: size) {
            case .full: break
            case .partial(let start, let end):
                offset = start
                length = end - start + 1
                response.status = 206
                response.setHeader("Content-Range", "bytes \(start)-\(end)/\(size)")
            case .unsatisfiable:
                var refused = APIError(status: 416, code: "range_not_satisfiable", message: "Requested range not satisfiable").response()
                refused.setHeader("Content-Range", "bytes */\(size)")
                return refused
            }
        }
        response.file = FileBody(path: path, offset: offset, length: length)
        return response
    }

    enum RangeOutcome: Equatable {
        case full
        case partial(UInt64, UInt64)
        case unsatisfiable
    }

    /// One `bytes=` range (`a-b`, `a-`, `-n`); several ranges or a malformed header serve the whole file.
    static func parseRange(_ header: String, size: UInt64) -> RangeOutcome {
        let trimmed = header.trimmingWhitespace()
        guard trimmed.hasPrefix("bytes="), !trimmed.contains(",") else { return .full }
        let spec = trimmed.dropFirst("bytes=".count)
        let parts = spec.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2 else { return .full }
        if parts[0].isEmpty {
            guard let suffix = UInt64(parts[1]), suffix > 0 else { return .full }
            guard size > 0 else { return .unsatisfiable }
            return .partial(size - min(suffix, size), size - 1)
        }
        guard let start = UInt64(parts[0]) else { return .full }
        let end = parts[1].isEmpty ? size &- 1 : UInt64(parts[1]).map { min($0, size &- 1) }
        guard let end else { return .full }
        guard start < size, start <= end else { return .unsatisfiable }
        return .partial(start, end)
    }
}

/// SHA-256 of served files, computed once per (path, size, mtime).
public final class ChecksumCache: Sendable {
    private let entries = Mutex<[String: (size: UInt64, modified: Int, checksum: String)]>([:])

    public init() {}

    /// The file's checksum, size and modification time; nil when it cannot be read.
    public func checksum(of path: String) -> (String, UInt64, Date)? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        let size = UInt64(info.st_size)
        let modified = Int(info.st_mtim.tv_sec) * 1_000_000_000 + Int(info.st_mtim.tv_nsec)
        let date = Date(timeIntervalSince1970: Double(info.st_mtim.tv_sec))
        if let cached = entries.withLock({ $0[path] }), cached.size == size, cached.modified == modified {
            return (cached.checksum, size, date)
        }
        guard let digest = Crypto.sha256(fileAt: path) else { return nil }
        let checksum = digest.hexString
        entries.withLock { $0[path] = (size, modified, checksum) }
        return (checksum, size, date)
    }
}
