import Foundation
import PulseCommon
import Synchronization

/// What every client thread needs to know; times are `Clock.monotonicNanos()` values.
struct LoadPlan: Sendable {
    let reportURL: String
    let headers: [(String, String)]
    let timeout: Duration
    let startNanos: UInt64
    let warmupEndNanos: UInt64
    let endNanos: UInt64
    let clients: Int
    /// Open loop: nanoseconds between one client's scheduled sends; nil for closed loop (send when answered).
    let intervalNanos: Double?
}

/// Counters the coordinator reads while the clients run (for progress lines and the finish check).
final class LiveCounters: Sendable {
    let completed = Atomic<Int>(0)
    let failed = Atomic<Int>(0)
    let finishedClients = Atomic<Int>(0)
}

/// Failures of one kind: how many, and the first one's details.
struct FailureTally {
    var count = 0
    var sample: String
}

/// One client's results; merged by the coordinator after the thread ended.
struct WorkerStats {
    /// Send to response of every successful measured request, in nanoseconds.
    var latencies: [UInt64] = []
    /// Scheduled send to response (open loop only): includes time spent behind schedule.
    var scheduledLatencies: [UInt64] = []
    var measuredOK = 0
    var measuredFailed = 0
    var warmupOK = 0
    var warmupFailed = 0
    var failures: [String: FailureTally] = [:]
    var lastMeasuredCompletion: UInt64 = 0
    var maxLagNanos: UInt64 = 0

    mutating func fail(_ key: String, sample: @autoclosure () -> String) {
        if failures[key] == nil {
            failures[key] = FailureTally(count: 1, sample: sample())
        } else {
            failures[key]!.count += 1
        }
    }
}

/// One client thread: its own `HTTPClient` (one keep-alive connection) and its own simulated hosts, posted in turn.
///
/// `@unchecked Sendable`: `stats` and the hosts are used only by the client's thread between `run` and the join;
/// the coordinator reads `stats` only after joining.
final class LoadWorker: @unchecked Sendable {
    private let slot: Int
    private let hosts: [SimulatedHost]
    private let plan: LoadPlan
    private(set) var stats = WorkerStats()

    init(slot: Int, hosts: [SimulatedHost], plan: LoadPlan) {
        self.slot = slot
        self.hosts = hosts
        self.plan = plan
    }

    /// Sends reports until the plan's end (or a stop request), recording every result.
    func run(control: RunControl, live: LiveCounters) {
        defer { live.finishedClients.wrappingAdd(1, ordering: .relaxed) }
        let client = HTTPClient()
        let decoder = WireJSON.decoder()
        var random = SplitMix64(seed: 0xB0A7 &+ UInt64(slot) &* 0x1_0000_0001)
        var cache = TimestampCache()
        var cursor = 0
        var sequence = 0.0
        var okCount = 0
        stats.latencies.reserveCapacity(65_536)
        guard sleep(until: plan.startNanos, control: control) else { return }

        while !control.isStopping {
            let scheduled: UInt64
            if let interval = plan.intervalNanos {
                let offset = (Double(slot) / Double(plan.clients) + sequence) * interval
                sequence += 1
                scheduled = plan.startNanos + UInt64(offset)
                guard scheduled < plan.endNanos, sleep(until: scheduled, control: control) else { break }
            } else {
                scheduled = Clock.monotonicNanos()
                guard scheduled < plan.endNanos else { break }
            }
            let host = hosts[cursor]
            cursor = cursor + 1 == hosts.count ? 0 : cursor + 1
            host.advance(wallNanos: Clock.wallNanos(), random: &random, cache: &cache)

            let sent = Clock.monotonicNanos()
            var failure: (key: String, sample: String)?
            do {
                let request = HTTPClientRequest(method: "POST", url: plan.reportURL, headers: plan.headers,
                                                body: host.body, timeout: plan.timeout)
                let response = try client.perform(request)
                if response.status != 200 {
                    failure = ("HTTP \(response.status)", "\(host.hostname): " + Self.snippet(response.body))
                } else {
                    // Check the answer's shape on each client's first success and every 4096th after.
                    if okCount % 4096 == 0 {
                        do {
                            let decoded = try decoder.decode(HostReportResponse.self, from: Data(response.body))
                            if !decoded.success {
                                failure = ("HTTP 200 with success=false", Self.snippet(response.body))
                            }
                        } catch {
                            failure = ("HTTP 200 with a body that is not a host report response",
                                       "\(error); body: " + Self.snippet(response.body))
                        }
                    }
                    okCount += 1
                }
            } catch {
                failure = ("transport error (curl \(error.code))", error.message)
            }
            let done = Clock.monotonicNanos()

            let measured = scheduled >= plan.warmupEndNanos
            if let failure {
                stats.fail(failure.key, sample: failure.sample)
                live.failed.wrappingAdd(1, ordering: .relaxed)
                if measured { stats.measuredFailed += 1 } else { stats.warmupFailed += 1 }
            } else if measured {
                stats.measuredOK += 1
                stats.latencies.append(done - sent)
                if plan.intervalNanos != nil { stats.scheduledLatencies.append(done - scheduled) }
            } else {
                stats.warmupOK += 1
            }
            if measured { stats.lastMeasuredCompletion = max(stats.lastMeasuredCompletion, done) }
            if sent > scheduled { stats.maxLagNanos = max(stats.maxLagNanos, sent - scheduled) }
            live.completed.wrappingAdd(1, ordering: .relaxed)
        }
    }

    /// Sleeps until `target` in short steps; false if a stop was requested meanwhile.
    private func sleep(until target: UInt64, control: RunControl) -> Bool {
        while true {
            if control.isStopping { return false }
            let now = Clock.monotonicNanos()
            if now >= target { return true }
            Clock.sleep(nanos: min(target - now, 50_000_000))
        }
    }

    private static func snippet(_ body: [UInt8]) -> String {
        let text = String(decoding: body.prefix(300), as: UTF8.self)
        let flat = text.replacingOccurrences(of: "\n", with: " ")
        return flat.isEmpty ? "(empty body)" : flat + (body.count > 300 ? "…" : "")
    }
}
