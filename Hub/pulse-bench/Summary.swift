import Foundation

/// Renders a `BenchResult` for people (summary plus a Markdown table row) and for programs (JSON).
enum Summary {
    /// The summary, ending with a ready-to-paste Markdown header and row.
    static func human(_ result: BenchResult) -> String {
        var lines: [String] = []
        let config = result.config
        let pacing = config.targetRate.map { "open loop, target \(Format.fixed($0, 0)) reports/s" } ?? "closed loop"
        lines.append("pulse-bench: \(config.clients) clients, \(Format.grouped(config.hosts)) hosts, \(pacing), "
                     + "\(Format.fixed(config.durationSeconds, 1)) s measured after "
                     + "\(Format.fixed(config.warmupSeconds, 1)) s warmup")
        let pid = result.hubPID.map { " (pid \($0))" } ?? ""
        let origin = result.mode == "spawned" ? "spawned by the bench" : "external"
        lines.append(row("hub", "\(origin), \(result.url)\(pid)"))
        let size = result.reportBytes
        lines.append(row("report size", "\(Format.grouped(size.mean)) bytes "
                         + "(\(Format.grouped(size.min))–\(Format.grouped(size.max)))"))
        let requests = result.requests
        lines.append(row("requests", "\(Format.grouped(requests.measured)) measured: "
                         + "\(Format.grouped(requests.ok)) ok, "
                         + "\(Format.grouped(requests.failed)) failed (warmup: \(Format.grouped(requests.warmup)), "
                         + "\(Format.grouped(requests.warmupFailed)) failed)"))
        for (kind, count) in result.failures.sorted(by: { $0.value > $1.value }) {
            lines.append(row("  \(kind)", "×\(Format.grouped(count)); first: \(result.failureSamples[kind] ?? "")"))
        }
        var throughput = "\(Format.fixed(result.reportsPerSecond, 1)) reports/s "
            + "over \(Format.fixed(result.windowSeconds, 2)) s"
        if let target = config.targetRate, result.reportsPerSecond < target * 0.95 {
            throughput += " (below the \(Format.fixed(target, 0))/s target)"
        }
        lines.append(row("throughput", throughput))
        if let latency = result.latencyMs {
            lines.append(row("latency", latencyText(latency)))
        }
        if let latency = result.scheduledLatencyMs {
            lines.append(row("  from schedule", latencyText(latency)
                             + "; sends lagged up to \(Format.fixed(result.maxScheduleLagMs ?? 0, 2)) ms"))
        }
        if let memory = result.hubRSS {
            lines.append(row("hub RSS", "\(Format.mebibytes(memory.startKiB)) at start, "
                             + "\(Format.mebibytes(memory.peakKiB)) peak, "
                             + "\(Format.mebibytes(memory.endKiB)) at end (\(memory.samples) samples)"))
        }
        if let cpu = result.cpu {
            var text = ""
            if let cores = cpu.hubCores, let seconds = cpu.hubSeconds {
                text += "hub \(Format.fixed(cores, 2)) cores (\(Format.fixed(seconds, 1)) s), "
            }
            text += "bench \(Format.fixed(cpu.benchCores, 2)) cores (\(Format.fixed(cpu.benchSeconds, 1)) s"
            text += cpu.benchMicrosPerRequest.map { ", \(Format.fixed($0, 0)) µs per request" } ?? ""
            text += ") over \(Format.fixed(cpu.windowSeconds, 1)) s; \(cpu.onlineCPUs) CPUs online"
            lines.append(row("CPU", text))
        }
        if let stop = result.hubStop {
            lines.append(row("hub stop", "\(stop.status) after \(Format.grouped(stop.milliseconds)) ms"
                             + (stop.clean ? " (clean)" : "") + (stop.note.map { "; \($0)" } ?? "")))
        }
        if result.passed {
            lines.append(row("result", "PASS"))
        } else {
            lines.append(row("result", "FAIL"))
            for problem in result.problems { lines.append("  - " + problem) }
        }
        lines.append("")
        lines.append(markdownHeader)
        lines.append(markdownRow(result))
        return lines.joined(separator: "\n")
    }

    static let markdownColumns = [
        "Run", "Clients", "Hosts", "Rate", "Window", "Requests", "Reports/s", "p50 ms", "p90 ms", "p99 ms", "Max ms",
        "Failed", "Hub RSS MiB start/peak/end", "Hub CPU", "Bench CPU", "Report B",
    ]

    /// The Markdown table header and alignment line for `markdownRow`.
    static var markdownHeader: String {
        "| " + markdownColumns.joined(separator: " | ") + " |\n|---|"
            + String(repeating: "---:|", count: markdownColumns.count - 1)
    }

    /// One Markdown table row matching `markdownHeader`.
    static func markdownRow(_ result: BenchResult) -> String {
        let latency = result.latencyMs
        func ms(_ value: Double?) -> String { value.map { Format.fixed($0, 2) } ?? "-" }
        let memory = result.hubRSS.map {
            "\(Format.fixed(Double($0.startKiB) / 1024, 1)) / \(Format.fixed(Double($0.peakKiB) / 1024, 1)) / "
                + "\(Format.fixed(Double($0.endKiB) / 1024, 1))"
        } ?? "-"
        let rate: String = result.config.targetRate.map { Format.fixed($0, 0) } ?? "max"
        let window: String = Format.fixed(result.windowSeconds, 1) + " s"
        let failed: Int = result.requests.failed + result.requests.warmupFailed
        let hubCPU: String = result.cpu?.hubCores.map { Format.fixed($0, 2) } ?? "-"
        let benchCPU: String = result.cpu.map { Format.fixed($0.benchCores, 2) } ?? "-"
        var cells: [String] = [result.label.replacingOccurrences(of: "|", with: "\\|")]
        cells += [String(result.config.clients), Format.grouped(result.config.hosts), rate, window]
        cells += [Format.grouped(result.requests.measured), Format.fixed(result.reportsPerSecond, 0)]
        cells += [ms(latency?.p50), ms(latency?.p90), ms(latency?.p99), ms(latency?.max)]
        cells += [Format.grouped(failed), memory, hubCPU, benchCPU, Format.grouped(result.reportBytes.mean)]
        return "| " + cells.joined(separator: " | ") + " |"
    }

    /// Pretty-printed JSON with sorted keys.
    static func json(_ result: BenchResult) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        do {
            return String(decoding: try encoder.encode(result), as: UTF8.self)
        } catch {
            return "{\"error\": \"cannot encode the result\"}"
        }
    }

    private static func latencyText(_ latency: BenchResult.Latency) -> String {
        "p50 \(Format.fixed(latency.p50, 2)) ms, p90 \(Format.fixed(latency.p90, 2)) ms, "
            + "p99 \(Format.fixed(latency.p99, 2)) ms, p99.9 \(Format.fixed(latency.p999, 2)) ms, "
            + "max \(Format.fixed(latency.max, 2)) ms (mean \(Format.fixed(latency.mean, 2)) ms)"
    }

    private static func row(_ name: String, _ value: String) -> String {
        "  " + name + String(repeating: " ", count: max(1, 16 - name.count)) + value
    }
}
