#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import PulseCommon

/// One docker report per call: engine info, every container (inspect and one-shot stats fetched concurrently,
/// each request with its own timeout, so one slow container never holds up the report), swarm services and
/// tasks, and the host's own figures. Keeps the previous CPU samples, so it lives as long as the module.
public final class DockerCollector {
    public struct Options: Sendable, Equatable {
        /// Fetch writable-layer and root-filesystem sizes (`?size=1`, slow on big engines).
        public var collectDiskMetrics = false
        /// Engine requests in flight at once.
        public var concurrency = 8
        /// Each inspect or stats request's limit.
        public var containerTimeout: Duration = .seconds(5)

        public init() {}
    }

    /// What the engine said in one cycle, before it becomes a report.
    public struct Snapshot: Sendable {
        public var containers: [DockerReport.Container]
        public var services: [DockerReport.Service]?
        public var tasks: [DockerReport.Task]?
        public var swarm: DockerReport.Swarm?
        /// Containers reported without inspect or stats details, with why.
        public var degraded: [String: String]
    }

    public let client: EngineClient
    public let podman: Bool
    let options: Options
    let logger: Logger
    var cpu = CPUTracker()
    private(set) var info: EngineInfo?

    public init(client: EngineClient, podman: Bool, options: Options, logger: Logger) {
        self.client = client
        self.podman = podman
        self.options = options
        self.logger = logger
    }

    /// Reads `/info`; a failure means the engine is gone (the module reconnects).
    func refreshInfo() throws(EngineError) -> EngineInfo {
        let fresh = try client.get(EngineInfo.self, "/info")
        info = fresh
        return fresh
    }

    /// Collects containers, services and tasks. Throws only when the engine cannot list containers.
    public func collect(now: Date) throws(EngineError) -> Snapshot {
        let info = try refreshInfo()
        let summaries = try client.get([EngineContainerSummary].self, "/containers/json?all=1")
            .filter { !ContainerMapper.isBackup(ContainerMapper.name($0)) && !($0.Id ?? "").isEmpty }

        // Inspect every container and take stats of the running or paused ones, all in one concurrent batch.
        var paths: [String] = []
        var inspectIndex: [Int] = []
        var statsIndex: [Int: Int] = [:]
        for (index, summary) in summaries.enumerated() {
            let id = summary.Id ?? ""
            inspectIndex.append(paths.count)
            paths.append("/containers/\(id)/json" + (options.collectDiskMetrics ? "?size=1" : ""))
            let state = (summary.State ?? "").lowercased()
            if state == "running" || state == "paused" {
                statsIndex[index] = paths.count
                paths.append("/containers/\(id)/stats?stream=false&one-shot=true")
            }
        }
        let results = client.getConcurrently(paths, concurrency: options.concurrency)
        var degraded: [String: String] = [:]
        var containers: [DockerReport.Container] = []
        var seen = Set<String>()
        for (index, summary) in summaries.enumerated() {
            let id = summary.Id ?? ""
            seen.insert(id)
            var inspect: EngineContainerInspect?
            var problems: [String] = []
            switch results[inspectIndex[index]] {
            case .success(let body):
                do throws(EngineError) {
                    inspect = try EngineClient.decode(EngineContainerInspect.self, body, what: "inspect")
                } catch { problems.append(error.message) }
            case .failure(let error): problems.append("inspect: \(error.message)")
            }
            var stats: ContainerStats?
            if let position = statsIndex[index] {
                switch results[position] {
                case .success(let body):
                    do throws(EngineError) {
                        stats = ContainerStats(try EngineClient.decode(EngineStats.self, body, what: "stats"))
                    } catch { problems.append(error.message) }
                case .failure(let error): problems.append("stats: \(error.message)")
                }
            }
            let cpuPercent = stats.map { cpu.percent(id: id, stats: $0, now: now, hostCPUs: info.NCPU) } ?? 0
            let container = ContainerMapper.container(summary: summary, inspect: inspect, stats: stats,
                                                      cpuPercent: cpuPercent, podman: podman,
                                                      collectDisk: options.collectDiskMetrics, now: now)
            if !problems.isEmpty { degraded[container.name ?? id] = problems.joined(separator: "; ") }
            containers.append(container)
        }
        cpu.prune(keeping: seen)

        var snapshot = Snapshot(containers: containers, degraded: degraded)
        if !podman {
            snapshot.swarm = SwarmMapper.swarm(info.Swarm)
            if snapshot.swarm?.localState == "active" { collectSwarm(into: &snapshot, info: info) }
        }
        return snapshot
    }

    /// Managers read services and tasks from the API (this node's tasks only); workers, or a manager whose API
    /// call fails, derive them from container labels.
    private func collectSwarm(into snapshot: inout Snapshot, info: EngineInfo) {
        let nodeID = info.Swarm?.NodeID ?? ""
        if info.Swarm?.ControlAvailable == true, !nodeID.isEmpty {
            do throws(EngineError) {
                let services = try client.get([EngineService].self, "/services?status=true")
                let filter = "{\"node\":[\"\(nodeID)\"]}".addingPercentEncodingForQuery()
                let tasks = try client.get([EngineTask].self, "/tasks?filters=\(filter)")
                let names = Dictionary(snapshot.containers.compactMap { c in c.id.map { ($0, c.name ?? "") } },
                                       uniquingKeysWith: { first, _ in first })
                let mappedTasks = SwarmMapper.tasks(tasks, services: services, containerNames: names)
                snapshot.tasks = mappedTasks
                snapshot.services = SwarmMapper.services(services, tasks: mappedTasks, nodeScope: true)
                return
            } catch {
                logger.warn("swarm services unavailable; deriving them from container labels", ["error": error.message])
            }
        }
        let derived = SwarmMapper.derived(from: snapshot.containers)
        snapshot.services = derived.services
        snapshot.tasks = derived.tasks
        snapshot.swarm?.scope = "node"
    }
}

extension String {
    /// Percent-encodes everything but unreserved characters (for a query value).
    func addingPercentEncodingForQuery() -> String {
        var out = ""
        for byte in utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
                 UInt8(ascii: "~"):
                out.append(Character(UnicodeScalar(byte)))
            default:
                let hex = Array("0123456789ABCDEF")
                out += "%" + String(hex[Int(byte >> 4)]) + String(hex[Int(byte & 15)])
            }
        }
        return out
    }
}
