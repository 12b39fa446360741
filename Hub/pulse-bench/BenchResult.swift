/// The machine-readable result (`--json`); also the source of the human summary and the Markdown row.
struct BenchResult: Codable {
    struct Configuration: Codable {
        var clients: Int
        var hosts: Int
        var durationSeconds: Double
        var warmupSeconds: Double
        /// Reports/s over all clients; absent for closed loop.
        var targetRate: Double?
        var timeoutSeconds: Double
    }

    struct Requests: Codable {
        /// Requests scheduled inside the measured window.
        var measured: Int
        var ok: Int
        var failed: Int
        var warmup: Int
        var warmupFailed: Int
    }

    /// Milliseconds; nearest-rank percentiles over successful measured requests.
    struct Latency: Codable {
        var count: Int
        var p50: Double
        var p90: Double
        var p99: Double
        var p999: Double
        var max: Double
        var mean: Double

        /// Nil when there are no samples.
        init?(nanos samples: [UInt64]) {
            guard !samples.isEmpty else { return nil }
            let sorted = samples.sorted()
            func at(_ fraction: Double) -> Double {
                let rank = Int((fraction * Double(sorted.count)).rounded(.up))
                return Format.rounded(Double(sorted[Swift.min(Swift.max(rank, 1), sorted.count) - 1]) / 1e6, 3)
            }
            count = sorted.count
            p50 = at(0.50)
            p90 = at(0.90)
            p99 = at(0.99)
            p999 = at(0.999)
            max = Format.rounded(Double(sorted[sorted.count - 1]) / 1e6, 3)
            mean = Format.rounded(Double(sorted.reduce(0, +)) / Double(sorted.count) / 1e6, 3)
        }
    }

    struct ReportSize: Codable {
        var min: Int
        var mean: Int
        var max: Int
    }

    /// Resident memory of the hub, sampled every 500 ms from `/proc/<pid>/status` (VmRSS).
    struct Memory: Codable {
        /// Before the first request.
        var startKiB: Int
        var peakKiB: Int
        /// After the last request.
        var endKiB: Int
        var samples: Int
    }

    /// CPU time over the measured window, in cores (1.0 = one core busy the whole time).
    struct CPU: Codable {
        var windowSeconds: Double
        var benchCores: Double
        var benchSeconds: Double
        var hubCores: Double?
        var hubSeconds: Double?
        /// The bench's CPU time per request sent in the window, in microseconds.
        var benchMicrosPerRequest: Double?
        var onlineCPUs: Int
    }

    var tool = "pulse-bench"
    /// `spawned` (the bench started the hub) or `external`.
    var mode: String
    var url: String
    var label: String
    /// When the load started (RFC 3339).
    var startedAt: String
    var config: Configuration
    var reportBytes: ReportSize
    var requests: Requests
    /// Failed requests by kind (all phases), e.g. `HTTP 500`, `transport error (curl 7)`.
    var failures: [String: Int]
    /// The first failure of each kind.
    var failureSamples: [String: String]
    var windowSeconds: Double
    var reportsPerSecond: Double
    var latencyMs: Latency?
    /// Open loop only: from the scheduled send time, so time spent behind schedule counts.
    var scheduledLatencyMs: Latency?
    var maxScheduleLagMs: Double?
    var hubPID: Int32?
    var hubRSS: Memory?
    var cpu: CPU?
    var hubStop: HubStopReport?
    var stoppedEarly: String?
    var passed: Bool
    /// Why `passed` is false.
    var problems: [String]
}
