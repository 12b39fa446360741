import Foundation
import Glibc
import PulseCommon

/// The real `pulse-hub` for agent tests that need a TLS server: its own temp data directory, started on a free
/// loopback port, stopped by PID.
final class HubServer {
    /// `$PULSE_HUB_BIN`, else `pulse-hub` next to the test bundle.
    static let binary: String? = {
        if let path = ProcessInfo.processInfo.environment["PULSE_HUB_BIN"], !path.isEmpty,
           FileManager.default.isExecutableFile(atPath: path) { return path }
        var directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for _ in 0..<3 {
            let candidate = directory.appendingPathComponent("pulse-hub").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            directory.deleteLastPathComponent()
        }
        return nil
    }()

    static let hasOpenSSL = FileManager.default.isExecutableFile(atPath: "/usr/bin/openssl")

    let root: String
    let port: Int
    private(set) var process: Process?

    init() throws {
        root = try TestSupport.temporaryDirectory()
        port = try Self.freePort()
    }

    deinit {
        stop()
        TestSupport.remove(root)
    }

    var dataDirectory: String { root + "/data" }

    /// Runs `pulse-hub ARGS` against the data directory and returns stdout.
    func cli(_ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.binary!)
        process.arguments = arguments
        process.environment = ["PULSE_DATA_DIR": dataDirectory, "HOME": root, "PATH": "/usr/bin:/bin"]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// A self-signed certificate for localhost and 127.0.0.1 (`cert.pem`, `key.pem` in the temp directory),
    /// made with the openssl CLI; returns the cert path.
    func makeCertificate(name: String = "cert") throws -> (cert: String, key: String) {
        let cert = root + "/\(name).pem", key = root + "/\(name)-key.pem"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        process.arguments = ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
                             "-days", "2", "-subj", "/CN=localhost",
                             "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw POSIXError(.EIO) }
        return (cert, key)
    }

    /// The SHA-256 fingerprint of a PEM certificate as openssl prints it (`sha256 Fingerprint=AB:CD:…`).
    static func fingerprint(of cert: String) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        process.arguments = ["x509", "-noout", "-fingerprint", "-sha256", "-in", cert]
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Starts the hub (HTTPS with `tls`) and waits until `/api/health` answers.
    func start(tls: (cert: String, key: String)? = nil) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.binary!)
        var environment = ["PULSE_DATA_DIR": dataDirectory, "HOME": root, "PATH": "/usr/bin:/bin",
                           "FRONTEND_PORT": String(port), "BACKEND_HOST": "127.0.0.1", "LOG_LEVEL": "warn"]
        if let tls {
            environment["HTTPS_ENABLED"] = "true"
            environment["TLS_CERT_FILE"] = tls.cert
            environment["TLS_KEY_FILE"] = tls.key
        }
        process.environment = environment
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        self.process = process
        let client = HTTPClient()
        let scheme = tls == nil ? "http" : "https"
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline {
            let probe = HTTPClientRequest(url: "\(scheme)://127.0.0.1:\(port)/api/health", timeout: .seconds(2),
                                          insecureSkipVerify: true)
            if let response = try? client.perform(probe), response.status == 200 { return }
            guard process.isRunning else { throw POSIXError(.ECHILD) }
            usleep(50_000)
        }
        throw POSIXError(.ETIMEDOUT)
    }

    /// SIGTERM to the hub's PID and a bounded wait (SIGKILL if it does not exit).
    func stop() {
        guard let process, process.isRunning else { return }
        let pid = process.processIdentifier
        kill(pid, SIGTERM)
        let deadline = Date().addingTimeInterval(10)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        if process.isRunning { kill(pid, SIGKILL) }
        process.waitUntilExit()
        self.process = nil
    }

    static func freePort() throws -> Int { Int(try LoopbackPort.free()) }
}
