import Foundation
import Glibc
import PulseCommon

/// Everything measured during one load run, before it is turned into a `BenchResult`.
struct LoadOutcome {
    var stats = WorkerStats()
    var startedAtWall: UInt64 = 0
    var windowSeconds = 0.0
    var reportSizes: [Int] = []
    var memory: BenchResult.Memory?
    var cpu: BenchResult.CPU?
    /// Set when the hub went away while the clients were running.
    var hubLost: String?
}

/// Runs the clients against one hub and watches the hub meanwhile (RSS every 500 ms, CPU time, liveness).
struct LoadRun {
    let options: BenchOptions
    let control: RunControl

    /// - Parameter hubGone: polled every 500 ms; returns why the hub is gone, or nil while it runs.
    func run(baseURL: String, token: String, probe: ProcessProbe?,
             hubGone: () -> String?) throws(SetupError) -> LoadOutcome {
        var outcome = LoadOutcome()
        let encoder = WireJSON.encoder()
        let epoch = Clock.wallNanos()
        let digits = max(4, String(options.hosts - 1).count)
        var hosts: [SimulatedHost] = []
        hosts.reserveCapacity(options.hosts)
        do {
            for index in 0..<options.hosts {
                hosts.append(try SimulatedHost(index: index, hostnamePrefix: options.hostnamePrefix, digits: digits,
                                               epochWallNanos: epoch, encoder: encoder))
            }
        } catch {
            throw SetupError("internal error while building reports: \(error.description)")
        }
        outcome.reportSizes = hosts.map { $0.body.count }

        let clients = options.clients
        var assignments: [[SimulatedHost]] = Array(repeating: [], count: clients)
        for (index, host) in hosts.enumerated() { assignments[index % clients].append(host) }
        for slot in 0..<clients where assignments[slot].isEmpty {
            // Fewer hosts than clients: this client posts for a copy of host slot % hosts.
            let index = slot % options.hosts
            do {
                assignments[slot] = [try SimulatedHost(index: index, hostnamePrefix: options.hostnamePrefix,
                                                       digits: digits, epochWallNanos: epoch, encoder: encoder)]
            } catch {
                throw SetupError("internal error while building reports: \(error.description)")
            }
        }

        let start = Clock.monotonicNanos() + 20_000_000
        let warmupEnd = start + options.warmup.nanos
        let end = warmupEnd + options.duration.nanos
        let plan = LoadPlan(
            reportURL: baseURL + "/api/agents/host/report",
            headers: [("X-API-Token", token), ("Authorization", "Bearer \(token)"),
                      ("Content-Type", "application/json"), ("User-Agent", "pulse-bench")],
            timeout: options.timeout, startNanos: start, warmupEndNanos: warmupEnd, endNanos: end,
            clients: clients, intervalNanos: options.rate.map { 1e9 * Double(clients) / $0 })

        var memorySamples: [Int] = []
        if let probe, let kib = probe.residentKiB() { memorySamples.append(kib) }
        let live = LiveCounters()
        let workers = (0..<clients).map { LoadWorker(slot: $0, hosts: assignments[$0], plan: plan) }
        outcome.startedAtWall = Clock.wallNanos()
        let threads = workers.map { worker in JoinableThread.start { worker.run(control: control, live: live) } }

        var windowStart: (time: UInt64, bench: UInt64, hub: UInt64?)?
        if options.warmup == .zero { windowStart = (start, Clock.processCPUNanos(), probe?.cpuNanos()) }
        var nextSample = Clock.monotonicNanos() + 500_000_000
        var nextProgress = start + 5_000_000_000
        var lastProgressCount = 0
        var lastProgressTime = start
        while live.finishedClients.load(ordering: .relaxed) < clients {
            Clock.sleep(nanos: 50_000_000)
            let now = Clock.monotonicNanos()
            if windowStart == nil, now >= warmupEnd {
                windowStart = (now, Clock.processCPUNanos(), probe?.cpuNanos())
            }
            if now >= nextSample {
                nextSample += 500_000_000
                if let kib = probe?.residentKiB() { memorySamples.append(kib) }
                if outcome.hubLost == nil, let reason = hubGone() {
                    outcome.hubLost = reason
                    control.requestStop(reason: reason)
                }
            }
            if !options.quiet, now >= nextProgress {
                let completed = live.completed.load(ordering: .relaxed)
                let rate = Double(completed - lastProgressCount) / (Double(now - lastProgressTime) / 1e9)
                let phase = now < warmupEnd ? "warmup   " : "measuring"
                Console.error("[\(Format.fixed(Double(now - start) / 1e9, 0).padded(toWidth: 4))s] \(phase) "
                              + "\(Format.grouped(completed)) requests, \(Format.fixed(rate, 0)) reports/s, "
                              + "\(Format.grouped(live.failed.load(ordering: .relaxed))) failed")
                lastProgressCount = completed
                lastProgressTime = now
                nextProgress += 5_000_000_000
            }
        }
        threads.forEach { $0.join() }
        let finished = (time: Clock.monotonicNanos(), bench: Clock.processCPUNanos(), hub: probe?.cpuNanos())
        if let probe, let kib = probe.residentKiB() { memorySamples.append(kib) }

        for worker in workers { outcome.stats.merge(worker.stats) }
        if outcome.stats.lastMeasuredCompletion > warmupEnd {
            outcome.windowSeconds = Double(outcome.stats.lastMeasuredCompletion - warmupEnd) / 1e9
        }
        if let first = memorySamples.first, let last = memorySamples.last {
            outcome.memory = BenchResult.Memory(startKiB: first, peakKiB: memorySamples.max() ?? first, endKiB: last,
                                                samples: memorySamples.count)
        }
        if let windowStart, finished.time > windowStart.time {
            let seconds = Double(finished.time - windowStart.time) / 1e9
            var hubSeconds: Double?
            if let before = windowStart.hub, let after = finished.hub, after >= before {
                hubSeconds = Double(after - before) / 1e9
            }
            let benchSeconds = Double(finished.bench - windowStart.bench) / 1e9
            let requests = outcome.stats.measuredOK + outcome.stats.measuredFailed
            outcome.cpu = BenchResult.CPU(
                windowSeconds: Format.rounded(seconds, 3), benchCores: Format.rounded(benchSeconds / seconds, 3),
                benchSeconds: Format.rounded(benchSeconds, 3),
                hubCores: hubSeconds.map { Format.rounded($0 / seconds, 3) },
                hubSeconds: hubSeconds.map { Format.rounded($0, 3) },
                benchMicrosPerRequest: requests > 0 ? Format.rounded(benchSeconds * 1e6 / Double(requests), 1) : nil,
                onlineCPUs: Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
        }
        return outcome
    }
}

extension WorkerStats {
    /// Adds another client's results.
    mutating func merge(_ other: WorkerStats) {
        latencies += other.latencies
        scheduledLatencies += other.scheduledLatencies
        measuredOK += other.measuredOK
        measuredFailed += other.measuredFailed
        warmupOK += other.warmupOK
        warmupFailed += other.warmupFailed
        for (key, tally) in other.failures {
            if failures[key] == nil {
                failures[key] = tally
            } else {
                failures[key]!.count += tally.count
            }
        }
        lastMeasuredCompletion = max(lastMeasuredCompletion, other.lastMeasuredCompletion)
        maxLagNanos = max(maxLagNanos, other.maxLagNanos)
    }
}

extension String {
    /// Pads with spaces on the left to `width` characters.
    func padded(toWidth width: Int) -> String {
        count >= width ? self : String(repeating: " ", count: width - count) + self
    }
}
