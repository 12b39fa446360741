import Foundation
#if canImport(Glibc)
import Glibc
#endif
import PulseCommon
import Testing

/// The web dashboard in headless Chromium against a real hub with a real agent reporting: first-run setup with the
/// bootstrap token, the agent started with the token the setup page minted, sign-out and sign-in, every page's DOM
/// checked against `/api/state` and the history API, settings actions verified through the API, screenshots, and no
/// JavaScript error on any page. The browser side is `Browser/dashboard_test.py` (Selenium with Debian's chromium
/// and chromium-driver); this test starts the hub, runs it, and turns each of its checks into an expectation.
///
/// Screenshots and DOM dumps go to `<package>/test-artifacts/dashboard/` (gitignored).
@Suite(.serialized, .timeLimit(.minutes(6)))
struct DashboardBrowserTests {
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    /// What the browser run needs, or why it cannot run.
    static func prerequisites() -> (python: String, chromium: String, chromedriver: String)? {
        let python = "/usr/bin/python3", chromium = "/usr/bin/chromium", chromedriver = "/usr/bin/chromedriver"
        let selenium = access("/usr/lib/python3/dist-packages/selenium", R_OK) == 0
        guard access(python, X_OK) == 0, access(chromium, X_OK) == 0, access(chromedriver, X_OK) == 0, selenium else {
            return nil
        }
        return (python, chromium, chromedriver)
    }

    @Test func theDashboardWorksInABrowser() throws {
        if ProcessInfo.processInfo.environment["PULSE_SKIP_BROWSER_TESTS"] == "1" {
            print("DashboardBrowserTests: skipped (PULSE_SKIP_BROWSER_TESTS=1)")
            return
        }
        guard let tools = Self.prerequisites() else {
            Issue.record("""
                The browser tests need Debian's chromium, chromium-driver and python3-selenium: run \
                `scripts/setup-deps.sh test` as root (or set PULSE_SKIP_BROWSER_TESTS=1 to skip them).
                """)
            return
        }
        let agentBinary = try AgentSpoolTests.agentBinary()
        let hub = try HubProcess()
        defer { hub.shutdown() }
        hub.extraEnvironment["PULSE_WEB_DIR"] = Self.packageRoot + "/Hub/Web"
        try hub.start()
        let bootstrap = try String(contentsOfFile: hub.dataDirectory + "/.bootstrap_token", encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(isHex(bootstrap, length: 48), "bootstrap token: \(bootstrap)")

        let artifacts = Self.packageRoot + "/test-artifacts/dashboard"
        try? FileManager.default.removeItem(atPath: artifacts)
        try FileManager.default.createDirectory(atPath: artifacts, withIntermediateDirectories: true)
        let work = hub.root + "/browser"
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        let resultPath = work + "/result.json"
        let logPath = artifacts + "/browser-run.log"
        let script = Self.packageRoot + "/Tests/IntegrationTests/Browser/dashboard_test.py"

        let pid = try HubProcess.spawn(
            tools.python,
            arguments: [script, "--hub", hub.baseURL, "--bootstrap-token", bootstrap, "--agent", agentBinary,
                        "--artifacts", artifacts, "--work", work, "--result", resultPath,
                        "--chromium", tools.chromium, "--chromedriver", tools.chromedriver],
            environment: ["PATH": "/usr/bin:/bin", "HOME": work, "PYTHONDONTWRITEBYTECODE": "1", "PYTHONUNBUFFERED": "1"],
            stdoutPath: logPath, stderrPath: logPath, append: true)
        // The script stops its own children (agent, chromedriver, chromium) by PID, also on SIGTERM.
        if HubProcess.waitForExit(pid, timeout: .seconds(300)) == nil {
            kill(pid, SIGTERM)
            if HubProcess.waitForExit(pid, timeout: .seconds(20)) == nil {
                kill(pid, SIGKILL)
                _ = HubProcess.waitForExit(pid, timeout: .seconds(5))
            }
            Issue.record("the browser run did not finish within 300 s; log: \(logPath)")
        }

        let log = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
        guard let data = FileManager.default.contents(atPath: resultPath),
              let result = try JSONSerialization.jsonObject(with: data) as? [String: Any],
              let checks = result["checks"] as? [[String: Any]] else {
            Issue.record("the browser run wrote no result. Its log:\n\(log.suffix(4000))\nHub log:\n\(hub.log.suffix(2000))")
            return
        }
        #expect(checks.count >= 60, "only \(checks.count) browser checks ran; log:\n\(log.suffix(3000))")
        for check in checks {
            let name = check["name"] as? String ?? "?"
            #expect(check["ok"] as? Bool == true, "browser: \(name): \(check["detail"] as? String ?? "")")
        }
        let console = result["console"] as? [[String: Any]] ?? []
        #expect(console.isEmpty, "console errors: \(console)")
        let screenshots = result["screenshots"] as? [String] ?? []
        #expect(screenshots.count >= 12, "screenshots: \(screenshots)")
        for path in screenshots {
            let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
            #expect(size > 5000, "screenshot \(path) is \(size) bytes")
        }
        print("DashboardBrowserTests: \(checks.count) browser checks; screenshots in \(artifacts)")
    }
}
