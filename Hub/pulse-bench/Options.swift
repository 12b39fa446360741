import PulseCommon

/// Where the load goes.
enum BenchTarget: Sendable {
    /// A hub this bench starts, on 127.0.0.1 with a free port and a fresh temporary data directory.
    case spawn(binary: String, extraEnvironment: [(String, String)], keepData: Bool, startupTimeout: Duration)
    /// A hub that is already running.
    case external(baseURL: String, token: String, hubPID: Int32?)
}

/// The parsed command line.
struct BenchOptions: Sendable {
    var target: BenchTarget
    var clients = 32
    var duration: Duration = .seconds(60)
    var warmup: Duration = .seconds(5)
    var hosts = 1000
    /// Reports per second over all clients (open loop); nil sends as fast as answers come back.
    var rate: Double?
    var timeout: Duration = .seconds(10)
    var hostnamePrefix = "bench-host-"
    var json = false
    var label: String?
    var quiet = false
}

/// A mistake on the command line.
struct UsageError: Error {
    let message: String
    init(_ message: String) { self.message = message }
}

enum OptionParser {
    enum Outcome {
        case run(BenchOptions)
        case help
    }

    static let helpText = """
    pulse-bench: load-test a Pulse hub's host report endpoint (POST /api/agents/host/report)

    Usage:
      pulse-bench --hub-bin PATH [options]
          Start a private hub, create a token, benchmark it, stop it, delete its data.
      pulse-bench --url URL --token TOKEN [--hub-pid PID] [options]
          Benchmark a hub that is already running.

    Target:
      --hub-bin PATH         pulse-hub binary. It is run as `PATH token create --name pulse-bench --scopes
                             host-agent:report`, then as the server with PULSE_DATA_DIR=<new temp dir>/data,
                             FRONTEND_PORT=<free port>, BACKEND_HOST=127.0.0.1, in its own process group,
                             output to <temp dir>/hub.log. The load starts once GET /api/health answers 200.
                             Afterwards the hub gets SIGTERM (SIGKILL after 10 s) and the temp dir is deleted.
      --hub-env KEY=VALUE    extra environment for the spawned hub (repeatable)
      --startup-timeout D    how long to wait for /api/health (default 30s)
      --keep-data            keep the temp dir (data, hub.log, token) and print its path
      --url URL              base URL of a running hub, e.g. http://127.0.0.1:7655
      --token TOKEN          API token with scope host-agent:report, for --url
      --hub-pid PID          PID of that hub, to sample its memory (VmRSS) and CPU time

    Load:
      --clients N            concurrent clients, each a thread with one keep-alive connection (default 32)
      --duration D           measured time (default 60s). D: 60s, 1m30s, 500ms, or plain seconds
      --warmup D             load before the measured window, left out of the statistics (default 5s; 0 for none)
      --hosts M              distinct simulated hosts, 1 to 100000 (default 1000; about 10 KB of memory each);
                             client i posts for hosts i, i+N, i+2N, ... (with fewer hosts than clients,
                             clients share hosts, and a host's reports may then arrive out of order)
      --rate R               target reports/s over all clients, open loop: sends are scheduled, and latency is
                             also reported from the scheduled time (default: unlimited, closed loop)
      --timeout D            per-request timeout (default 10s)
      --host-prefix TEXT     hostname prefix (default bench-host-): bench-host-0000, bench-host-0001, ...

    Output:
      --json                 print the result as JSON on stdout; the human summary goes to stderr
      --label TEXT           first column of the Markdown row (default: "spawned hub" or the URL)
      --quiet                no progress lines on stderr
      -h, --help             this text

    Each report is a realistic agent report (8 mounts, 4 NICs, 4 disk I/O devices, 10 temperatures, memory, load,
    CPU), encoded once per host with the wire encoder and patched in place before each post: the timestamp
    increases on every post and the counters grow with time. A request fails on a transport error or any status
    but 200; each client also decodes its first 200 answer (and every 4096th) as a host report response.
    Latency percentiles count successful measured requests. The bench's own CPU time is printed next to the
    hub's, since they share the machine. SIGINT/SIGTERM once: stop early, stop the hub, clean up; twice: exit.

    Exit status: 0 when every request got 200; 1 when a request failed, no request completed, the run was
    interrupted, the hub died or did not exit with status 0 within 10 s of SIGTERM, or set-up failed (the
    reason is printed); 2 for a command-line mistake.
    """

    /// Parses the arguments (without the program name).
    static func parse(_ arguments: [String]) throws(UsageError) -> Outcome {
        var options = BenchOptions(target: .external(baseURL: "", token: "", hubPID: nil))
        var hubBinary: String?
        var extraEnvironment: [(String, String)] = []
        var keepData = false
        var startupTimeout: Duration = .seconds(30)
        var url: String?
        var token: String?
        var hubPID: Int32?

        var remaining = arguments[...]
        while let argument = remaining.popFirst() {
            var name = argument
            var inlineValue: String?
            if argument.hasPrefix("--"), let equals = argument.firstIndex(of: "=") {
                name = String(argument[..<equals])
                inlineValue = String(argument[argument.index(after: equals)...])
            }
            func value() throws(UsageError) -> String {
                if let inlineValue { return inlineValue }
                guard let next = remaining.popFirst() else { throw UsageError("\(name) needs a value") }
                return next
            }
            switch name {
            case "-h", "--help": return .help
            case "--hub-bin": hubBinary = try value()
            case "--hub-env":
                let pair = try value()
                guard let equals = pair.firstIndex(of: "="), equals != pair.startIndex else {
                    throw UsageError("--hub-env: expected KEY=VALUE, got '\(pair)'")
                }
                extraEnvironment.append((String(pair[..<equals]), String(pair[pair.index(after: equals)...])))
            case "--startup-timeout": startupTimeout = try duration(name, try value(), allowZero: false)
            case "--keep-data": keepData = true
            case "--url": url = try value()
            case "--token": token = try value()
            case "--hub-pid":
                let text = try value()
                guard let pid = Int32(text), pid > 0 else { throw UsageError("--hub-pid: not a process id: '\(text)'") }
                hubPID = pid
            case "--clients": options.clients = try count(name, try value(), maximum: 4096)
            case "--duration": options.duration = try duration(name, try value(), allowZero: false)
            case "--warmup": options.warmup = try duration(name, try value(), allowZero: true)
            case "--hosts": options.hosts = try count(name, try value(), maximum: 100_000)
            case "--rate":
                let text = try value()
                guard let rate = Double(text), rate > 0, rate.isFinite else {
                    throw UsageError("--rate: expected reports per second above 0, got '\(text)'")
                }
                options.rate = rate
            case "--timeout": options.timeout = try duration(name, try value(), allowZero: false)
            case "--host-prefix":
                let prefix = try value()
                let allowed: (Character) -> Bool = { $0.isLetter || $0.isNumber || "-._".contains($0) }
                guard !prefix.isEmpty, prefix.allSatisfy(allowed) else {
                    throw UsageError("--host-prefix: use letters, digits, '-', '.' or '_', got '\(prefix)'")
                }
                options.hostnamePrefix = prefix
            case "--json": options.json = true
            case "--label": options.label = try value()
            case "--quiet": options.quiet = true
            default:
                throw UsageError(argument.hasPrefix("-") ? "unknown option \(name)"
                                                         : "unexpected argument '\(argument)'")
            }
            if inlineValue != nil, ["--keep-data", "--json", "--quiet"].contains(name) {
                throw UsageError("\(name) takes no value")
            }
        }

        switch (hubBinary, url) {
        case (nil, nil):
            throw UsageError("give --hub-bin PATH (start a hub) or --url URL --token TOKEN (use a running hub)")
        case (.some, .some):
            throw UsageError("--hub-bin and --url exclude each other")
        case (.some(let binary), nil):
            if token != nil || hubPID != nil { throw UsageError("--token and --hub-pid go with --url, not --hub-bin") }
            options.target = .spawn(binary: binary, extraEnvironment: extraEnvironment, keepData: keepData,
                                    startupTimeout: startupTimeout)
        case (nil, .some(let base)):
            guard base.hasPrefix("http://") || base.hasPrefix("https://") else {
                throw UsageError("--url must start with http:// or https://, got '\(base)'")
            }
            guard let token, !token.isEmpty else { throw UsageError("--url needs --token TOKEN") }
            if !extraEnvironment.isEmpty || keepData {
                throw UsageError("--hub-env and --keep-data go with --hub-bin, not --url")
            }
            var trimmed = base
            while trimmed.hasSuffix("/") { trimmed.removeLast() }
            options.target = .external(baseURL: trimmed, token: token, hubPID: hubPID)
        }
        return .run(options)
    }

    private static func duration(_ name: String, _ text: String, allowZero: Bool) throws(UsageError) -> Duration {
        guard let parsed = EnvValue.duration(text), parsed >= .zero else {
            throw UsageError("\(name): not a duration: '\(text)' (use e.g. 60s, 1m30s, 500ms)")
        }
        if !allowZero, parsed <= .zero { throw UsageError("\(name) must be above 0") }
        return parsed
    }

    private static func count(_ name: String, _ text: String, maximum: Int) throws(UsageError) -> Int {
        guard let value = Int(text), value >= 1, value <= maximum else {
            throw UsageError("\(name): expected a whole number from 1 to \(maximum), got '\(text)'")
        }
        return value
    }
}
