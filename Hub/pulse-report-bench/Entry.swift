import Foundation
import PulseCommon
import PulseHub
import Synchronization

/// `pulse-report-bench`: how long a report takes and how big it is. Fills a metrics store with a simulated host
/// (38 series like a real host report, one sample per 30 s) for some days, then generates the report for the last
/// days through the same code the API uses: query (`ReportBuilder`), PDF (`PDFReportRenderer`) and CSV
/// (`CSVReportWriter`). Budget (issue 8): a 7-day host report in ≤ 1 s and ≤ 500 KB.
@main
struct Entry {
    static let usage = """
    Usage: pulse-report-bench [--days D] [--interval SECONDS] [--runs N] [--out DIR]

      --days D         simulated history and report range in days (default 7)
      --interval S     seconds between samples (default 30)
      --runs N         reports generated and timed (default 10)
      --out DIR        write the last PDF and CSV there (report.pdf, report.csv)
    """

    static func main() {
        var days = 7, interval: Int64 = 30, runs = 10
        var output: String?
        var arguments = Array(CommandLine.arguments.dropFirst())
        func value(_ flag: String) -> String {
            guard !arguments.isEmpty else { fail("\(flag) needs a value") }
            return arguments.removeFirst()
        }
        func number(_ flag: String, atLeast minimum: Int) -> Int {
            guard let parsed = Int(value(flag)), parsed >= minimum else { fail("\(flag) must be a whole number ≥ \(minimum)") }
            return parsed
        }
        while !arguments.isEmpty {
            let flag = arguments.removeFirst()
            switch flag {
            case "--days": days = number(flag, atLeast: 1)
            case "--interval": interval = Int64(number(flag, atLeast: 1))
            case "--runs": runs = number(flag, atLeast: 1)
            case "--out": output = value(flag)
            case "-h", "--help":
                print(usage)
                return
            default: fail("unknown option \(flag); see --help")
            }
        }
        let root = NSTemporaryDirectory() + "pulse-report-bench-" + UUID().uuidString
        do {
            try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: root) }
            try run(root: root, days: days, interval: interval, runs: runs, output: output)
        } catch {
            fail("\(error)")
        }
    }

    static func fail(_ message: String) -> Never {
        FileHandle.standardError.write(Data("pulse-report-bench: \(message)\n".utf8))
        exit(2)
    }

    /// The 38 series of a realistic host: gauges, 8 mounts, 4 disks and 4 NICs as rates, totals, 10 temperatures.
    static let names: [String] = {
        var names = ["cpu", "memory", "swap", "load1", "disk"]
        names += ["/", "/boot", "/home", "/var", "/srv", "/data", "/opt", "/tmp"].map { "disk:" + $0 }
        for device in ["sda", "sdb", "nvme0n1", "nvme1n1"] { names += ["diskread:" + device, "diskwrite:" + device] }
        for interface in ["eth0", "eth1", "bond0", "br0"] { names += ["netin:" + interface, "netout:" + interface] }
        names += ["diskread", "diskwrite", "netin", "netout"]
        names += ["cpu_package", "cpu_core_0", "cpu_core_1", "cpu_core_2", "cpu_core_3", "nvme0", "nvme1",
                  "acpitz", "gpu_edge", "dram"].map { "temp:" + $0 }
        return names
    }()

    /// Daily waves plus noise; filesystems fill slowly so projections have something to say.
    static func value(_ name: String, index: Int, time: Int64, start: Int64) -> Double {
        let phase = Double(time) / 86_400 * 2 * Double.pi + Double(index)
        let noise = Double((time &* 2_654_435_761 &+ Int64(index * 31)) % 1000) / 100.0
        let days = Double(time - start) / 86_400
        if name.hasPrefix("disk:") || name == "disk" { return min(100, 40 + Double(index % 5) * 8 + days * 0.7 + noise / 20) }
        if name.hasPrefix("diskread") || name.hasPrefix("diskwrite") || name.hasPrefix("netin") || name.hasPrefix("netout") {
            return max(0, 2_000_000 + sin(phase) * 1_500_000 + noise * 40_000)
        }
        if name.hasPrefix("temp:") { return 45 + sin(phase) * 8 + noise / 2 }
        if name == "load1" { return max(0, 1.5 + sin(phase) + noise / 10) }
        return max(0, min(100, 40 + sin(phase) * 25 + noise))
    }

    static func run(root: String, days: Int, interval: Int64, runs: Int, output: String?) throws {
        let start: Int64 = 1_796_342_400  // 2026-12-04T00:00:00Z
        let end = start + Int64(days) * 86_400
        let clock = Mutex(Date(timeIntervalSince1970: Double(start)))
        let store = try SQLiteMetricsStore(configuration: .init(path: root + "/metrics.db"),
                                           logger: Logger(level: .warn, format: .text), startWriter: false,
                                           clock: { clock.withLock { $0 } })
        let filled = ContinuousClock.now
        var time = start
        var samples = 0
        while time < end {
            let batch = names.enumerated().map { index, name in
                MetricSample(series: SeriesKey("host", "bench-host", name), timestamp: time,
                             value: value(name, index: index, time: time, start: start))
            }
            try store.write(batch)
            try store.flush()
            samples += batch.count
            time += interval
            clock.withLock { $0 = Date(timeIntervalSince1970: Double(time)) }
            if time % 600 == 0 { try store.maintain() }
        }
        try store.maintain()
        print("pulse-report-bench: 1 host × \(names.count) series, one sample per \(interval) s for \(days) days "
              + "(\(samples) samples, filled in \(String(format: "%.1f", seconds(since: filled))) s)")

        let now = Date(timeIntervalSince1970: Double(end))
        let request = ReportRequest(format: .pdf, target: .resource(type: "host", id: "bench-host"),
                                    start: end - Int64(days) * 86_400, end: end, title: "Weekly report: bench-host")
        let builder = ReportBuilder(store: store, registry: nil)
        var query: [Double] = [], pdf: [Double] = [], csv: [Double] = []
        var pdfBytes: [UInt8] = [], csvBytes: [UInt8] = []
        var points = 0, charts = 0
        for _ in 0..<runs {
            var began = ContinuousClock.now
            guard case .resource(let data) = try builder.build(request, now: now) else { fail("expected a resource report") }
            query.append(seconds(since: began) * 1000)
            began = ContinuousClock.now
            pdfBytes = try PDFReportRenderer.render(data)
            pdf.append(seconds(since: began) * 1000)
            began = ContinuousClock.now
            csvBytes = CSVReportWriter.write(data)
            csv.append(seconds(since: began) * 1000)
            points = data.totalPoints
            charts = data.series.filter { !$0.points.isEmpty }.count
        }
        let totals = zip(zip(query, pdf), csv).map { $0.0 + $0.1 + $1 }
        let pages = pageCount(pdfBytes)
        print("  \(days)-day report: \(charts) metrics charted, \(points) points, \(pages) PDF pages")
        print(line("query (ReportBuilder)", query))
        print(line("PDF render", pdf))
        print(line("CSV write", csv))
        print(line("total (query + PDF + CSV)", totals))
        print(String(format: "  sizes: PDF %.1f KB, CSV %.1f KB", Double(pdfBytes.count) / 1000, Double(csvBytes.count) / 1000))
        let pdfTotal = zip(query, pdf).map { $0 + $1 }.sorted()
        let verdict = pdfTotal.last! <= 1000 && pdfBytes.count <= 500_000 ? "within" : "OVER"
        print(String(format: "  budget (≤ 1 s, ≤ 500 KB for the PDF report): worst query + PDF %.1f ms, %.1f KB: %@",
                     pdfTotal.last!, Double(pdfBytes.count) / 1000, verdict))
        if let output {
            try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
            try Data(pdfBytes).write(to: URL(fileURLWithPath: output + "/report.pdf"))
            try Data(csvBytes).write(to: URL(fileURLWithPath: output + "/report.csv"))
            print("  wrote \(output)/report.pdf and report.csv")
        }
        store.close()
    }

    static func line(_ label: String, _ milliseconds: [Double]) -> String {
        let sorted = milliseconds.sorted()
        return String(format: "  %@: median %.1f ms, min %.1f ms, max %.1f ms (%d runs)", label,
                      sorted[sorted.count / 2], sorted.first!, sorted.last!, sorted.count)
    }

    /// Pages in a PDF written by cairo (`/Type /Page` objects, not `/Pages`).
    static func pageCount(_ bytes: [UInt8]) -> Int {
        let text = String(decoding: bytes, as: UTF8.self)
        return text.components(separatedBy: "/Type /Page").count - 1 - (text.components(separatedBy: "/Type /Pages").count - 1)
    }

    static func seconds(since instant: ContinuousClock.Instant) -> Double {
        let elapsed = ContinuousClock.now - instant
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    }
}
