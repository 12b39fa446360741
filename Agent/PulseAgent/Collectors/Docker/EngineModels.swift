import PulseCommon

// The Docker Engine API objects the agent reads (podman's compatible API answers the same shapes). Every field is
// optional: an engine version that drops or adds a field still decodes, and a container whose document does not
// decode at all is reported from its list entry alone.

/// `GET /info`.
struct EngineInfo: Decodable, Sendable {
    var ID: String?
    var Name: String?
    var NCPU: Int?
    var MemTotal: Int64?
    var OperatingSystem: String?
    var OSType: String?
    var Architecture: String?
    var KernelVersion: String?
    var ServerVersion: String?
    var InitBinary: String?
    var DriverStatus: [[String]]?
    var SecurityOptions: [String]?
    var Swarm: EngineSwarmInfo?
}

struct EngineSwarmInfo: Decodable, Sendable {
    var NodeID: String?
    var LocalNodeState: String?
    var ControlAvailable: Bool?
    var Error: String?
    var Cluster: EngineSwarmCluster?
}

struct EngineSwarmCluster: Decodable, Sendable {
    struct Spec: Decodable, Sendable { var Name: String? }
    var ID: String?
    var Spec: Spec?
}

/// `GET /version`.
struct EngineVersion: Decodable, Sendable {
    struct Component: Decodable, Sendable { var Name: String?; var Version: String? }
    var Version: String?
    var ApiVersion: String?
    var Components: [Component]?
}

/// One entry of `GET /containers/json?all=1`.
struct EngineContainerSummary: Decodable, Sendable {
    struct Port: Decodable, Sendable {
        var IP: String?
        var PrivatePort: Int?
        var PublicPort: Int?
        var `Type`: String?
    }
    var Id: String?
    var Names: [String]?
    var Image: String?
    var ImageID: String?
    var Created: Int64?
    var State: String?
    var Status: String?
    var Ports: [Port]?
    var Labels: [String: String]?
}

/// `GET /containers/{id}/json`.
struct EngineContainerInspect: Decodable, Sendable {
    struct State: Decodable, Sendable {
        struct Health: Decodable, Sendable { var Status: String? }
        var Status: String?
        var Running: Bool?
        var ExitCode: Int?
        var StartedAt: String?
        var FinishedAt: String?
        var Health: Health?
    }
    struct Config: Decodable, Sendable {
        var Image: String?
        var Env: [String]?
        var Labels: [String: String]?
    }
    struct NetworkSettings: Decodable, Sendable {
        struct Endpoint: Decodable, Sendable {
            var IPAddress: String?
            var GlobalIPv6Address: String?
            var NetworkID: String?
        }
        var Networks: [String: Endpoint]?
    }
    struct Mount: Decodable, Sendable {
        var `Type`: String?
        var Name: String?
        var Source: String?
        var Destination: String?
        var Driver: String?
        var Mode: String?
        var RW: Bool?
        var Propagation: String?
    }
    var Id: String?
    var Name: String?
    var Image: String?
    var RestartCount: Int?
    var State: State?
    var Config: Config?
    var NetworkSettings: NetworkSettings?
    var Mounts: [Mount]?
    var SizeRw: Int64?
    var SizeRootFs: Int64?
}

/// `GET /containers/{id}/stats?stream=false&one-shot=true`.
struct EngineStats: Decodable, Sendable {
    struct CPU: Decodable, Sendable {
        struct Usage: Decodable, Sendable {
            var total_usage: UInt64?
            var percpu_usage: [UInt64]?
        }
        var cpu_usage: Usage?
        var system_cpu_usage: UInt64?
        var online_cpus: Int?
    }
    struct Memory: Decodable, Sendable {
        var usage: UInt64?
        var limit: UInt64?
        var stats: [String: UInt64]?
    }
    struct BlockIO: Decodable, Sendable {
        struct Entry: Decodable, Sendable {
            var op: String?
            var value: UInt64?
        }
        var io_service_bytes_recursive: [Entry]?
    }
    struct Network: Decodable, Sendable {
        var rx_bytes: UInt64?
        var tx_bytes: UInt64?
    }
    var read: String?
    var cpu_stats: CPU?
    var precpu_stats: CPU?
    var memory_stats: Memory?
    var blkio_stats: BlockIO?
    var networks: [String: Network]?
}

/// `GET /services?status=true`.
struct EngineService: Decodable, Sendable {
    struct Spec: Decodable, Sendable {
        struct TaskTemplate: Decodable, Sendable {
            struct ContainerSpec: Decodable, Sendable { var Image: String? }
            var ContainerSpec: ContainerSpec?
        }
        struct Mode: Decodable, Sendable {
            struct Replicated: Decodable, Sendable { var Replicas: Int? }
            struct Empty: Decodable, Sendable {}
            var Replicated: Replicated?
            var Global: Empty?
            var ReplicatedJob: Empty?
            var GlobalJob: Empty?
        }
        var Name: String?
        var Labels: [String: String]?
        var TaskTemplate: TaskTemplate?
        var Mode: Mode?
    }
    struct Endpoint: Decodable, Sendable {
        struct Port: Decodable, Sendable {
            var Name: String?
            var `Protocol`: String?
            var TargetPort: UInt32?
            var PublishedPort: UInt32?
            var PublishMode: String?
        }
        var Ports: [Port]?
    }
    struct UpdateStatus: Decodable, Sendable {
        var State: String?
        var Message: String?
        var CompletedAt: String?
    }
    struct ServiceStatus: Decodable, Sendable {
        var RunningTasks: Int?
        var DesiredTasks: Int?
        var CompletedTasks: Int?
    }
    var ID: String?
    var CreatedAt: String?
    var UpdatedAt: String?
    var Spec: Spec?
    var Endpoint: Endpoint?
    var UpdateStatus: UpdateStatus?
    var ServiceStatus: ServiceStatus?
}

/// `GET /tasks`.
struct EngineTask: Decodable, Sendable {
    struct Status: Decodable, Sendable {
        struct ContainerStatus: Decodable, Sendable { var ContainerID: String? }
        var Timestamp: String?
        var State: String?
        var Message: String?
        var Err: String?
        var ContainerStatus: ContainerStatus?
    }
    var ID: String?
    var ServiceID: String?
    var Slot: Int?
    var NodeID: String?
    var CreatedAt: String?
    var UpdatedAt: String?
    var DesiredState: String?
    var Status: Status?
}
