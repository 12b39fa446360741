import Foundation
import Glibc
@testable import PulseAgent

/// Real podman for integration tests: `podman system service` on a socket in a temp directory (with
/// `Fixtures/docker/podman-containers.conf`: runc, small ulimits), an image imported from Debian's static busybox,
/// and containers with network mode `none`. Everything it creates is removed by `shutdown()`; the service is
/// stopped by PID.
final class PodmanService {
    static let podman = "/usr/bin/podman"
    static var available: Bool {
        getuid() == 0 && FileManager.default.isExecutableFile(atPath: podman)
            && FileManager.default.isExecutableFile(atPath: "/bin/busybox")
            && (FileManager.default.isExecutableFile(atPath: "/usr/bin/runc") || FileManager.default.isExecutableFile(atPath: "/usr/sbin/runc"))
    }

    let root: String
    let socket: String
    let image: String
    let prefix: String
    private var servicePID: pid_t = 0
    private(set) var containers: [String] = []
    private var isShutDown = false

    init() throws {
        root = try TestSupport.temporaryDirectory()
        socket = root + "/podman.sock"
        let tag = String(UUID().uuidString.prefix(8)).lowercased()
        image = "localhost/pulse-test-busybox:\(tag)"
        prefix = "pulse-test-\(tag)-"
        servicePID = try Spawn.start(Self.podman, ["system", "service", "--time=0", "unix://" + socket],
                                     environment: Self.environment, output: "/dev/null")
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline {
            if FileManager.default.fileExists(atPath: socket), (try? EngineClient(endpoint: endpoint).ping()) != nil { break }
            usleep(100_000)
        }
        try importImage()
    }

    deinit { shutdown() }

    static var environment: [String: String] {
        ["CONTAINERS_CONF": TestSupport.fixtures + "/docker/podman-containers.conf", "PATH": "/usr/sbin:/usr/bin:/sbin:/bin",
         "HOME": "/root"]
    }

    var endpoint: DockerEndpoint { DockerEndpoint(transport: .unix(path: socket), source: "test podman") }

    /// Runs the podman CLI; returns stdout, throws on a non-zero exit. Spawned with posix_spawn and reaped with
    /// waitpid, output through files: `podman run -d` leaves conmon holding inherited descriptors, so a pipe (or
    /// Foundation's `Process`, which watches a descriptor of its own) would never see the end.
    @discardableResult
    func cli(_ arguments: [String]) throws -> String {
        let outPath = root + "/cli-\(UUID().uuidString).out", errPath = outPath + ".err"
        FileManager.default.createFile(atPath: outPath, contents: nil)
        FileManager.default.createFile(atPath: errPath, contents: nil)
        defer {
            try? FileManager.default.removeItem(atPath: outPath)
            try? FileManager.default.removeItem(atPath: errPath)
        }
        let pid = try Spawn.start(Self.podman, arguments, environment: Self.environment, output: outPath, errors: errPath)
        let status = Spawn.wait(pid)
        let output = (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? ""
        guard status == 0 else {
            let errors = (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? ""
            throw FakeProcessError(message: "podman \(arguments.joined(separator: " ")): \(errors)")
        }
        return output
    }

    /// A root filesystem of busybox and a few links, imported as `image`.
    private func importImage() throws {
        let rootfs = root + "/rootfs"
        try FileManager.default.createDirectory(atPath: rootfs + "/bin", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: rootfs + "/data", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: "/bin/busybox", toPath: rootfs + "/bin/busybox")
        for tool in ["sh", "sleep", "test", "true", "cat", "dd", "head"] {
            try FileManager.default.createSymbolicLink(atPath: rootfs + "/bin/" + tool, withDestinationPath: "busybox")
        }
        _ = Spawn.wait(try Spawn.start("/bin/tar", ["-C", rootfs, "-cf", root + "/rootfs.tar", "."],
                                       environment: Self.environment, output: "/dev/null"))
        try cli(["import", root + "/rootfs.tar", image])
    }

    /// `podman run -d --network none` with a test-unique name; returns the container id.
    @discardableResult
    func run(_ name: String, _ command: [String], options: [String] = []) throws -> String {
        let full = prefix + name
        containers.append(full)
        return try cli(["run", "-d", "--name", full, "--network", "none"] + options + [image] + command)
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }

    func inspect(_ name: String) throws -> [String: Any] {
        let data = Data(try cli(["inspect", prefix + name]).utf8)
        return try require((try JSONSerialization.jsonObject(with: data) as? [[String: Any]])?.first)
    }

    /// Removes the containers (and any update backups of them), the image and the service.
    func shutdown() {
        guard !isShutDown else { return }
        isShutDown = true
        if let names = try? cli(["ps", "-a", "--format", "{{.Names}}"]) {
            let ours = names.split(separator: "\n").map(String.init).filter { $0.hasPrefix(prefix) }
            if !ours.isEmpty { _ = try? cli(["rm", "-f", "-t", "0"] + ours) }
        }
        _ = try? cli(["rmi", "-f", image])
        if servicePID > 0 {
            kill(servicePID, SIGKILL)
            _ = Spawn.wait(servicePID)
            servicePID = 0
        }
        TestSupport.remove(root)
    }
}

private func require<T>(_ value: T?) throws -> T {
    guard let value else { throw FakeProcessError(message: "unexpected podman output") }
    return value
}

/// posix_spawn and waitpid, for children whose descendants outlive them (podman's conmon).
enum Spawn {
    static func start(_ path: String, _ arguments: [String], environment: [String: String], output: String,
                      errors: String? = nil) throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, output, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, errors ?? output, O_WRONLY | O_CREAT | O_APPEND, 0o600)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // Children start with no signals blocked, whatever the test runner blocks.
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attributes, &empty)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK))
        let argv = ([path] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for pointer in argv { free(pointer) }
            for pointer in envp { free(pointer) }
        }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, path, &actions, &attributes, argv, envp)
        guard result == 0 else { throw FakeProcessError(message: "cannot start \(path): error \(result)") }
        return pid
    }

    /// Waits for the child; its exit status, or -1.
    static func wait(_ pid: pid_t) -> Int32 {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            if errno != EINTR { return -1 }
        }
        return (status & 0x7f) == 0 ? (status >> 8) & 0xff : -1
    }
}
