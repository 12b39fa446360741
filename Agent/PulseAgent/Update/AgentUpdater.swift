#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif
import PulseCommon

/// Self-update (agent-protocol section 7, fixed): polls `/api/agent/version` with jitter, downloads a newer agent
/// with a mandatory `X-Checksum-Sha256`, checks it is an ELF executable, runs its `--self-test` and `--version`,
/// swaps it in atomically keeping `<exe>.backup`, and re-executes in place. Any failure before the swap leaves the
/// running binary untouched; a failed exec puts the backup back.
public final class AgentUpdater {
    /// Why a check ended without an update.
    public enum Outcome: Error, Sendable, Equatable {
        case upToDate(offered: String)
        case refused(String)
        case failed(String)
    }

    static let maximumBinaryBytes = 100 * 1024 * 1024
    /// Written next to the executable before re-exec; the next start reports its content as `updatedFrom`.
    static let updateInfoFile = ".pulse-update-info"

    let connection: HubConnection
    let currentVersion: String
    let executablePath: String
    let arguments: [String]
    let environment: [String: String]
    let interval: Duration
    let logger: Logger
    let architecture: String
    private let client = HTTPClient()

    public init(connection: HubConnection, currentVersion: String = pulseAgentVersion, executablePath: String,
                arguments: [String], environment: [String: String], interval: Duration, logger: Logger,
                architecture: String = AgentUpdater.hostArchitecture) {
        self.connection = connection
        self.currentVersion = currentVersion
        self.executablePath = executablePath
        self.arguments = arguments
        self.environment = environment
        self.interval = interval
        self.logger = logger
        self.architecture = architecture
    }

    /// Whether `offered` should replace `current`: only a strictly newer semantic version, never from or to `dev`.
    public static func shouldUpdate(current: String, offered: String) -> Bool {
        guard current != "dev", offered != "dev", let have = SemanticVersion(current), let want = SemanticVersion(offered) else {
            return false
        }
        return have < want
    }

    /// `linux-<arch>` as the hub names it.
    public static var hostArchitecture: String {
        var info = utsname()
        uname(&info)
        let machine = withUnsafeBytes(of: &info.machine) { String(decoding: $0.prefix(while: { $0 != 0 }), as: UTF8.self) }
        switch machine {
        case "x86_64", "amd64": return "linux-amd64"
        case "aarch64", "arm64": return "linux-arm64"
        case "armv7l", "armv7", "armhf": return "linux-armv7"
        case "armv6l": return "linux-armv6"
        case "i386", "i686": return "linux-386"
        default: return "linux-" + machine
        }
    }

    static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    /// The agent's own executable.
    public static func currentExecutable() -> String? {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let length = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard length > 0 else { return nil }
        return String(decoding: buffer.prefix(length).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Reads and removes the update marker: the version this binary replaced, if it was just installed by an update.
    public static func takeUpdatedFrom(executablePath: String) -> String? {
        let path = Self.directory(of: executablePath) + "/" + updateInfoFile
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        unlink(path)
        let version = text.trimmingWhitespace()
        return SemanticVersionText.isPlausible(version) ? version : nil
    }

    /// Checks at the first moment (a few seconds after start), then every `interval` with ±10 % jitter, so a fleet
    /// does not update in lock-step. `restart` is called with a ready binary and must not return on success.
    public func run(stop: StopSignal, firstCheckAfter: Duration, restart: (_ reason: String) -> Void) {
        var delay = firstCheckAfter
        while !stop.wait(for: delay) {
            switch check(restart: restart) {
            case .upToDate(let offered): logger.debug("agent is up to date", ["version": currentVersion, "hub": offered])
            case .refused(let reason): logger.warn("update refused", ["reason": reason])
            case .failed(let reason): logger.info("update check failed; will retry", ["reason": reason])
            }
            delay = .milliseconds(Int64(Double(interval.milliseconds) * Double.random(in: 0.9...1.1)))
        }
    }

    /// One check; on success it calls `restart`, which does not return.
    public func check(restart: (_ reason: String) -> Void) -> Outcome {
        let offered: String
        do {
            let response = try client.perform(connection.request("GET", "/api/agent/version", userAgent: userAgent,
                                                                 timeout: .seconds(30)))
            guard response.status == 200 else { return .failed("GET /api/agent/version answered \(response.status)") }
            struct VersionBody: Decodable { let version: String? }
            guard let version = (try? JSONDecoder().decode(VersionBody.self, from: Data(response.body)))?.version else {
                return .failed("the hub's version answer has no version")
            }
            offered = version
        } catch {
            return .failed(connection.explain(error))
        }
        guard Self.shouldUpdate(current: currentVersion, offered: offered) else { return .upToDate(offered: offered) }
        logger.info("a newer agent is available; updating", ["from": currentVersion, "to": offered])
        switch install(offered: offered) {
        case .success(let backup):
            restart("updated from \(currentVersion) to \(offered)")
            // Only reached when the exec failed: put the old binary back.
            rollBack(backup: backup)
            return .failed("could not start the new binary; the previous one was restored")
        case .failure(let outcome):
            return outcome
        }
    }

    private var userAgent: String { "pulse-agent/\(currentVersion)" }

    /// Downloads, verifies, tests and swaps in the offered version. Returns the backup path.
    func install(offered: String) -> Result<String, Outcome> {
        var request = connection.request("GET", "/download/pulse-agent?arch=\(architecture)", userAgent: userAgent,
                                         timeout: .seconds(300))
        request.maxResponseBytes = Self.maximumBinaryBytes
        let response: HTTPClientResponse
        do { response = try client.perform(request) } catch { return .failure(.failed("download: \(connection.explain(error))")) }
        guard response.status == 200 else { return .failure(.failed("download answered \(response.status)")) }
        if let problem = Self.problem(body: response.body, announcedChecksum: response.header("X-Checksum-Sha256")) {
            return .failure(.refused(problem))
        }

        let directory = Self.directory(of: executablePath)
        let staged = directory + "/.pulse-agent-update-\(getpid())"
        do {
            try Self.writeExecutable(response.body, to: staged)
        } catch {
            return .failure(.failed("cannot write \(staged): \(error) (the agent needs write access to its directory to update)"))
        }
        // The new binary must run here and say it is the version offered, before anything is replaced.
        let runner = SystemCommandRunner(excludingEnvironment: [versionOverrideVariable])
        let selfTest = try? runner.run(Command(staged, ["--self-test"], timeout: .seconds(30)))
        guard selfTest?.exitStatus == 0 else {
            unlink(staged)
            return .failure(.refused("the new binary failed --self-test: \(selfTest?.standardError.prefix(300) ?? "did not run")"))
        }
        let reported = (try? runner.run(Command(staged, ["--version"], timeout: .seconds(30))))?.standardOutput.trimmingWhitespace() ?? ""
        guard let reportedVersion = SemanticVersion(reported), let offeredVersion = SemanticVersion(offered),
              reportedVersion == offeredVersion else {
            unlink(staged)
            return .failure(.refused("the downloaded binary reports version \"\(reported.prefix(40))\", not the \(offered) the hub offered"))
        }

        let backup = executablePath + ".backup"
        unlink(backup)
        guard rename(executablePath, backup) == 0 else {
            unlink(staged)
            return .failure(.failed("cannot move \(executablePath) aside: \(String(cString: strerror(errno)))"))
        }
        guard rename(staged, executablePath) == 0 else {
            let problem = String(cString: strerror(errno))
            _ = rename(backup, executablePath)
            unlink(staged)
            return .failure(.failed("cannot move the new binary into place: \(problem); the old one was kept"))
        }
        let info = directory + "/" + Self.updateInfoFile
        try? Data((currentVersion + "\n").utf8).write(to: URL(fileURLWithPath: info))
        logger.info("new agent binary installed", ["version": offered, "backup": backup])
        return .success(backup)
    }

    /// What is wrong with a downloaded binary, checked in order (a checksum announced, matching, an ELF
    /// executable); nil when it passes.
    static func problem(body: [UInt8], announcedChecksum: String?) -> String? {
        guard let announced = announcedChecksum?.trimmingWhitespace().lowercased(), announced.isHex(length: 64) else {
            return "the hub sent no X-Checksum-Sha256 header; an unverified binary is never installed"
        }
        let actual = Crypto.sha256(body).hexString
        guard Crypto.constantTimeEqual(Array(actual.utf8), Array(announced.utf8)) else {
            return "checksum mismatch: the hub announced \(announced) but the download is \(actual)"
        }
        guard body.count >= 4, Array(body.prefix(4)) == [0x7f, 0x45, 0x4c, 0x46] else {
            return "the download is not an ELF executable"
        }
        return nil
    }

    static func writeExecutable(_ bytes: [UInt8], to path: String) throws {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o700)
        guard descriptor >= 0 else { throw POSIXError(errno) }
        defer { close(descriptor) }
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
            if written < 0, errno == EINTR { continue }
            guard written > 0 else { throw POSIXError(errno) }
            offset += written
        }
        fsync(descriptor)
        fchmod(descriptor, 0o755)
    }

    struct POSIXError: Error, CustomStringConvertible {
        let code: Int32
        init(_ code: Int32) { self.code = code }
        var description: String { String(cString: strerror(code)) }
    }

    private func rollBack(backup: String) {
        if rename(backup, executablePath) == 0 {
            unlink(Self.directory(of: executablePath) + "/" + Self.updateInfoFile)
            logger.error("the updated agent could not be started; the previous binary was restored")
        } else {
            logger.error("the updated agent could not be started and the backup could not be restored",
                         ["backup": backup, "error": String(cString: strerror(errno))])
        }
    }

    /// Replaces the process with `executablePath`, same arguments, same environment minus the version override.
    /// Returns only when `execve` fails.
    public func execute() {
        let environmentEntries = environment.filter { $0.key != versionOverrideVariable }.map { "\($0.key)=\($0.value)" }
        let argv = ([executablePath] + arguments).map { strdup($0) } + [nil]
        let envp = environmentEntries.map { strdup($0) } + [nil]
        execve(executablePath, argv, envp)
        logger.error("execve failed", ["path": executablePath, "error": String(cString: strerror(errno))])
        for pointer in argv { free(pointer) }
        for pointer in envp { free(pointer) }
    }
}
