import Foundation
import PulseCommon
import Testing

/// The built `pulse-agent` binary, run as a process.
/// `pulse-agent` in the build products directory that holds the test bundle.
enum AgentBinary {
    static let path: String? = {
        var directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for _ in 0..<3 {
            let candidate = directory.appendingPathComponent("pulse-agent").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            directory.deleteLastPathComponent()
        }
        return nil
    }()
}

@Suite(.enabled(if: AgentBinary.path != nil, "the pulse-agent binary is not built next to the tests"))
struct EndToEndTests {

    struct Outcome {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    static func run(_ arguments: [String], environment: [String: String] = [:],
                    signalAfter: TimeInterval? = nil) throws -> Outcome {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: AgentBinary.path!)
        process.arguments = arguments
        process.environment = environment
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        if let signalAfter {
            Thread.sleep(forTimeInterval: signalAfter)
            kill(process.processIdentifier, SIGTERM)
        }
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Outcome(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
                       stderr: String(decoding: stderr, as: UTF8.self))
    }

    @Test func onceAgainstTheFixtureTree() throws {
        let tree = TestSupport.hostTree
        let outcome = try Self.run(["--once", "--path.procfs", tree + "/proc", "--path.sysfs=" + tree + "/sys",
                                    "--path.rootfs", tree, "--hostname", "e2e-host", "--tag", "e2e"],
                                   environment: ["PULSE_TAGS": "ci"])
        #expect(outcome.status == 0, "\(outcome.stderr)")
        let report = try WireJSON.decoder().decode(HostReport.self, from: Data(outcome.stdout.utf8))
        #expect(report.agent?.id == "4c4c4544-004d-3510-804c-b8c04f533532")
        #expect(report.agent?.type == "unified" && report.agent?.intervalSeconds == 30)
        #expect(report.host?.hostname == "e2e-host" && report.host?.platform == "ubuntu")
        #expect(report.host?.cpuCount == 8 && report.host?.loadAverage == [0.21, 0.37, 0.39])
        #expect(report.metrics?.memory?.totalBytes == 3_831_959_552)
        #expect(report.diskIO?.count == 8)
        #expect(report.network?.map(\.name) == ["bond0", "dmz", "eth0", "int"])
        #expect(report.tags == ["ci", "e2e"])
    }

    @Test func exitCodes() throws {
        #expect(try Self.run(["--version"]).stdout == "0.1.0\n")
        let help = try Self.run(["--help"])
        #expect(help.status == 0 && help.stdout.contains("--path.procfs"))
        let unknown = try Self.run(["--frobnicate"])
        #expect(unknown.status == 2 && unknown.stderr.contains("unknown flag: --frobnicate"))
        let badInterval = try Self.run(["--interval", "soon", "--token", "t"])
        #expect(badInterval.status == 1 && badInterval.stderr.contains("invalid --interval"))
        if !FileManager.default.fileExists(atPath: "/var/lib/pulse-agent/token") {
            let noToken = try Self.run([])
            #expect(noToken.status == 1 && noToken.stderr.contains("no API token"))
        }
        #expect(try Self.run(["--self-test"]).status == 0)
    }

    @Test func sigtermStopsPromptlyAndTheTokenIsNeverLogged() throws {
        let started = Date()
        let spool = NSTemporaryDirectory() + "pulse-e2e-spool-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: spool) }
        let outcome = try Self.run(["--url", "http://127.0.0.1:1", "--interval", "1s", "--log-level", "debug",
                                    "--spool-dir", spool, "--health-addr="],
                                   environment: ["PULSE_TOKEN": "very-secret-token"], signalAfter: 1.5)
        #expect(outcome.status == 0)
        #expect(Date().timeIntervalSince(started) < 6)
        #expect(outcome.stderr.contains("\"message\":\"pulse-agent starting\""))
        #expect(outcome.stderr.contains("\"signal\":\"SIGTERM\""))
        #expect(outcome.stderr.contains("pulse-agent stopped"))
        #expect(outcome.stderr.contains("report not delivered") || outcome.stderr.contains("report send failed"))
        #expect(!outcome.stderr.contains("very-secret-token"))
        for line in outcome.stderr.split(separator: "\n") {
            #expect((try? JSONSerialization.jsonObject(with: Data(line.utf8))) != nil, "not JSON: \(line)")
        }
    }
}
