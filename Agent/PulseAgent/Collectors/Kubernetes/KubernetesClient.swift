#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import PulseCommon

/// GETs from the API server with the target's trust and credentials; lists are paged with `limit`/`continue`.
/// Not thread-safe: owned by the Kubernetes module's thread.
public final class KubernetesClient {
    /// Items per page.
    public static let pageSize = 500
    /// A list stops after this many pages (a server that never ends its `continue` chain).
    static let maxPages = 200
    static let maxResponseBytes = 64 << 20

    public let target: KubernetesTarget
    let timeout: Duration
    let pageSize: Int
    private let client = HTTPClient()

    public init(target: KubernetesTarget, timeout: Duration = .seconds(20), pageSize: Int = KubernetesClient.pageSize) {
        self.target = target
        self.timeout = timeout
        self.pageSize = max(1, pageSize)
    }

    func request(_ path: String) -> HTTPClientRequest {
        var headers = [("Accept", "application/json"), ("User-Agent", "pulse-kubernetes-agent/\(pulseAgentVersion)")]
        if let token = target.token { headers.append(("Authorization", "Bearer \(token)")) }
        var server = target.server
        while server.hasSuffix("/") { server.removeLast() }
        var request = HTTPClientRequest(url: server + path, headers: headers, timeout: timeout)
        request.maxResponseBytes = Self.maxResponseBytes
        request.insecureSkipVerify = target.insecureSkipVerify
        request.caFile = target.caFile
        request.caPEM = target.caPEM
        request.clientCertificateFile = target.clientCertificateFile
        request.clientCertificatePEM = target.clientCertificatePEM
        request.clientKeyFile = target.clientKeyFile
        request.clientKeyPEM = target.clientKeyPEM
        return request
    }

    /// GET a JSON document.
    public func get(_ path: String) throws(KubernetesError) -> JSONValue {
        let response: HTTPClientResponse
        do {
            response = try client.perform(request(path))
        } catch {
            var message = "\(target.server): \(error.message)"
            if [35, 58, 60, 77].contains(error.code) {
                message += "; check the cluster's certificate-authority(-data) or insecure-skip-tls-verify"
            }
            throw KubernetesError(message)
        }
        guard (200..<300).contains(response.status) else {
            struct Status: Decodable { var message: String?; var reason: String? }
            let status = try? JSONDecoder().decode(Status.self, from: Data(response.body))
            var message = status?.message ?? status?.reason ?? String(decoding: response.body.prefix(200), as: UTF8.self)
            switch response.status {
            case 401: message = "unauthorized (\(message)): check the token or client certificate"
            case 403: message = "forbidden (\(message)): the account needs get/list on nodes, pods and deployments"
            default: break
            }
            throw KubernetesError(status: response.status, "GET \(path.prefix(120)): HTTP \(response.status): \(message)")
        }
        do {
            return try JSONDecoder().decode(JSONValue.self, from: Data(response.body))
        } catch {
            throw KubernetesError("GET \(path.prefix(120)): the answer is not JSON")
        }
    }

    /// Every item of a list, following `metadata.continue` page by page.
    public func list(_ path: String, query: [(String, String)] = []) throws(KubernetesError) -> [JSONValue] {
        var items: [JSONValue] = []
        var token: String?
        for _ in 0..<Self.maxPages {
            var parameters = query + [("limit", String(pageSize))]
            if let token { parameters.append(("continue", token)) }
            let text = parameters.map { "\($0.0)=\($0.1.addingPercentEncodingForQuery())" }.joined(separator: "&")
            let page = try get(path + "?" + text)
            guard let pageItems = page["items"]?.arrayValue else {
                throw KubernetesError("GET \(path): the answer has no items list")
            }
            items += pageItems
            guard let next = page["metadata"]?["continue"]?.scalarText, !next.isEmpty else { return items }
            token = next
        }
        throw KubernetesError("GET \(path): more than \(Self.maxPages) pages")
    }
}

/// One Kubernetes report per call.
public final class KubernetesCollector {
    public let client: KubernetesClient
    let identity: AgentIdentity
    let options: KubernetesMapper.Options
    let intervalSeconds: Int
    /// `/version` `gitVersion`, read at connect.
    public var version: String?

    public init(client: KubernetesClient, identity: AgentIdentity, options: KubernetesMapper.Options,
                intervalSeconds: Int) {
        self.client = client
        self.identity = identity
        self.options = options
        self.intervalSeconds = intervalSeconds
    }

    /// Reads `/version` (also checks the server answers and the credentials work).
    public func connect() throws(KubernetesError) {
        version = try client.get("/version")["gitVersion"]?.scalarText
        _ = try client.get("/api/v1/nodes?limit=1")
    }

    public func collect(now: Date) throws(KubernetesError) -> KubernetesReport {
        let nodes = try client.list("/api/v1/nodes")
        let pods = try client.list("/api/v1/pods", query: [("fieldSelector", "status.phase!=Succeeded")])
        let deployments = try client.list("/apis/apps/v1/deployments")
        let body = KubernetesMapper.report(nodes: nodes, pods: pods, deployments: deployments, options: options)
        let target = client.target
        let cluster = KubernetesReport.Cluster(id: target.clusterID, name: target.context, server: target.server,
                                               context: target.context, version: version)
        return KubernetesReport(agent: DockerReport.Agent(id: identity.agentID, version: pulseAgentVersion,
                                                          type: "unified", intervalSeconds: max(1, intervalSeconds)),
                                cluster: cluster, nodes: body.nodes, pods: body.pods, deployments: body.deployments,
                                timestamp: now)
    }
}
