import Foundation
import PulseCommon

/// Kubernetes agent ingestion and cluster management (hub-api sections 1.3 and 3.3).
public struct KubernetesHandlers: Sendable {
    public typealias Registry = ManagedAgentRegistry<KubernetesReport>

    let registry: Registry
    let metrics: any MetricsStore
    let extractor: ContainerMetricsExtractor
    let audit: AuditLog

    static let clusterNotFound = APIError.notFound("cluster_not_found", "Kubernetes cluster not found")

    public func report(_ context: RequestContext) throws -> HTTPResponse {
        guard let token = context.token else {
            throw APIError.forbidden("token_required", "Agent reports need an API token with kubernetes:report, not a login session")
        }
        var report = try context.decode(KubernetesReport.self)
        let cluster = report.cluster
        let derived = [cluster?.server ?? "", cluster?.context ?? "", cluster?.name ?? ""].joined(separator: "|")
        let clusterID = cluster?.id?.trimmingWhitespace().nonEmpty ?? report.agent?.id?.trimmingWhitespace().nonEmpty
            ?? (derived == "||" ? nil : Crypto.sha256(Array(derived.utf8)).hexString)
        guard let clusterID, HostIdentity.sanitize(clusterID) != nil else {
            throw APIError.badRequest("invalid_report", "kubernetes report missing cluster id")
        }
        let timestamp = ManagedAgentTime.normalized(report.timestamp, now: context.now)
        report.timestamp = timestamp
        let name = cluster?.name?.trimmingWhitespace().nonEmpty ?? cluster?.context?.nonEmpty ?? clusterID
        let identity = ManagedIdentity(agentID: report.agent?.id?.trimmingWhitespace().nonEmpty ?? clusterID,
                                       hostname: String(name.prefix(255)), machineID: nil, explicitID: clusterID,
                                       tokenID: token.id, tokenName: token.name,
                                       intervalSeconds: report.agent?.intervalSeconds, timestamp: timestamp)
        let result = try actions.ingest(report, identity: identity, context: context)
        let agent = result.agent
        if agent.lastSeen == timestamp {
            do {
                try metrics.write(extractor.clusterSamples(clusterID: agent.id, report: agent.report))
            } catch {
                context.logger.error("metrics samples refused", ["clusterId": agent.id, "error": "\(error)"])
            }
        }
        return .json(KubernetesReportResponse(success: true, clusterId: agent.id, nodes: report.nodes?.count ?? 0,
                                              pods: report.pods?.count ?? 0, deployments: report.deployments?.count ?? 0,
                                              lastSeen: agent.lastSeen))
    }

    /// `DELETE /api/agents/kubernetes/clusters/{id}`: `?hide=true` hides; otherwise the cluster is removed and
    /// blocked for 24 h (unknown with `force=true`: success).
    public func deleteCluster(_ context: RequestContext) throws -> HTTPResponse {
        let id = try context.parameter("id")
        let request = context.request
        let force = request.queryValue("force") == "true" || request.queryValue("mode") == "force"
        guard let cluster = registry.agent(id: id) else {
            if force {
                return .json(object: ["success": .bool(true), "clusterId": .string(id), "message": .string("Cluster already removed")])
            }
            throw Self.clusterNotFound
        }
        if request.queryValue("hide") == "true" {
            try registry.update(id: id) { $0.hidden = true }
            return .json(object: ["success": .bool(true), "clusterId": .string(id), "message": .string("Cluster hidden")])
        }
        try registry.remove(id: id, block: true, now: context.now)
        audit.record("kubernetes_cluster_removed", user: context.principal?.displayName, ip: context.clientIP,
                     path: request.path, details: "cluster \(id) (\(cluster.hostname)); re-enrolment blocked for 24 h",
                     now: context.now)
        return .json(object: ["success": .bool(true), "clusterId": .string(id), "message": .string("Cluster removed")])
    }

    private var actions: ManagedAgentActions<KubernetesReport> {
        ManagedAgentActions(registry: registry, audit: audit, idKey: "clusterId", noun: "Cluster", auditNoun: "cluster",
                            auditPrefix: "kubernetes_cluster",
                            notFound: Self.clusterNotFound)
    }

    public func allowReenroll(_ context: RequestContext) throws -> HTTPResponse { try actions.allowReenroll(context) }
    public func unhide(_ context: RequestContext) throws -> HTTPResponse { try actions.unhide(context) }
    public func pendingUninstall(_ context: RequestContext) throws -> HTTPResponse { try actions.pendingUninstall(context) }
    public func displayName(_ context: RequestContext) throws -> HTTPResponse { try actions.displayName(context) }
}
