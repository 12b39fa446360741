#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The body of `POST /api/agents/docker/report` (agent-protocol section 2.2), as a Pulse 5 agent sends it.
///
/// Every field is optional on decode so a report from any agent version is accepted; the hub checks what it
/// needs (`host.hostname`). On encode absent values are omitted; the agent always sets the fields the reference
/// always sends (`containers`, `agent.version`, `agent.intervalSeconds`, the container figures, `host.memory`).
/// Additions to the reference format: `containers[].networkIo` (cumulative rx/tx bytes).
public struct DockerReport: Codable, Sendable, Equatable {
    public var agent: Agent?
    public var host: Host?
    public var containers: [Container]?
    public var services: [Service]?
    public var tasks: [Task]?
    public var timestamp: Date?

    public init(agent: Agent? = nil, host: Host? = nil, containers: [Container]? = [], services: [Service]? = nil,
                tasks: [Task]? = nil, timestamp: Date? = nil) {
        self.agent = agent
        self.host = host
        self.containers = containers
        self.services = services
        self.tasks = tasks
        self.timestamp = timestamp
    }

    /// The reporting agent.
    public struct Agent: Codable, Sendable, Equatable {
        public var id: String?
        public var version: String?
        public var type: String?
        public var intervalSeconds: Int?

        public init(id: String? = nil, version: String? = nil, type: String? = nil, intervalSeconds: Int? = nil) {
            self.id = id
            self.version = version
            self.type = type
            self.intervalSeconds = intervalSeconds
        }
    }

    /// The engine's host.
    public struct Host: Codable, Sendable, Equatable {
        public var hostname: String?
        /// The engine's `Name` (docker info).
        public var name: String?
        public var machineId: String?
        /// The engine's `OperatingSystem`.
        public var os: String?
        /// `docker` or `podman`.
        public var runtime: String?
        public var runtimeVersion: String?
        public var kernelVersion: String?
        public var architecture: String?
        /// The engine's `ServerVersion`.
        public var dockerVersion: String?
        public var totalCpu: Int?
        public var totalMemoryBytes: Int64?
        public var uptimeSeconds: Int64?
        public var swarm: Swarm?
        public var cpuUsagePercent: Double?
        public var loadAverage: [Double]?
        public var memory: HostReport.Memory?
        public var disks: [HostReport.Disk]?
        public var network: [HostReport.NetworkInterface]?

        public init(hostname: String? = nil, name: String? = nil, machineId: String? = nil, os: String? = nil,
                    runtime: String? = nil, runtimeVersion: String? = nil, kernelVersion: String? = nil,
                    architecture: String? = nil, dockerVersion: String? = nil, totalCpu: Int? = nil,
                    totalMemoryBytes: Int64? = nil, uptimeSeconds: Int64? = nil, swarm: Swarm? = nil,
                    cpuUsagePercent: Double? = nil, loadAverage: [Double]? = nil,
                    memory: HostReport.Memory? = HostReport.Memory(), disks: [HostReport.Disk]? = nil,
                    network: [HostReport.NetworkInterface]? = nil) {
            self.hostname = hostname
            self.name = name
            self.machineId = machineId
            self.os = os
            self.runtime = runtime
            self.runtimeVersion = runtimeVersion
            self.kernelVersion = kernelVersion
            self.architecture = architecture
            self.dockerVersion = dockerVersion
            self.totalCpu = totalCpu
            self.totalMemoryBytes = totalMemoryBytes
            self.uptimeSeconds = uptimeSeconds
            self.swarm = swarm
            self.cpuUsagePercent = cpuUsagePercent
            self.loadAverage = loadAverage
            self.memory = memory
            self.disks = disks
            self.network = network
        }
    }

    /// Swarm membership of the engine.
    public struct Swarm: Codable, Sendable, Equatable {
        public var nodeId: String?
        /// `manager` or `worker`.
        public var nodeRole: String?
        public var localState: String?
        public var controlAvailable: Bool?
        public var clusterId: String?
        public var clusterName: String?
        /// `node` or `cluster`.
        public var scope: String?
        public var error: String?

        public init(nodeId: String? = nil, nodeRole: String? = nil, localState: String? = nil,
                    controlAvailable: Bool? = nil, clusterId: String? = nil, clusterName: String? = nil,
                    scope: String? = nil, error: String? = nil) {
            self.nodeId = nodeId
            self.nodeRole = nodeRole
            self.localState = localState
            self.controlAvailable = controlAvailable
            self.clusterId = clusterId
            self.clusterName = clusterName
            self.scope = scope
            self.error = error
        }
    }

    /// One container.
    public struct Container: Codable, Sendable, Equatable {
        public var id: String?
        /// The first name, without the leading `/`.
        public var name: String?
        public var image: String?
        /// The local image id (`sha256:…`).
        public var imageDigest: String?
        public var createdAt: Date?
        public var state: String?
        public var status: String?
        /// `healthy`, `unhealthy`, `starting` or `none`.
        public var health: String?
        public var cpuPercent: Double?
        public var memoryUsageBytes: Int64?
        public var memoryLimitBytes: Int64?
        public var memoryPercent: Double?
        public var uptimeSeconds: Int64?
        public var restartCount: Int?
        public var exitCode: Int?
        public var startedAt: Date?
        public var finishedAt: Date?
        public var ports: [Port]?
        public var labels: [String: String]?
        /// `NAME=value`, secret-looking values masked as `***`.
        public var env: [String]?
        public var networks: [Network]?
        public var writableLayerBytes: Int64?
        public var rootFilesystemBytes: Int64?
        public var blockIo: BlockIO?
        /// Cumulative bytes over all of the container's interfaces (an addition to the reference format).
        public var networkIo: NetworkIO?
        public var mounts: [Mount]?
        public var podman: Podman?
        public var updateStatus: UpdateStatus?

        public init(id: String? = nil, name: String? = nil, image: String? = nil, imageDigest: String? = nil,
                    createdAt: Date? = nil, state: String? = nil, status: String? = nil, health: String? = nil,
                    cpuPercent: Double? = 0, memoryUsageBytes: Int64? = 0, memoryLimitBytes: Int64? = 0,
                    memoryPercent: Double? = 0, uptimeSeconds: Int64? = 0, restartCount: Int? = 0,
                    exitCode: Int? = 0, startedAt: Date? = nil, finishedAt: Date? = nil, ports: [Port]? = nil,
                    labels: [String: String]? = nil, env: [String]? = nil, networks: [Network]? = nil,
                    writableLayerBytes: Int64? = nil, rootFilesystemBytes: Int64? = nil, blockIo: BlockIO? = nil,
                    networkIo: NetworkIO? = nil, mounts: [Mount]? = nil, podman: Podman? = nil,
                    updateStatus: UpdateStatus? = nil) {
            self.id = id
            self.name = name
            self.image = image
            self.imageDigest = imageDigest
            self.createdAt = createdAt
            self.state = state
            self.status = status
            self.health = health
            self.cpuPercent = cpuPercent
            self.memoryUsageBytes = memoryUsageBytes
            self.memoryLimitBytes = memoryLimitBytes
            self.memoryPercent = memoryPercent
            self.uptimeSeconds = uptimeSeconds
            self.restartCount = restartCount
            self.exitCode = exitCode
            self.startedAt = startedAt
            self.finishedAt = finishedAt
            self.ports = ports
            self.labels = labels
            self.env = env
            self.networks = networks
            self.writableLayerBytes = writableLayerBytes
            self.rootFilesystemBytes = rootFilesystemBytes
            self.blockIo = blockIo
            self.networkIo = networkIo
            self.mounts = mounts
            self.podman = podman
            self.updateStatus = updateStatus
        }
    }

    public struct Port: Codable, Sendable, Equatable {
        public var privatePort: Int?
        public var publicPort: Int?
        public var `protocol`: String?
        public var ip: String?

        public init(privatePort: Int? = nil, publicPort: Int? = nil, protocol: String? = nil, ip: String? = nil) {
            self.privatePort = privatePort
            self.publicPort = publicPort
            self.protocol = `protocol`
            self.ip = ip
        }
    }

    public struct Network: Codable, Sendable, Equatable {
        public var name: String?
        public var ipv4: String?
        public var ipv6: String?

        public init(name: String? = nil, ipv4: String? = nil, ipv6: String? = nil) {
            self.name = name
            self.ipv4 = ipv4
            self.ipv6 = ipv6
        }
    }

    /// Cumulative block-device bytes.
    public struct BlockIO: Codable, Sendable, Equatable {
        public var readBytes: UInt64?
        public var writeBytes: UInt64?

        public init(readBytes: UInt64? = nil, writeBytes: UInt64? = nil) {
            self.readBytes = readBytes
            self.writeBytes = writeBytes
        }
    }

    /// Cumulative network bytes.
    public struct NetworkIO: Codable, Sendable, Equatable {
        public var rxBytes: UInt64?
        public var txBytes: UInt64?

        public init(rxBytes: UInt64? = nil, txBytes: UInt64? = nil) {
            self.rxBytes = rxBytes
            self.txBytes = txBytes
        }
    }

    public struct Mount: Codable, Sendable, Equatable {
        public var type: String?
        public var source: String?
        public var destination: String?
        public var mode: String?
        public var rw: Bool?
        public var propagation: String?
        public var name: String?
        public var driver: String?

        public init(type: String? = nil, source: String? = nil, destination: String? = nil, mode: String? = nil,
                    rw: Bool? = false, propagation: String? = nil, name: String? = nil, driver: String? = nil) {
            self.type = type
            self.source = source
            self.destination = destination
            self.mode = mode
            self.rw = rw
            self.propagation = propagation
            self.name = name
            self.driver = driver
        }
    }

    /// Podman pod and compose metadata, from labels.
    public struct Podman: Codable, Sendable, Equatable {
        public var podName: String?
        public var podId: String?
        public var infra: Bool?
        public var composeProject: String?
        public var composeService: String?
        public var composeWorkdir: String?
        public var composeConfigHash: String?
        public var autoUpdatePolicy: String?
        public var autoUpdateRestart: String?
        public var userNamespace: String?

        public init(podName: String? = nil, podId: String? = nil, infra: Bool? = nil, composeProject: String? = nil,
                    composeService: String? = nil, composeWorkdir: String? = nil, composeConfigHash: String? = nil,
                    autoUpdatePolicy: String? = nil, autoUpdateRestart: String? = nil, userNamespace: String? = nil) {
            self.podName = podName
            self.podId = podId
            self.infra = infra
            self.composeProject = composeProject
            self.composeService = composeService
            self.composeWorkdir = composeWorkdir
            self.composeConfigHash = composeConfigHash
            self.autoUpdatePolicy = autoUpdatePolicy
            self.autoUpdateRestart = autoUpdateRestart
            self.userNamespace = userNamespace
        }
    }

    /// A registry digest check.
    public struct UpdateStatus: Codable, Sendable, Equatable {
        public var updateAvailable: Bool?
        public var currentDigest: String?
        public var latestDigest: String?
        public var lastChecked: Date?
        public var error: String?

        public init(updateAvailable: Bool? = false, currentDigest: String? = nil, latestDigest: String? = nil,
                    lastChecked: Date? = nil, error: String? = nil) {
            self.updateAvailable = updateAvailable
            self.currentDigest = currentDigest
            self.latestDigest = latestDigest
            self.lastChecked = lastChecked
            self.error = error
        }
    }

    /// A swarm service.
    public struct Service: Codable, Sendable, Equatable {
        public var id: String?
        public var name: String?
        public var stack: String?
        public var image: String?
        /// `replicated`, `global`, `replicated-job` or `global-job`.
        public var mode: String?
        public var desiredTasks: Int?
        public var runningTasks: Int?
        public var completedTasks: Int?
        public var labels: [String: String]?
        public var endpointPorts: [EndpointPort]?
        public var updateStatus: ServiceUpdateStatus?
        public var createdAt: Date?
        public var updatedAt: Date?

        public init(id: String? = nil, name: String? = nil, stack: String? = nil, image: String? = nil,
                    mode: String? = nil, desiredTasks: Int? = nil, runningTasks: Int? = nil,
                    completedTasks: Int? = nil, labels: [String: String]? = nil,
                    endpointPorts: [EndpointPort]? = nil, updateStatus: ServiceUpdateStatus? = nil,
                    createdAt: Date? = nil, updatedAt: Date? = nil) {
            self.id = id
            self.name = name
            self.stack = stack
            self.image = image
            self.mode = mode
            self.desiredTasks = desiredTasks
            self.runningTasks = runningTasks
            self.completedTasks = completedTasks
            self.labels = labels
            self.endpointPorts = endpointPorts
            self.updateStatus = updateStatus
            self.createdAt = createdAt
            self.updatedAt = updatedAt
        }
    }

    public struct EndpointPort: Codable, Sendable, Equatable {
        public var name: String?
        public var `protocol`: String?
        public var targetPort: UInt32?
        public var publishedPort: UInt32?
        public var publishMode: String?

        public init(name: String? = nil, protocol: String? = nil, targetPort: UInt32? = nil,
                    publishedPort: UInt32? = nil, publishMode: String? = nil) {
            self.name = name
            self.protocol = `protocol`
            self.targetPort = targetPort
            self.publishedPort = publishedPort
            self.publishMode = publishMode
        }
    }

    public struct ServiceUpdateStatus: Codable, Sendable, Equatable {
        public var state: String?
        public var message: String?
        public var completedAt: Date?

        public init(state: String? = nil, message: String? = nil, completedAt: Date? = nil) {
            self.state = state
            self.message = message
            self.completedAt = completedAt
        }
    }

    /// A swarm task.
    public struct Task: Codable, Sendable, Equatable {
        public var id: String?
        public var serviceId: String?
        public var serviceName: String?
        public var slot: Int?
        public var nodeId: String?
        public var nodeName: String?
        public var desiredState: String?
        public var currentState: String?
        public var error: String?
        public var message: String?
        public var containerId: String?
        public var containerName: String?
        /// Always present on the wire (Go's zero time when unknown).
        public var createdAt: Date?
        public var updatedAt: Date?
        public var startedAt: Date?
        public var completedAt: Date?

        public init(id: String? = nil, serviceId: String? = nil, serviceName: String? = nil, slot: Int? = nil,
                    nodeId: String? = nil, nodeName: String? = nil, desiredState: String? = nil,
                    currentState: String? = nil, error: String? = nil, message: String? = nil,
                    containerId: String? = nil, containerName: String? = nil, createdAt: Date? = nil,
                    updatedAt: Date? = nil, startedAt: Date? = nil, completedAt: Date? = nil) {
            self.id = id
            self.serviceId = serviceId
            self.serviceName = serviceName
            self.slot = slot
            self.nodeId = nodeId
            self.nodeName = nodeName
            self.desiredState = desiredState
            self.currentState = currentState
            self.error = error
            self.message = message
            self.containerId = containerId
            self.containerName = containerName
            self.createdAt = createdAt
            self.updatedAt = updatedAt
            self.startedAt = startedAt
            self.completedAt = completedAt
        }
    }
}

/// The hub's answer to a docker report.
public struct DockerReportResponse: Codable, Sendable, Equatable {
    public var success: Bool?
    public var hostId: String?
    public var containers: Int?
    public var lastSeen: Date?
    /// At most one command per response.
    public var commands: [DockerCommand]?

    public init(success: Bool? = true, hostId: String? = nil, containers: Int? = nil, lastSeen: Date? = nil,
                commands: [DockerCommand]? = nil) {
        self.success = success
        self.hostId = hostId
        self.containers = containers
        self.lastSeen = lastSeen
        self.commands = commands
    }
}

/// A command the hub queued for a docker agent: `stop`, `update_container` or `check_updates`.
public struct DockerCommand: Codable, Sendable, Equatable {
    public static let stop = "stop"
    public static let updateContainer = "update_container"
    public static let checkUpdates = "check_updates"

    public var id: String
    public var type: String
    /// `update_container`: `{"containerId","containerName"}`.
    public var payload: [String: JSONValue]?

    public init(id: String, type: String, payload: [String: JSONValue]? = nil) {
        self.id = id
        self.type = type
        self.payload = payload
    }
}

/// `POST /api/agents/docker/commands/{id}/ack`.
public struct DockerCommandAck: Codable, Sendable, Equatable {
    /// The agent id.
    public var hostId: String?
    /// `acknowledged`, `in_progress`, `completed` or `failed` (or an alias).
    public var status: String?
    public var message: String?

    public init(hostId: String? = nil, status: String? = nil, message: String? = nil) {
        self.hostId = hostId
        self.status = status
        self.message = message
    }

    public static let acknowledged = "acknowledged"
    public static let inProgress = "in_progress"
    public static let completed = "completed"
    public static let failed = "failed"

    /// The canonical status for a status or one of its aliases (`ack`, `progress`, `success`, `complete`,
    /// `fail`, `error`; empty means acknowledged); `nil` for anything else.
    public static func canonicalStatus(_ raw: String?) -> String? {
        switch (raw ?? "").trimmingWhitespace().lowercased() {
        case "", "ack", "acknowledged": return acknowledged
        case "in_progress", "progress": return inProgress
        case "success", "completed", "complete": return completed
        case "fail", "failed", "error": return failed
        default: return nil
        }
    }
}
