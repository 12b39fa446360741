#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif
import PulseAgent
import PulseCommon

/// `pulse-agent-bench`: what one host collection costs, side by side with `prometheus-node-exporter`.
///
/// 1. In process: N collection cycles against the real machine root (`/proc`, `/sys`, `/`), CPU time per cycle
///    from `getrusage(RUSAGE_SELF)` (all threads, no children), steady RSS, and the encoded report size.
/// 2. The real `pulse-agent` binary (next to this one, or `--agent PATH`) reporting every second to a loopback
///    sink for `--seconds`: CPU per report (collect + encode + POST) and RSS from `/proc/<pid>`.
/// 3. `prometheus-node-exporter` (Debian package) on a free loopback port, scraped N times: CPU per scrape and
///    RSS from `/proc/<pid>`, scrape size. Stopped by PID.
///
/// Targets (architecture 7): ≤ 5 ms CPU per cycle, ≤ 20 MB RSS, report ≤ 16 KB.
@main
struct Entry {
    struct Options {
        var cycles = 100
        var pause = Duration.milliseconds(100)
        var scrapes = 100
        var seconds = 15
        var agent: String?
        var nodeExporter: String?
        var skipAgent = false
        var skipNodeExporter = false
        /// `--docker N`: measure the docker module with N podman containers instead of the host collection.
        var docker = 0
        var dockerCycles = 30
        var podmanConfiguration = "Tests/AgentTests/Fixtures/docker/podman-containers.conf"
    }

    static func main() {
        let options = parse(Array(CommandLine.arguments.dropFirst()))
        if options.docker > 0 {
            print(table(dockerRows(options), hostTargets: false))
            return
        }
        var rows: [Row] = []
        rows.append(inProcess(options))
        if !options.skipAgent { rows.append(agentProcess(options)) }
        if !options.skipNodeExporter { rows.append(nodeExporter(options)) }
        print(table(rows))
    }

    static func parse(_ arguments: [String]) -> Options {
        var options = Options()
        var index = 0
        func value() -> String {
            index += 1
            guard index < arguments.count else { fail("missing value for \(arguments[index - 1])") }
            return arguments[index]
        }
        while index < arguments.count {
            switch arguments[index] {
            case "--cycles": options.cycles = max(1, Int(value()) ?? options.cycles)
            case "--pause-ms": options.pause = .milliseconds(max(0, Int(value()) ?? 100))
            case "--scrapes": options.scrapes = max(1, Int(value()) ?? options.scrapes)
            case "--seconds": options.seconds = max(3, Int(value()) ?? options.seconds)
            case "--agent": options.agent = value()
            case "--node-exporter": options.nodeExporter = value()
            case "--no-agent": options.skipAgent = true
            case "--no-node-exporter": options.skipNodeExporter = true
            case "--docker": options.docker = max(1, Int(value()) ?? 50)
            case "--docker-cycles": options.dockerCycles = max(1, Int(value()) ?? 30)
            case "--podman-conf": options.podmanConfiguration = value()
            case "-h", "--help":
                print("""
                    Usage: pulse-agent-bench [--cycles N] [--pause-ms MS] [--seconds S] [--scrapes N]
                                             [--agent PATH | --no-agent] [--node-exporter PATH | --no-node-exporter]
                           pulse-agent-bench --docker N [--docker-cycles N] [--podman-conf PATH] [--seconds S]
                                             (N podman containers; run from the repository root, as root)
                    """)
                exit(0)
            default: fail("unknown argument \(arguments[index])")
            }
            index += 1
        }
        return options
    }

    static func fail(_ message: String) -> Never {
        let bytes = Array("pulse-agent-bench: \(message)\n".utf8)
        _ = bytes.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
        exit(2)
    }

    /// One line of the result table.
    struct Row {
        var what: String
        var samples: Int
        var cpuMeanMs: Double?
        var cpuP95Ms: Double?
        var rssMB: Double?
        var payloadBytes: Int?
        var note: String = ""
    }

    // MARK: 1. In process

    static func inProcess(_ options: Options) -> Row {
        let fs = HostFS()
        let logger = Logger(level: .error, format: .text, component: "bench")
        let system = StatfsWatchdog(logger: logger).guarding(SystemProbes.live(for: fs))
        let identity = AgentIdentity.resolve(agentIDOverride: nil, hostnameOverride: nil, fs: fs, system: system)
        let builder = HostReportBuilder(
            metadata: .init(identity: identity, version: pulseAgentVersion, intervalSeconds: 30, tags: [],
                            reportIP: nil),
            collectors: HostReportBuilder.standardCollectors(diskExclude: []), fs: fs, system: system, logger: logger)
        let encoder = WireJSON.encoder()
        // Warm up: the first CPU sample waits 250 ms, caches fill.
        for _ in 0..<3 {
            _ = builder.build(now: Date())
            sleep(options.pause)
        }
        var samples: [Double] = []
        var last = HostReport()
        for _ in 0..<options.cycles {
            let before = ProcessProbe.selfCPUSeconds()
            last = builder.build(now: Date())
            samples.append((ProcessProbe.selfCPUSeconds() - before) * 1000)
            sleep(options.pause)
        }
        let size = (try? encoder.encode(last).count) ?? 0
        let memory = ProcessProbe.memory(pid: nil)
        let sections = [last.disks.map { "\($0.count) disks" }, last.diskIO.map { "\($0.count) block devices" },
                        last.network.map { "\($0.count) interfaces" }].compactMap { $0 }.joined(separator: ", ")
        return Row(what: "pulse-agent host collection (in process)", samples: samples.count,
                   cpuMeanMs: mean(samples), cpuP95Ms: percentile(samples, 0.95),
                   rssMB: memory.map { Double($0.rss) / 1_048_576 }, payloadBytes: size,
                   note: "\(sections); peak RSS \(memory.map { format(Double($0.peak) / 1_048_576) } ?? "?") MB")
    }

    // MARK: 2. The agent process

    static func agentProcess(_ options: Options) -> Row {
        let neighbour = CommandLine.arguments[0].split(separator: "/").dropLast().joined(separator: "/")
        let prefix = CommandLine.arguments[0].hasPrefix("/") ? "/" : ""
        guard let binary = options.agent ?? ProcessProbe.executable([prefix + neighbour + "/pulse-agent"]) else {
            return Row(what: "pulse-agent process", samples: 0, note: "binary not found (--agent PATH)")
        }
        guard let sink = ReportSink() else { return Row(what: "pulse-agent process", samples: 0, note: "no sink") }
        defer { sink.stop() }
        var template = Array("/tmp/pulse-agent-bench-XXXXXX".utf8CString)
        let spool = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
            .map { String(cString: $0) } ?? "/tmp"
        guard let pid = ProcessProbe.spawn(binary, ["--url", "http://127.0.0.1:\(sink.port)", "--interval", "1s",
                                                    "--health-addr=", "--spool-dir", spool,
                                                    "--remote-config-interval", "0", "--log-level", "error"],
                                           environment: ["PULSE_TOKEN": "bench", "PATH": "/usr/bin:/bin"]) else {
            return Row(what: "pulse-agent process", samples: 0, note: "cannot start \(binary)")
        }
        defer {
            ProcessProbe.stop(pid)
            _ = rmdir(spool)
        }
        // Skip the start (first CPU sample, libcurl and TLS initialisation), then measure a steady window.
        sleep(.seconds(3))
        let cpuBefore = ProcessProbe.cpuSeconds(pid: pid) ?? 0
        let reportsBefore = sink.count
        sleep(.seconds(options.seconds))
        let cpu = (ProcessProbe.cpuSeconds(pid: pid) ?? 0) - cpuBefore
        let reports = sink.count - reportsBefore
        let memory = ProcessProbe.memory(pid: pid)
        return Row(what: "pulse-agent process (collect + POST, 1 s interval)", samples: reports,
                   cpuMeanMs: reports > 0 ? cpu * 1000 / Double(reports) : nil, cpuP95Ms: nil,
                   rssMB: memory.map { Double($0.rss) / 1_048_576 }, payloadBytes: nil,
                   note: "\(options.seconds) s window, /proc ticks of 10 ms; peak RSS "
                       + "\(memory.map { format(Double($0.peak) / 1_048_576) } ?? "?") MB")
    }

    // MARK: 3. node_exporter

    static func nodeExporter(_ options: Options) -> Row {
        let name = "prometheus-node-exporter scrape"
        guard let binary = options.nodeExporter
                ?? ProcessProbe.executable(["/usr/bin/prometheus-node-exporter", "/usr/local/bin/node_exporter"]) else {
            return Row(what: name, samples: 0, note: "not installed: apt-get install -y prometheus-node-exporter")
        }
        guard let port = ProcessProbe.freePort(),
              let pid = ProcessProbe.spawn(binary, ["--web.listen-address=127.0.0.1:\(port)"],
                                           environment: ["PATH": "/usr/bin:/bin"]) else {
            return Row(what: name, samples: 0, note: "cannot start \(binary)")
        }
        defer { ProcessProbe.stop(pid) }
        let client = HTTPClient()
        let request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/metrics", timeout: .seconds(10))
        var ready = false
        for _ in 0..<100 {
            if let response = try? client.perform(request), response.status == 200 {
                ready = true
                break
            }
            sleep(.milliseconds(100))
        }
        guard ready else { return Row(what: name, samples: 0, note: "did not answer on 127.0.0.1:\(port)") }
        for _ in 0..<3 {
            _ = try? client.perform(request)
            sleep(options.pause)
        }
        let before = ProcessProbe.cpuSeconds(pid: pid) ?? 0
        var size = 0
        var count = 0
        for _ in 0..<options.scrapes {
            if let response = try? client.perform(request), response.status == 200 {
                size = response.body.count
                count += 1
            }
            sleep(options.pause)
        }
        let cpu = (ProcessProbe.cpuSeconds(pid: pid) ?? 0) - before
        let memory = ProcessProbe.memory(pid: pid)
        return Row(what: name, samples: count, cpuMeanMs: count > 0 ? cpu * 1000 / Double(count) : nil, cpuP95Ms: nil,
                   rssMB: memory.map { Double($0.rss) / 1_048_576 }, payloadBytes: size,
                   note: "default collectors; /proc ticks of 10 ms")
    }

    // MARK: Output

    static func table(_ rows: [Row], hostTargets: Bool = true) -> String {
        var out = "pulse-agent-bench \(pulseAgentVersion)"
            + (hostTargets ? ": targets ≤ 5 ms CPU per cycle, ≤ 20 MB RSS, report ≤ 16 KB" : "") + "\n\n"
        let header = ["what", "n", "CPU/cycle mean ms", "p95 ms", "RSS MB", "payload bytes", "note"]
        let cells = rows.map { row in
            [row.what, String(row.samples), row.cpuMeanMs.map(format) ?? "–", row.cpuP95Ms.map(format) ?? "–",
             row.rssMB.map(format) ?? "–", row.payloadBytes.map(String.init) ?? "–", row.note]
        }
        let widths = header.indices.map { column in ([header] + cells).map { $0[column].count }.max() ?? 0 }
        func line(_ values: [String]) -> String {
            values.enumerated().map { $1 + String(repeating: " ", count: max(0, widths[$0] - $1.count)) }
                .joined(separator: "  ")
        }
        out += line(header) + "\n" + line(widths.map { String(repeating: "-", count: $0) }) + "\n"
        out += cells.map(line).joined(separator: "\n") + "\n\nMarkdown:\n\n"
        out += "| " + header.joined(separator: " | ") + " |\n"
        out += "|" + header.map { _ in "---" }.joined(separator: "|") + "|\n"
        out += cells.map { "| " + $0.joined(separator: " | ") + " |" }.joined(separator: "\n") + "\n"
        guard hostTargets else { return out }
        let cpu = rows.first?.cpuMeanMs ?? .infinity, rss = rows.first?.rssMB ?? .infinity
        let size = rows.first?.payloadBytes ?? .max
        out += "\nTargets: CPU \(cpu <= 5 ? "met" : "MISSED"), RSS \(rss <= 20 ? "met" : "MISSED"), "
            + "report size \(size <= 16 * 1024 ? "met" : "MISSED")\n"
        return out
    }

    static func mean(_ values: [Double]) -> Double? {
        values.isEmpty ? nil : values.reduce(0, +) / Double(values.count)
    }

    static func percentile(_ values: [Double], _ fraction: Double) -> Double? {
        guard !values.isEmpty else { return nil }
        let sorted = values.sorted()
        return sorted[min(sorted.count - 1, Int((Double(sorted.count - 1) * fraction).rounded()))]
    }

    static func format(_ value: Double) -> String {
        let scaled = (value * 100).rounded() / 100
        return String(scaled)
    }

    static func sleep(_ duration: Duration) {
        let milliseconds = max(0, duration.milliseconds)
        var request = timespec(tv_sec: Int(milliseconds / 1000), tv_nsec: Int(milliseconds % 1000) * 1_000_000)
        var remaining = timespec()
        while nanosleep(&request, &remaining) != 0 && errno == EINTR { request = remaining }
    }
}
