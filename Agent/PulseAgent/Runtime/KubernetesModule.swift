#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import PulseCommon

/// The Kubernetes module: resolves the API server (`--kubeconfig`, else in-cluster, else `$KUBECONFIG` or
/// `~/.kube/config`), retries in the background (5 s doubling to 5 min) until it answers, then every interval
/// replays undelivered reports oldest first and sends the live one (agent-protocol 3.7, 4). Own thread.
public final class KubernetesModule {
    static let bufferLimit = 60

    let settings: KubernetesSettings
    let identity: AgentIdentity
    let interval: @Sendable () -> Duration
    let sender: ModuleReportSender?
    let stop: StopSignal
    let logger: Logger
    let metrics: AgentMetrics?
    let fs: HostFS
    private var buffer: [KubernetesReport] = []

    public init(settings: KubernetesSettings, identity: AgentIdentity, interval: @escaping @Sendable () -> Duration,
                sender: ModuleReportSender?, stop: StopSignal, logger: Logger, metrics: AgentMetrics? = nil,
                fs: HostFS = HostFS()) {
        self.settings = settings
        self.identity = identity
        self.interval = interval
        self.sender = sender
        self.stop = stop
        self.logger = logger
        self.metrics = metrics
        self.fs = fs
    }

    /// The target, in the reference's order.
    func resolveTarget() throws(KubernetesError) -> KubernetesTarget {
        if let path = settings.kubeconfig { return try load(path) }
        if let target = Kubeconfig.inCluster(environment: settings.environment, fs: fs) { return target }
        let home = settings.environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? "/root"
        let fromVariable = settings.environment["KUBECONFIG"]?.split(separator: ":").first.map(String.init)
        let path = fromVariable ?? home + "/.kube/config"
        guard fs.exists(path) else {
            throw KubernetesError("no cluster configured: pass --kubeconfig, run in a pod with a service account, "
                                  + "or create \(path)")
        }
        return try load(path)
    }

    private func load(_ path: String) throws(KubernetesError) -> KubernetesTarget {
        let bytes: [UInt8]
        do {
            bytes = try HostFS.readBytes(path, limit: 8 << 20)
        } catch {
            throw KubernetesError("cannot read kubeconfig \(path): \(error)")
        }
        let directory = path.contains("/") ? String(path[..<path.lastIndex(of: "/")!]) : "."
        return try Kubeconfig.target(from: Kubeconfig.parse(bytes), context: settings.context,
                                     directory: directory.isEmpty ? "/" : directory)
    }

    /// A collector whose server answered.
    func connect() throws(KubernetesError) -> KubernetesCollector {
        let target = try resolveTarget()
        var options = KubernetesMapper.Options()
        options.namespaces = NamespaceFilter(include: settings.includeNamespaces, exclude: settings.excludeNamespaces)
        options.includeAllPods = settings.includeAllPods
        options.includeAllDeployments = settings.includeAllDeployments
        options.maxPods = settings.maxPods
        let collector = KubernetesCollector(client: KubernetesClient(target: target), identity: identity,
                                            options: options, intervalSeconds: Int(interval().components.seconds))
        try collector.connect()
        logger.info("connected to the Kubernetes API", ["server": target.server, "context": target.context,
                                                        "version": collector.version ?? "", "clusterId": target.clusterID])
        return collector
    }

    public func run() {
        var backoff = Duration.seconds(5)
        while !stop.isRequested {
            let collector: KubernetesCollector
            do throws(KubernetesError) {
                collector = try connect()
                backoff = .seconds(5)
            } catch {
                logger.warn("Kubernetes API unavailable; retrying in the background",
                            ["error": error.message, "retryIn": "\(backoff.components.seconds)s"])
                if stop.wait(for: backoff) { break }
                backoff = min(backoff * 2, .seconds(300))
                continue
            }
            var scheduled = ContinuousClock.now
            while !stop.isRequested {
                let report: KubernetesReport
                do throws(KubernetesError) {
                    report = try collector.collect(now: Date())
                } catch {
                    logger.warn("Kubernetes collection failed", ["error": error.message])
                    if error.status == nil { break }  // transport failure: reconnect with backoff
                    if stop.wait(for: interval()) { return }
                    continue
                }
                if deliver(report) == false, buffer.isEmpty, stop.isRequested { return }
                var next = scheduled.advanced(by: interval())
                if next < ContinuousClock.now { next = ContinuousClock.now.advanced(by: interval()) }
                if stop.wait(until: next) { return }
                scheduled = next
            }
        }
    }

    /// Replays buffered reports first (the reference's Kubernetes order), then the live one. Returns whether the
    /// live report was delivered.
    @discardableResult
    func deliver(_ report: KubernetesReport) -> Bool {
        guard let sender else { return false }
        while let oldest = buffer.first {
            do throws(DeliveryFailure) {
                _ = try sender.post("/api/agents/kubernetes/report", oldest)
                buffer.removeFirst()
            } catch {
                if error.rejectsReport { buffer.removeFirst(); continue }
                break
            }
        }
        do throws(DeliveryFailure) {
            _ = try sender.post("/api/agents/kubernetes/report", report)
            metrics?.moduleDelivered()
            return true
        } catch {
            var fields = ["error": error.message]
            if let status = error.status { fields["status"] = String(status) }
            if error.retryable {
                buffer.append(report)
                if buffer.count > Self.bufferLimit { buffer.removeFirst(buffer.count - Self.bufferLimit) }
                logger.warn("kubernetes report not delivered; kept for the next cycle", fields)
            } else {
                if error.status == 403 { fields["hint"] = "the token needs the kubernetes:report scope" }
                logger.warn("kubernetes report rejected by the hub", fields)
            }
            return false
        }
    }
}
