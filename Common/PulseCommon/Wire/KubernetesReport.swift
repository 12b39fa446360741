#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The body of `POST /api/agents/kubernetes/report` (agent-protocol section 2.3).
///
/// Every field is optional on decode; the hub derives the cluster id itself when `cluster.id` is missing.
public struct KubernetesReport: Codable, Sendable, Equatable {
    public var agent: DockerReport.Agent?
    public var cluster: Cluster?
    public var nodes: [Node]?
    public var pods: [Pod]?
    public var deployments: [Deployment]?
    public var timestamp: Date?

    public init(agent: DockerReport.Agent? = nil, cluster: Cluster? = nil, nodes: [Node]? = nil, pods: [Pod]? = nil,
                deployments: [Deployment]? = nil, timestamp: Date? = nil) {
        self.agent = agent
        self.cluster = cluster
        self.nodes = nodes
        self.pods = pods
        self.deployments = deployments
        self.timestamp = timestamp
    }

    public struct Cluster: Codable, Sendable, Equatable {
        /// SHA-256 hex (agent-protocol 1.2; see the agent's README for the in-cluster change).
        public var id: String?
        public var name: String?
        public var server: String?
        public var context: String?
        /// `/version` `gitVersion`.
        public var version: String?
        public var provider: String?
        public var namespace: String?

        public init(id: String? = nil, name: String? = nil, server: String? = nil, context: String? = nil,
                    version: String? = nil, provider: String? = nil, namespace: String? = nil) {
            self.id = id
            self.name = name
            self.server = server
            self.context = context
            self.version = version
            self.provider = provider
            self.namespace = namespace
        }
    }

    /// CPU cores (milli / 1000, truncated), memory bytes and pod slots.
    public struct Resources: Codable, Sendable, Equatable {
        public var cpuCores: Int64?
        public var memoryBytes: Int64?
        public var pods: Int64?

        public init(cpuCores: Int64? = nil, memoryBytes: Int64? = nil, pods: Int64? = nil) {
            self.cpuCores = cpuCores
            self.memoryBytes = memoryBytes
            self.pods = pods
        }
    }

    public struct Node: Codable, Sendable, Equatable {
        public var uid: String?
        public var name: String?
        public var ready: Bool?
        public var unschedulable: Bool?
        public var kubeletVersion: String?
        public var containerRuntimeVersion: String?
        public var osImage: String?
        public var kernelVersion: String?
        public var architecture: String?
        public var capacity: Resources?
        public var allocatable: Resources?
        public var roles: [String]?

        public init(uid: String? = nil, name: String? = nil, ready: Bool? = false, unschedulable: Bool? = nil,
                    kubeletVersion: String? = nil, containerRuntimeVersion: String? = nil, osImage: String? = nil,
                    kernelVersion: String? = nil, architecture: String? = nil, capacity: Resources? = Resources(),
                    allocatable: Resources? = Resources(), roles: [String]? = nil) {
            self.uid = uid
            self.name = name
            self.ready = ready
            self.unschedulable = unschedulable
            self.kubeletVersion = kubeletVersion
            self.containerRuntimeVersion = containerRuntimeVersion
            self.osImage = osImage
            self.kernelVersion = kernelVersion
            self.architecture = architecture
            self.capacity = capacity
            self.allocatable = allocatable
            self.roles = roles
        }
    }

    public struct Pod: Codable, Sendable, Equatable {
        public var uid: String?
        public var name: String?
        public var namespace: String?
        public var nodeName: String?
        public var phase: String?
        public var reason: String?
        public var message: String?
        public var qosClass: String?
        public var createdAt: Date?
        public var startTime: Date?
        /// The sum over the pod's containers.
        public var restarts: Int?
        public var labels: [String: String]?
        public var ownerKind: String?
        public var ownerName: String?
        public var containers: [PodContainer]?

        public init(uid: String? = nil, name: String? = nil, namespace: String? = nil, nodeName: String? = nil,
                    phase: String? = nil, reason: String? = nil, message: String? = nil, qosClass: String? = nil,
                    createdAt: Date? = nil, startTime: Date? = nil, restarts: Int? = nil,
                    labels: [String: String]? = nil, ownerKind: String? = nil, ownerName: String? = nil,
                    containers: [PodContainer]? = nil) {
            self.uid = uid
            self.name = name
            self.namespace = namespace
            self.nodeName = nodeName
            self.phase = phase
            self.reason = reason
            self.message = message
            self.qosClass = qosClass
            self.createdAt = createdAt
            self.startTime = startTime
            self.restarts = restarts
            self.labels = labels
            self.ownerKind = ownerKind
            self.ownerName = ownerName
            self.containers = containers
        }
    }

    public struct PodContainer: Codable, Sendable, Equatable {
        public var name: String?
        public var image: String?
        public var ready: Bool?
        public var restartCount: Int32?
        /// `running`, `waiting`, `terminated` or `unknown`.
        public var state: String?
        public var reason: String?
        public var message: String?

        public init(name: String? = nil, image: String? = nil, ready: Bool? = false, restartCount: Int32? = nil,
                    state: String? = nil, reason: String? = nil, message: String? = nil) {
            self.name = name
            self.image = image
            self.ready = ready
            self.restartCount = restartCount
            self.state = state
            self.reason = reason
            self.message = message
        }
    }

    public struct Deployment: Codable, Sendable, Equatable {
        public var uid: String?
        public var name: String?
        public var namespace: String?
        public var desiredReplicas: Int32?
        public var updatedReplicas: Int32?
        public var readyReplicas: Int32?
        public var availableReplicas: Int32?
        public var labels: [String: String]?

        public init(uid: String? = nil, name: String? = nil, namespace: String? = nil, desiredReplicas: Int32? = nil,
                    updatedReplicas: Int32? = nil, readyReplicas: Int32? = nil, availableReplicas: Int32? = nil,
                    labels: [String: String]? = nil) {
            self.uid = uid
            self.name = name
            self.namespace = namespace
            self.desiredReplicas = desiredReplicas
            self.updatedReplicas = updatedReplicas
            self.readyReplicas = readyReplicas
            self.availableReplicas = availableReplicas
            self.labels = labels
        }
    }
}

/// The hub's answer to a Kubernetes report.
public struct KubernetesReportResponse: Codable, Sendable, Equatable {
    public var success: Bool?
    public var clusterId: String?
    public var nodes: Int?
    public var pods: Int?
    public var deployments: Int?
    public var lastSeen: Date?

    public init(success: Bool? = true, clusterId: String? = nil, nodes: Int? = nil, pods: Int? = nil,
                deployments: Int? = nil, lastSeen: Date? = nil) {
        self.success = success
        self.clusterId = clusterId
        self.nodes = nodes
        self.pods = pods
        self.deployments = deployments
        self.lastSeen = lastSeen
    }
}
