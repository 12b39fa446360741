import Foundation
import Glibc
import PulseCommon

/// One benchmark from parsed options: set-up, load, tear-down, output. Returns the exit status.
struct Benchmark {
    let options: BenchOptions
    let control: RunControl

    func run() -> Int32 {
        switch options.target {
        case .spawn(let binary, let extraEnvironment, let keepData, let startupTimeout):
            return runSpawned(binary: binary, extraEnvironment: extraEnvironment, keepData: keepData,
                              startupTimeout: startupTimeout)
        case .external(let baseURL, let token, let hubPID):
            return runExternal(baseURL: baseURL, token: token, hubPID: hubPID)
        }
    }

    private func note(_ text: String) {
        if !options.quiet { Console.error("pulse-bench: " + text) }
    }

    private func runSpawned(binary: String, extraEnvironment: [(String, String)], keepData: Bool,
                            startupTimeout: Duration) -> Int32 {
        let hub: SpawnedHub
        do {
            hub = try SpawnedHub(binary: binary, extraEnvironment: extraEnvironment)
        } catch {
            Console.error("pulse-bench: \(error.message)")
            return 1
        }
        var outcome: LoadOutcome?
        var setupFailed = false
        var hubPID: Int32?
        do {
            note("temp dir \(hub.rootDirectory); creating a token")
            let token = try hub.createToken(timeout: .seconds(60))
            try hub.start()
            hubPID = hub.pid
            control.spawnedHubPID.store(hub.pid ?? 0, ordering: .relaxed)
            note("hub pid \(hub.pid ?? 0) on \(hub.baseURL); waiting for GET /api/health")
            try hub.waitUntilHealthy(timeout: startupTimeout, control: control)
            note("hub ready; \(loadDescription())")
            outcome = try LoadRun(options: options, control: control).run(
                baseURL: hub.baseURL, token: token, probe: hubPID.map { ProcessProbe(pid: $0) },
                hubGone: { hub.hasExited().map { "the hub exited during the run (\($0))" } })
        } catch {
            Console.error("pulse-bench: \(error.message)")
            setupFailed = true
        }
        if let lost = outcome?.hubLost { Console.error("pulse-bench: \(lost)" + hub.logTail()) }
        if hubPID != nil { note("stopping the hub with SIGTERM") }
        let stopReport = hub.stop(timeout: .seconds(10))
        control.spawnedHubPID.store(0, ordering: .relaxed)
        if let stopReport, !stopReport.clean {
            Console.error("pulse-bench: hub stop: \(stopReport.status)" + hub.logTail())
        }
        if keepData {
            Console.error("pulse-bench: kept \(hub.rootDirectory) (data/, hub.log, token-create.out)")
        } else {
            hub.removeFiles()
        }
        guard !setupFailed, let outcome else { return 1 }
        return finish(outcome, mode: "spawned", url: hub.baseURL, hubPID: hubPID, stopReport: stopReport)
    }

    private func runExternal(baseURL: String, token: String, hubPID: Int32?) -> Int32 {
        let probe = hubPID.map { ProcessProbe(pid: $0) }
        if let probe, probe.residentKiB() == nil {
            Console.error("pulse-bench: --hub-pid \(probe.pid): no such running process "
                          + "(cannot read /proc/\(probe.pid)/status)")
            return 1
        }
        if let problem = Self.healthProblem(baseURL: baseURL) {
            Console.error("pulse-bench: \(problem)")
            return 1
        }
        note("hub at \(baseURL) is healthy; \(loadDescription())")
        do {
            let outcome = try LoadRun(options: options, control: control).run(
                baseURL: baseURL, token: token, probe: probe,
                hubGone: { probe.flatMap { $0.exists ? nil : "the hub (pid \($0.pid)) exited during the run" } })
            return finish(outcome, mode: "external", url: baseURL, hubPID: hubPID, stopReport: nil)
        } catch {
            Console.error("pulse-bench: \(error.message)")
            return 1
        }
    }

    /// Why `GET /api/health` is not a 200, or nil when it is. The client (and its connection) ends here.
    private static func healthProblem(baseURL: String) -> String? {
        let client = HTTPClient()
        do {
            let response = try client.perform(HTTPClientRequest(url: baseURL + "/api/health", timeout: .seconds(5)))
            return response.status == 200 ? nil : "GET \(baseURL)/api/health answered HTTP \(response.status), not 200"
        } catch {
            return "GET \(baseURL)/api/health failed: \(error.message)"
        }
    }

    private func loadDescription() -> String {
        let pacing = options.rate.map { "open loop at \(Format.fixed($0, 0)) reports/s" } ?? "closed loop"
        return "\(options.clients) clients, \(Format.grouped(options.hosts)) hosts, \(pacing), "
            + "\(Format.fixed(options.warmup.seconds, 1)) s warmup + \(Format.fixed(options.duration.seconds, 1)) s"
    }

    /// Builds the result, prints it and returns the exit status.
    private func finish(_ outcome: LoadOutcome, mode: String, url: String, hubPID: Int32?,
                        stopReport: HubStopReport?) -> Int32 {
        let stats = outcome.stats
        var problems: [String] = []
        let failed = stats.measuredFailed + stats.warmupFailed
        if failed > 0 {
            let kinds = stats.failures.sorted { $0.value.count > $1.value.count }
                .map { "\($0.key) ×\(Format.grouped($0.value.count)) (first: \($0.value.sample))" }
            problems.append("\(Format.grouped(failed)) request(s) failed: " + kinds.joined(separator: "; "))
        }
        if stats.measuredOK + stats.measuredFailed == 0 {
            problems.append("no request completed in the measured window")
        }
        if let lost = outcome.hubLost { problems.append(lost) }
        if let reason = control.stopReason, reason != outcome.hubLost { problems.append("run cut short: \(reason)") }
        if let stopReport, !stopReport.clean {
            problems.append("the hub did not stop cleanly on SIGTERM: \(stopReport.status)"
                            + (stopReport.note.map { " (\($0))" } ?? ""))
        }

        let sizes = outcome.reportSizes
        let throughput = outcome.windowSeconds > 0 ? Double(stats.measuredOK) / outcome.windowSeconds : 0
        let measured = stats.measuredOK + stats.measuredFailed
        let result = BenchResult(
            mode: mode, url: url,
            label: options.label ?? (mode == "spawned" ? "spawned hub" : url),
            startedAt: RFC3339.format(Date(timeIntervalSince1970: Double(outcome.startedAtWall) / 1e9)),
            config: .init(clients: options.clients, hosts: options.hosts, durationSeconds: options.duration.seconds,
                          warmupSeconds: options.warmup.seconds, targetRate: options.rate,
                          timeoutSeconds: options.timeout.seconds),
            reportBytes: .init(min: sizes.min() ?? 0, mean: sizes.isEmpty ? 0 : sizes.reduce(0, +) / sizes.count,
                               max: sizes.max() ?? 0),
            requests: .init(measured: measured, ok: stats.measuredOK, failed: stats.measuredFailed,
                            warmup: stats.warmupOK + stats.warmupFailed, warmupFailed: stats.warmupFailed),
            failures: stats.failures.mapValues { $0.count },
            failureSamples: stats.failures.mapValues { $0.sample },
            windowSeconds: Format.rounded(outcome.windowSeconds, 3),
            reportsPerSecond: Format.rounded(throughput, 1),
            latencyMs: BenchResult.Latency(nanos: stats.latencies),
            scheduledLatencyMs: options.rate == nil ? nil : BenchResult.Latency(nanos: stats.scheduledLatencies),
            maxScheduleLagMs: options.rate == nil ? nil : Format.rounded(Double(stats.maxLagNanos) / 1e6, 3),
            hubPID: hubPID, hubRSS: outcome.memory, cpu: outcome.cpu, hubStop: stopReport,
            stoppedEarly: control.stopReason, passed: problems.isEmpty, problems: problems)

        let summary = Summary.human(result)
        if options.json {
            Console.error(summary)
            Console.out(Summary.json(result))
        } else {
            Console.out(summary)
        }
        return result.passed ? 0 : 1
    }
}
