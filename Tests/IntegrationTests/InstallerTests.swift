import Foundation
#if canImport(Glibc)
import Glibc
#endif
import PulseCommon
import Testing

/// `installers/install.sh`, served by a real hub, installing into a staging root: the installed agent then
/// reports; a tampered binary is refused; uninstall tells the hub and removes everything.
@Suite("Installer", .serialized, .timeLimit(.minutes(4)))
struct InstallerTests {
    static var repositoryRoot: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    }

    /// This machine's architecture as the hub names it.
    static var arch: String {
        var info = utsname()
        uname(&info)
        let machine = withUnsafeBytes(of: &info.machine) { String(decoding: $0.prefix(while: { $0 != 0 }), as: UTF8.self) }
        switch machine {
        case "x86_64": return "linux-amd64"
        case "aarch64": return "linux-arm64"
        default: return "linux-" + machine
        }
    }

    struct Run {
        let status: Int32
        let output: String
    }

    /// Runs `bash script arguments…` and collects its stderr and stdout.
    static func bash(_ script: String, _ arguments: [String], in directory: String) throws -> Run {
        let out = directory + "/run-\(UUID().uuidString).log"
        let child = try HubProcess.spawn("/bin/bash", arguments: [script] + arguments,
                                         environment: ["PATH": "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin", "TMPDIR": directory],
                                         stdoutPath: out, stderrPath: out, append: true)
        guard let status = HubProcess.waitForExit(child, timeout: .seconds(120)) else {
            kill(child, SIGKILL)
            _ = HubProcess.waitForExit(child, timeout: .seconds(5))
            throw HarnessError("install.sh did not finish within 2 minutes")
        }
        return Run(status: HubProcess.exitCode(status) ?? -1, output: (try? String(contentsOfFile: out, encoding: .utf8)) ?? "")
    }

    /// A hub serving this checkout's installers and the freshly built agent as the binary for this architecture.
    static func hubServingTheAgent() throws -> (HubProcess, String) {
        let hub = try HubProcess()
        let bin = hub.root + "/bin"
        try FileManager.default.createDirectory(atPath: bin, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: try AgentSpoolTests.agentBinary(), toPath: bin + "/pulse-agent-" + arch)
        hub.extraEnvironment = ["PULSE_BIN_DIR": bin, "PULSE_INSTALLERS_DIR": repositoryRoot + "/installers"]
        return (hub, bin)
    }

    /// ExecStart's arguments, unquoted.
    static func execStart(_ unit: String) -> [String] {
        guard let line = unit.split(separator: "\n").first(where: { $0.hasPrefix("ExecStart=") }) else { return [] }
        var arguments: [String] = [], current = "", quoted = false, escaped = false, started = false
        for character in line.dropFirst("ExecStart=".count) {
            if escaped { current.append(character); escaped = false; continue }
            switch character {
            case "\\" where quoted: escaped = true
            case "\"": quoted.toggle(); started = true
            case " " where !quoted:
                if started || !current.isEmpty { arguments.append(current) }
                current = ""
                started = false
            default: current.append(character)
            }
        }
        if started || !current.isEmpty { arguments.append(current) }
        return arguments.map { $0.replacingOccurrences(of: "%%", with: "%").replacingOccurrences(of: "$$", with: "$") }
    }

    @Test("install into a staging root from the hub, run the installed agent, uninstall")
    func installRunUninstall() throws {
        let (hub, bin) = try Self.hubServingTheAgent()
        defer { hub.shutdown() }
        let token = try hub.createToken(name: "agent", scopes: "host-agent:report")
        let reader = try hub.createToken(name: "reader", scopes: "monitoring:read")
        try hub.start()
        let work = hub.root + "/work"
        let stage = hub.root + "/stage"
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)

        // The script the hub serves is the one in installers/.
        let served = try hub.get("/install.sh")
        #expect(served.status == 200 && served.header("Content-Type")?.hasPrefix("text/x-shellscript") == true)
        #expect(served.body == Array(try Data(contentsOf: URL(fileURLWithPath: Self.repositoryRoot + "/installers/install.sh"))))
        // The binary endpoint over real HTTP: HEAD gives the headers only; one range comes back as 206.
        let size = try #require((try FileManager.default.attributesOfItem(atPath: bin + "/pulse-agent-" + Self.arch)[.size] as? NSNumber)?.intValue)
        let head = try hub.request("HEAD", "/download/pulse-agent?arch=" + Self.arch)
        #expect(head.status == 200 && head.body.isEmpty && head.header("Content-Length") == String(size))
        #expect(head.header("X-Checksum-Sha256") == Crypto.sha256(fileAt: bin + "/pulse-agent-" + Self.arch)?.hexString)
        let ranged = try hub.request("GET", "/download/pulse-agent?arch=" + Self.arch, headers: [("Range", "bytes=0-3")])
        #expect(ranged.status == 206 && ranged.body == [0x7f, 0x45, 0x4c, 0x46] && ranged.header("Content-Range") == "bytes 0-3/\(size)")
        let script = work + "/install.sh"
        try Data(served.body).write(to: URL(fileURLWithPath: script))

        let run = try Self.bash(script, ["--url", hub.baseURL, "--token", token, "--install-root", stage, "--interval", "1",
                                         "--service-manager", "systemd", "--disable-docker", "--disable-kubernetes",
                                         "--disk-exclude", "/mnt/backup*", "--tag", "env=test"], in: work)
        #expect(run.status == 0, "\(run.output)")
        #expect(run.output.contains("SHA-256 verified"))
        let installed = stage + "/usr/local/bin/pulse-agent"
        #expect(Crypto.sha256(fileAt: installed) == Crypto.sha256(fileAt: bin + "/pulse-agent-" + Self.arch))
        var info = stat()
        #expect(stat(installed, &info) == 0 && info.st_mode & 0o777 == 0o755)
        let tokenFile = stage + "/var/lib/pulse-agent/token"
        #expect(stat(tokenFile, &info) == 0 && info.st_mode & 0o777 == 0o600)
        #expect(try String(contentsOfFile: tokenFile, encoding: .utf8) == token + "\n")
        let unit = try String(contentsOfFile: stage + "/etc/systemd/system/pulse-agent.service", encoding: .utf8)
        #expect(unit.contains("Type=notify") && unit.contains("Restart=always"))
        #expect(!unit.contains(token), "the token is never on a command line")
        let arguments = Self.execStart(unit)
        #expect(arguments.first == "/usr/local/bin/pulse-agent")
        #expect(arguments.contains("--interval") && arguments[arguments.firstIndex(of: "--interval")! + 1] == "1s")
        #expect(arguments.contains("/mnt/backup*") && arguments.contains("env=test"))

        // Run the installed agent as the unit would (paths moved into the staging root) until it reports.
        let hostname = "installed-\(UInt32.random(in: 0...UInt32.max))"
        let agentArguments = Array(arguments.dropFirst()) + ["--token-file", tokenFile, "--hostname", hostname,
                                                             "--spool-dir", stage + "/var/lib/pulse-agent/spool",
                                                             "--health-addr", "", "--remote-config-interval", "0"]
        let agent = AgentSpoolTests.Child("installed agent", pid: try HubProcess.spawn(
            installed, arguments: agentArguments, environment: ["PATH": "/usr/bin:/bin"],
            stdoutPath: work + "/agent.out", stderrPath: work + "/agent.err", append: true))
        defer { agent.stop() }
        let client = HTTPClient()
        #expect(AgentSpoolTests.waitUntil(.seconds(20)) {
            AgentSpoolTests.lastSeen(client, baseURL: hub.baseURL, token: reader, hostname: hostname) != nil
        }, "the installed agent never reported: \((try? String(contentsOfFile: work + "/agent.err", encoding: .utf8)) ?? "")")
        agent.stop()

        // Uninstall with the saved URL and token: the hub forgets the host (found by id), files are gone.
        let hosts = try #require(try jsonObject(try hub.get("/api/state", token: reader))["hosts"] as? [[String: Any]])
        let hostID = try #require(hosts.first { $0["hostname"] as? String == hostname }?["id"] as? String)
        try Data((hostID + "\n").utf8).write(to: URL(fileURLWithPath: stage + "/var/lib/pulse-agent/agent-id"))
        let removal = try Self.bash(script, ["--uninstall", "--install-root", stage], in: work)
        #expect(removal.status == 0, "\(removal.output)")
        #expect(removal.output.contains("the hub removed host \(hostID)"), "\(removal.output)")
        let after = try #require(try jsonObject(try hub.get("/api/state", token: reader))["hosts"] as? [[String: Any]])
        #expect(!after.contains { $0["id"] as? String == hostID })
        for path in ["/usr/local/bin/pulse-agent", "/var/lib/pulse-agent", "/etc/systemd/system/pulse-agent.service"] {
            #expect(!FileManager.default.fileExists(atPath: stage + path), "\(path) was removed")
        }
    }

    @Test("a binary whose checksum does not match, or has none, is refused and nothing is installed")
    func tamperedBinaryIsRefused() throws {
        let directory = NSTemporaryDirectory() + "pulse-installer-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let genuine = Array(try Data(contentsOf: URL(fileURLWithPath: try AgentSpoolTests.agentBinary())))
        var flipped = genuine
        flipped[flipped.count / 2] ^= 0xff
        let tampered = flipped
        let announced = Crypto.sha256(genuine).hexString
        for (label, headers) in [("mismatch", [("X-Checksum-Sha256", announced)]), ("absent", [])] {
            let server = try WebhookReceiver { request in
                request.path.hasPrefix("/download/pulse-agent") ? (200, headers, tampered) : (404, [], [])
            }
            defer { server.stop() }
            let stage = directory + "/stage-\(label)"
            let run = try Self.bash(Self.repositoryRoot + "/installers/install.sh",
                                    ["--url", "http://127.0.0.1:\(server.port)", "--token", String(repeating: "a", count: 64),
                                     "--install-root", stage, "--disable-docker", "--disable-kubernetes"], in: directory)
            #expect(run.status != 0, "\(label): \(run.output)")
            #expect(run.output.contains(label == "mismatch" ? "checksum mismatch" : "did not send an X-Checksum-Sha256"), "\(run.output)")
            #expect(!FileManager.default.fileExists(atPath: stage + "/usr/local/bin/pulse-agent"))
            #expect(!FileManager.default.fileExists(atPath: stage + "/var/lib/pulse-agent/token"))
        }
        // Not an executable at all (a login page behind a captive portal, say), with a matching checksum.
        let page = Array("<html>login</html>".utf8)
        let server = try WebhookReceiver { _ in (200, [("X-Checksum-Sha256", Crypto.sha256(page).hexString)], page) }
        defer { server.stop() }
        let run = try Self.bash(Self.repositoryRoot + "/installers/install.sh",
                                ["--url", "http://127.0.0.1:\(server.port)", "--token", String(repeating: "a", count: 64),
                                 "--install-root", directory + "/stage-html", "--disable-docker", "--disable-kubernetes"], in: directory)
        #expect(run.status != 0 && run.output.contains("not a linux executable"), "\(run.output)")
    }

    @Test("bad flags fail with a clear message; each service manager gets its definition")
    func flagsAndServiceDefinitions() throws {
        let (hub, _) = try Self.hubServingTheAgent()
        defer { hub.shutdown() }
        try hub.start()
        let work = hub.root + "/work"
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        let script = Self.repositoryRoot + "/installers/install.sh"
        let token = String(repeating: "b", count: 64)
        let common = ["--url", hub.baseURL, "--token", token, "--disable-docker", "--disable-kubernetes"]
        for (arguments, message) in [
            (["--token", token], "--url is required"),
            (["--url", hub.baseURL], "--token is required"),
            (["--url", "ftp://x", "--token", token], "--url must start with http"),
            (["--url", "http://x/'$(reboot)'", "--token", token], "--url must start with http"),
            (common + ["--interval", "5x"], "--interval must be"),
            (common + ["--disk-exclude", "a;b"], "--disk-exclude"),
            (common + ["--frobnicate"], "unknown option --frobnicate"),
            (common + ["--agent-id", "a b"], "--agent-id"),
        ] {
            let run = try Self.bash(script, arguments + ["--install-root", work + "/bad"], in: work)
            #expect(run.status == 1 && run.output.contains(message), "\(arguments): \(run.output)")
        }
        let help = try Self.bash(script, ["--help"], in: work)
        #expect(help.status == 0 && help.output.contains("--install-root DIR"))

        for manager in ["openrc", "sysv", "launchd"] {
            let stage = work + "/stage-\(manager)"
            let run = try Self.bash(script, common + ["--install-root", stage, "--service-manager", manager, "--interval", "2m"], in: work)
            #expect(run.status == 0, "\(manager): \(run.output)")
            let path = manager == "launchd" ? stage + "/Library/LaunchDaemons/com.pulse.agent.plist" : stage + "/etc/init.d/pulse-agent"
            let definition = try String(contentsOfFile: path, encoding: .utf8)
            #expect(definition.contains("/usr/local/bin/pulse-agent") && definition.contains("2m"), "\(manager)")
            #expect(!definition.contains(token), "\(manager): the token is never in a service definition")
        }
        let sysv = try HubProcess.spawn("/bin/sh", arguments: ["-n", work + "/stage-sysv/etc/init.d/pulse-agent"],
                                        environment: [:], stdoutPath: work + "/sh.log", stderrPath: work + "/sh.log", append: true)
        #expect(HubProcess.waitForExit(sysv, timeout: .seconds(10)).flatMap(HubProcess.exitCode) == 0, "the SysV script parses")
    }
}
