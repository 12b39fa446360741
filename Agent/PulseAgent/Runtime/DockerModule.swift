#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif
import PulseCommon

/// The docker module: finds the engine (retrying in the background with 5 s doubling to 5 min), then every
/// interval collects a docker report, sends it (replaying up to 60 undelivered reports oldest first before the
/// live one) and runs the command the hub answers with (agent-protocol 2.2, 3.6). Runs on its own thread.
public final class DockerModule {
    /// What the module needs from the agent.
    public struct Setup: Sendable {
        public var settings: DockerSettings
        public var identity: AgentIdentity
        public var interval: @Sendable () -> Duration
        /// Builds the collector of the host's own figures (uptime, load, CPU, memory, filesystems, network).
        public var makeHostBuilder: @Sendable () -> HostReportBuilder?
        /// How long an updated container must stay up before the update counts (5 s).
        public var stabilityWait: Duration = .seconds(5)
        /// How long a successful update keeps the old container (5 min).
        public var backupRetention: Duration = .seconds(300)

        public init(settings: DockerSettings, identity: AgentIdentity, interval: @escaping @Sendable () -> Duration,
                    makeHostBuilder: @escaping @Sendable () -> HostReportBuilder?) {
            self.settings = settings
            self.identity = identity
            self.interval = interval
            self.makeHostBuilder = makeHostBuilder
        }
    }

    static let bufferLimit = 60
    static let maxBackoff = Duration.seconds(300)

    let setup: Setup
    let sender: ModuleReportSender?
    let stop: StopSignal
    let logger: Logger
    let metrics: AgentMetrics?
    private var buffer: [DockerReport] = []
    private var hostBuilder: HostReportBuilder?
    private var runtimeVersion: String?
    private var extraCollection = false
    private var updater: ContainerUpdater?

    public init(setup: Setup, sender: ModuleReportSender?, stop: StopSignal, logger: Logger,
                metrics: AgentMetrics? = nil) {
        self.setup = setup
        self.sender = sender
        self.stop = stop
        self.logger = logger
        self.metrics = metrics
    }

    /// Runs until stopped, told to stop by the hub, or removed by the hub.
    public func run() {
        var backoff = Duration.seconds(5)
        var lastProblem = ""
        while !stop.isRequested {
            do throws(EngineError) {
                let collector = try connect()
                backoff = .seconds(5)
                lastProblem = ""
                if runCycles(collector) == .finished { return }
            } catch {
                if error.message != lastProblem {
                    logger.warn("container engine unavailable; retrying in the background",
                                ["error": error.message, "retryIn": "\(backoff.components.seconds)s"])
                    lastProblem = error.message
                }
                if stop.wait(for: backoff) { break }
                backoff = min(backoff * 2, Self.maxBackoff)
            }
        }
        logger.debug("docker module stopped")
    }

    /// Tries the endpoint candidates in order; the first that answers `/_ping` and `/info` wins.
    func connect() throws(EngineError) -> DockerCollector {
        let (candidates, problems) = DockerEndpoint.candidates(preference: setup.settings.runtime,
                                                               environment: setup.settings.environment, uid: getuid())
        for problem in problems { logger.warn(problem) }
        var failures: [String] = []
        for endpoint in candidates {
            if case .unix(let path) = endpoint.transport {
                switch DockerEndpoint.probeUnixSocket(path) {
                case ENOENT?, ENOTDIR?: continue
                case EACCES?, EPERM?:
                    failures.append(DockerEndpoint.permissionHint(path: path, uid: getuid()))
                    continue
                default: break
                }
            }
            let client = EngineClient(endpoint: endpoint, timeout: setup.settings.containerTimeout,
                                      apiVersion: setup.settings.apiVersion)
            do throws(EngineError) {
                let ping = try client.ping()
                var options = DockerCollector.Options()
                options.collectDiskMetrics = setup.settings.collectDiskMetrics
                options.containerTimeout = setup.settings.containerTimeout
                let version = try? client.get(EngineVersion.self, "/version")
                let componentsNamePodman = version?.Components?.contains {
                    ($0.Name ?? "").lowercased().contains("podman")
                } ?? false
                var podman = ping.podman || endpoint.namesPodman || componentsNamePodman
                let collector = DockerCollector(client: client, podman: podman, options: options, logger: logger)
                let info = try collector.refreshInfo()
                podman = podman || Self.infoNamesPodman(info)
                let final = podman == collector.podman ? collector
                    : DockerCollector(client: client, podman: podman, options: options, logger: logger)
                runtimeVersion = version?.Version
                logger.info("connected to the container engine",
                            ["endpoint": endpoint.description, "source": endpoint.source,
                             "runtime": podman ? "podman" : "docker", "version": info.ServerVersion ?? "",
                             "api": client.versionPrefix.isEmpty ? "default" : String(client.versionPrefix.dropFirst(2))])
                return final
            } catch {
                failures.append(error.message)
            }
        }
        if failures.isEmpty {
            throw EngineError(status: nil, message: "no Docker or Podman socket found (tried "
                              + candidates.map(\.description).joined(separator: ", ")
                              + "); set DOCKER_HOST or PODMAN_HOST")
        }
        throw EngineError(status: nil, message: failures.joined(separator: "; "))
    }

    /// Podman named in `InitBinary`, `ServerVersion`, `DriverStatus` or `SecurityOptions`.
    static func infoNamesPodman(_ info: EngineInfo) -> Bool {
        let texts = [info.InitBinary ?? "", info.ServerVersion ?? ""] + (info.SecurityOptions ?? [])
            + (info.DriverStatus ?? []).flatMap { $0 }
        return texts.contains { $0.lowercased().contains("podman") }
    }

    enum CycleEnd { case engineLost, finished }

    /// Reports every interval until the engine is lost or the module must end.
    func runCycles(_ collector: DockerCollector) -> CycleEnd {
        if hostBuilder == nil { hostBuilder = setup.makeHostBuilder() }
        var scheduled = ContinuousClock.now
        while !stop.isRequested {
            let report: DockerReport
            do throws(EngineError) {
                report = try collect(collector, now: Date())
            } catch {
                logger.warn("docker collection failed; reconnecting", ["error": error.message])
                return .engineLost
            }
            metrics?.reportCollected()
            switch deliver(report) {
            case .delivered(let response):
                for command in response?.commands?.prefix(1) ?? [] {
                    if handle(command, collector: collector) == .stopModule { return .finished }
                }
            case .failed: break
            case .removed: return .finished
            }
            updater?.removeDueBackups(client: collector.client)
            // The next tick, or an extra collection 1 s after check_updates.
            let interval = setup.interval()
            var next = scheduled.advanced(by: interval)
            if next < ContinuousClock.now { next = ContinuousClock.now.advanced(by: interval) }
            if extraCollection {
                extraCollection = false
                if stop.wait(for: .seconds(1)) { break }
                continue
            }
            if stop.wait(until: next) { break }
            scheduled = next
        }
        return .finished
    }

    /// One report: the engine snapshot (two samples 2 s apart when `twice`, so CPU % is meaningful for `--once`)
    /// plus the host's figures.
    func collect(_ collector: DockerCollector, now: Date, twice: Bool = false) throws(EngineError) -> DockerReport {
        if hostBuilder == nil { hostBuilder = setup.makeHostBuilder() }
        var snapshot = try collector.collect(now: now)
        var time = now
        if twice {
            _ = stop.wait(for: .seconds(2))
            time = Date()
            snapshot = try collector.collect(now: time)
        }
        for (name, problem) in snapshot.degraded.sorted(by: { $0.key < $1.key }) {
            logger.warn("container reported without full details", ["container": name, "error": problem])
        }
        let host = hostBuilder?.build(now: time)
        return DockerReportAssembler.report(snapshot: snapshot, info: collector.info, runtimeVersion: runtimeVersion,
                                            podman: collector.podman, identity: setup.identity,
                                            intervalSeconds: Int(setup.interval().components.seconds), host: host,
                                            now: time)
    }

    enum Delivery {
        case delivered(DockerReportResponse?)
        case failed
        /// The hub removed this docker host: stop reporting until an operator allows re-enrolment.
        case removed
    }

    /// Replays buffered reports oldest first, then the live one; a failure buffers the live report (bounded,
    /// drop-oldest). A refused report (400/413/422) is dropped, never retried.
    func deliver(_ report: DockerReport) -> Delivery {
        guard let sender else { return .failed }
        while let oldest = buffer.first {
            do throws(DeliveryFailure) {
                _ = try sender.post("/api/agents/docker/report", oldest)
                buffer.removeFirst()
            } catch {
                if Self.isRemoval(error) { return removed(error) }
                if error.rejectsReport { buffer.removeFirst(); continue }
                buffer.append(report)
                trimBuffer()
                return .failed
            }
        }
        do throws(DeliveryFailure) {
            let body = try sender.post("/api/agents/docker/report", report)
            metrics?.moduleDelivered()
            return .delivered(try? WireJSON.decoder().decode(DockerReportResponse.self, from: Data(body)))
        } catch {
            if Self.isRemoval(error) { return removed(error) }
            var fields = ["error": error.message]
            if let status = error.status { fields["status"] = String(status) }
            if error.retryable {
                buffer.append(report)
                trimBuffer()
                fields["buffered"] = String(buffer.count)
                logger.warn("docker report not delivered; kept for the next cycle", fields)
            } else {
                fields["hint"] = error.status == 403 ? "the token needs the docker:report scope"
                    : HostModule.hint(forStatus: error.status)
                logger.warn("docker report rejected by the hub", fields)
            }
            return .failed
        }
    }

    private func trimBuffer() {
        if buffer.count > Self.bufferLimit { buffer.removeFirst(buffer.count - Self.bufferLimit) }
    }

    static func isRemoval(_ failure: DeliveryFailure) -> Bool {
        failure.status == 400 && failure.message.contains("was removed")
    }

    private func removed(_ failure: DeliveryFailure) -> Delivery {
        logger.error("the hub removed this docker host; the docker module stops until an administrator allows "
                     + "re-enrolment and the agent restarts", ["error": failure.message])
        buffer.removeAll()
        return .removed
    }

    // MARK: Commands

    enum CommandOutcome { case handled, stopModule }

    func handle(_ command: DockerCommand, collector: DockerCollector) -> CommandOutcome {
        logger.info("command from the hub", ["id": command.id, "type": command.type])
        switch command.type {
        case DockerCommand.stop:
            ack(command, DockerCommandAck.completed, "Agent shutting down")
            logger.warn("the hub asked this agent to stop reporting containers; the docker module stops until the "
                        + "agent restarts (remove --enable-docker from its service to make it permanent)")
            return .stopModule
        case DockerCommand.checkUpdates:
            ack(command, DockerCommandAck.completed, "Update check scheduled")
            extraCollection = true
        case DockerCommand.updateContainer:
            let id = command.payload?["containerId"]?.stringValue ?? ""
            let name = command.payload?["containerName"]?.stringValue ?? ""
            guard !id.isEmpty || !name.isEmpty else {
                ack(command, DockerCommandAck.failed, "update_container needs containerId or containerName")
                return .handled
            }
            if updater == nil {
                updater = ContainerUpdater(stabilityWait: setup.stabilityWait, backupRetention: setup.backupRetention,
                                           logger: logger, stop: stop)
            }
            ack(command, DockerCommandAck.acknowledged, "Updating container \(name.isEmpty ? id : name)")
            let result = updater!.update(reference: id.isEmpty ? name : id, client: collector.client) { message in
                self.ack(command, DockerCommandAck.inProgress, message)
            }
            switch result {
            case .success(let message): ack(command, DockerCommandAck.completed, message)
            case .failure(let error): ack(command, DockerCommandAck.failed, error.message)
            }
            extraCollection = true
        default:
            ack(command, DockerCommandAck.failed, "unknown command type \(command.type)")
        }
        return .handled
    }

    func ack(_ command: DockerCommand, _ status: String, _ message: String) {
        guard let sender else { return }
        let path = "/api/agents/docker/commands/\(command.id.addingPercentEncodingForQuery())/ack"
        do throws(DeliveryFailure) {
            _ = try sender.post(path, DockerCommandAck(hostId: setup.identity.agentID, status: status, message: message))
        } catch {
            logger.warn("command ack not delivered", ["id": command.id, "status": status, "error": error.message])
        }
    }
}
