#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The body of `POST /api/agents/host/report` (agent-protocol section 2.1), exactly as a Pulse 5 agent sends it.
///
/// Every field is optional on decode so that a report from any agent version is accepted; the hub validates what
/// it needs (`host.hostname`) and answers `400 invalid_report` itself. Unknown keys are ignored. On encode, absent
/// values are omitted, as Go's `omitempty` does.
public struct HostReport: Codable, Sendable, Equatable {
    public var agent: Agent?
    public var host: Host?
    public var metrics: Metrics?
    public var disks: [Disk]?
    public var diskIO: [DiskIO]?
    public var network: [NetworkInterface]?
    public var sensors: Sensors?
    public var raid: [RAIDArray]?
    /// Ceph status as collected by the agent (agent-protocol 3.5); carried through untouched.
    public var ceph: JSONValue?
    public var tags: [String]?
    public var timestamp: Date?
    /// A monotonic counter from the agent's spool; newer reports carry larger values.
    public var sequenceId: String?

    public init(agent: Agent? = nil, host: Host? = nil, metrics: Metrics? = nil, disks: [Disk]? = nil,
                diskIO: [DiskIO]? = nil, network: [NetworkInterface]? = nil, sensors: Sensors? = nil,
                raid: [RAIDArray]? = nil, ceph: JSONValue? = nil, tags: [String]? = nil, timestamp: Date? = nil,
                sequenceId: String? = nil) {
        self.agent = agent
        self.host = host
        self.metrics = metrics
        self.disks = disks
        self.diskIO = diskIO
        self.network = network
        self.sensors = sensors
        self.raid = raid
        self.ceph = ceph
        self.tags = tags
        self.timestamp = timestamp
        self.sequenceId = sequenceId
    }

    /// The reporting agent.
    public struct Agent: Codable, Sendable, Equatable {
        public var id: String?
        public var version: String?
        /// `unified`, or `host` / `docker` / empty for legacy agents.
        public var type: String?
        public var intervalSeconds: Int?
        public var hostname: String?
        public var updatedFrom: String?
        public var commandsEnabled: Bool?

        public init(id: String? = nil, version: String? = nil, type: String? = nil, intervalSeconds: Int? = nil,
                    hostname: String? = nil, updatedFrom: String? = nil, commandsEnabled: Bool? = nil) {
            self.id = id
            self.version = version
            self.type = type
            self.intervalSeconds = intervalSeconds
            self.hostname = hostname
            self.updatedFrom = updatedFrom
            self.commandsEnabled = commandsEnabled
        }
    }

    /// Facts about the machine.
    public struct Host: Codable, Sendable, Equatable {
        public var id: String?
        public var hostname: String?
        public var displayName: String?
        public var machineId: String?
        public var platform: String?
        public var osName: String?
        public var osVersion: String?
        public var kernelVersion: String?
        public var architecture: String?
        public var cpuModel: String?
        public var cpuCount: Int?
        public var uptimeSeconds: Int64?
        /// 1, 5 and 15 minute load averages.
        public var loadAverage: [Double]?
        public var reportIp: String?

        public init(id: String? = nil, hostname: String? = nil, displayName: String? = nil, machineId: String? = nil,
                    platform: String? = nil, osName: String? = nil, osVersion: String? = nil,
                    kernelVersion: String? = nil, architecture: String? = nil, cpuModel: String? = nil,
                    cpuCount: Int? = nil, uptimeSeconds: Int64? = nil, loadAverage: [Double]? = nil,
                    reportIp: String? = nil) {
            self.id = id
            self.hostname = hostname
            self.displayName = displayName
            self.machineId = machineId
            self.platform = platform
            self.osName = osName
            self.osVersion = osVersion
            self.kernelVersion = kernelVersion
            self.architecture = architecture
            self.cpuModel = cpuModel
            self.cpuCount = cpuCount
            self.uptimeSeconds = uptimeSeconds
            self.loadAverage = loadAverage
            self.reportIp = reportIp
        }
    }

    /// Whole-host CPU and memory.
    public struct Metrics: Codable, Sendable, Equatable {
        /// 0–100, whole host.
        public var cpuUsagePercent: Double?
        public var memory: Memory?

        public init(cpuUsagePercent: Double? = nil, memory: Memory? = nil) {
            self.cpuUsagePercent = cpuUsagePercent
            self.memory = memory
        }
    }

    /// Memory and swap, in bytes; `usage` is a percentage.
    public struct Memory: Codable, Sendable, Equatable {
        public var totalBytes: Int64?
        public var usedBytes: Int64?
        public var freeBytes: Int64?
        public var usage: Double?
        public var swapTotalBytes: Int64?
        public var swapUsedBytes: Int64?

        public init(totalBytes: Int64? = nil, usedBytes: Int64? = nil, freeBytes: Int64? = nil, usage: Double? = nil,
                    swapTotalBytes: Int64? = nil, swapUsedBytes: Int64? = nil) {
            self.totalBytes = totalBytes
            self.usedBytes = usedBytes
            self.freeBytes = freeBytes
            self.usage = usage
            self.swapTotalBytes = swapTotalBytes
            self.swapUsedBytes = swapUsedBytes
        }
    }

    /// One mounted filesystem; `filesystem` and `type` both carry the filesystem type.
    public struct Disk: Codable, Sendable, Equatable {
        public var device: String?
        public var mountpoint: String?
        public var filesystem: String?
        public var type: String?
        public var totalBytes: Int64?
        public var usedBytes: Int64?
        public var freeBytes: Int64?
        public var usage: Double?

        public init(device: String? = nil, mountpoint: String? = nil, filesystem: String? = nil, type: String? = nil,
                    totalBytes: Int64? = nil, usedBytes: Int64? = nil, freeBytes: Int64? = nil, usage: Double? = nil) {
            self.device = device
            self.mountpoint = mountpoint
            self.filesystem = filesystem
            self.type = type
            self.totalBytes = totalBytes
            self.usedBytes = usedBytes
            self.freeBytes = freeBytes
            self.usage = usage
        }
    }

    /// Cumulative block-device counters since boot; the hub computes rates.
    public struct DiskIO: Codable, Sendable, Equatable {
        public var device: String?
        public var readBytes: UInt64?
        public var writeBytes: UInt64?
        public var readOps: UInt64?
        public var writeOps: UInt64?
        public var readTimeMs: UInt64?
        public var writeTimeMs: UInt64?
        public var ioTimeMs: UInt64?

        public init(device: String? = nil, readBytes: UInt64? = nil, writeBytes: UInt64? = nil,
                    readOps: UInt64? = nil, writeOps: UInt64? = nil, readTimeMs: UInt64? = nil,
                    writeTimeMs: UInt64? = nil, ioTimeMs: UInt64? = nil) {
            self.device = device
            self.readBytes = readBytes
            self.writeBytes = writeBytes
            self.readOps = readOps
            self.writeOps = writeOps
            self.readTimeMs = readTimeMs
            self.writeTimeMs = writeTimeMs
            self.ioTimeMs = ioTimeMs
        }
    }

    /// A network interface with CIDR addresses and cumulative byte counters.
    public struct NetworkInterface: Codable, Sendable, Equatable {
        public var name: String?
        public var mac: String?
        public var addresses: [String]?
        public var rxBytes: UInt64?
        public var txBytes: UInt64?
        public var speedMbps: Int64?

        public init(name: String? = nil, mac: String? = nil, addresses: [String]? = nil, rxBytes: UInt64? = nil,
                    txBytes: UInt64? = nil, speedMbps: Int64? = nil) {
            self.name = name
            self.mac = mac
            self.addresses = addresses
            self.rxBytes = rxBytes
            self.txBytes = txBytes
            self.speedMbps = speedMbps
        }
    }

    /// Temperatures (°C), fan speeds (RPM), power (W) and SMART disks.
    public struct Sensors: Codable, Sendable, Equatable {
        public var temperatureCelsius: [String: Double]?
        public var fanRpm: [String: Double]?
        public var powerWatts: [String: Double]?
        public var additional: [String: Double]?
        public var smart: [SMARTDisk]?
        /// Why no temperature could be read, when none was (an addition to the Pulse 5 format): for example
        /// `no-sysfs` (a container without /sys), `vm-no-hwmon`, `no-hwmon`, `no-known-chip`. Absent when temperatures were found.
        public var temperatureUnavailableReason: String?

        public init(temperatureCelsius: [String: Double]? = nil, fanRpm: [String: Double]? = nil,
                    powerWatts: [String: Double]? = nil, additional: [String: Double]? = nil,
                    smart: [SMARTDisk]? = nil, temperatureUnavailableReason: String? = nil) {
            self.temperatureCelsius = temperatureCelsius
            self.fanRpm = fanRpm
            self.powerWatts = powerWatts
            self.additional = additional
            self.smart = smart
            self.temperatureUnavailableReason = temperatureUnavailableReason
        }
    }

    /// One disk as `smartctl` saw it.
    public struct SMARTDisk: Codable, Sendable, Equatable {
        public var device: String?
        public var model: String?
        public var serial: String?
        public var wwn: String?
        /// `sata`, `sas` or `nvme`.
        public var type: String?
        /// Always present on the wire, 0 when unknown.
        public var temperature: Int?
        /// `PASSED` or `FAILED`.
        public var health: String?
        public var standby: Bool?
        /// Normalised SMART attributes (newer agents), carried through untouched.
        public var attributes: JSONValue?

        public init(device: String? = nil, model: String? = nil, serial: String? = nil, wwn: String? = nil,
                    type: String? = nil, temperature: Int? = nil, health: String? = nil, standby: Bool? = nil,
                    attributes: JSONValue? = nil) {
            self.device = device
            self.model = model
            self.serial = serial
            self.wwn = wwn
            self.type = type
            self.temperature = temperature
            self.health = health
            self.standby = standby
            self.attributes = attributes
        }
    }

    /// An mdadm array.
    public struct RAIDArray: Codable, Sendable, Equatable {
        public var device: String?
        public var name: String?
        public var level: String?
        public var state: String?
        public var totalDevices: Int?
        public var activeDevices: Int?
        public var workingDevices: Int?
        public var failedDevices: Int?
        public var spareDevices: Int?
        public var uuid: String?
        public var devices: [RAIDDevice]?
        public var rebuildPercent: Double?
        /// For example `33440K/sec`.
        public var rebuildSpeed: String?

        public init(device: String? = nil, name: String? = nil, level: String? = nil, state: String? = nil,
                    totalDevices: Int? = nil, activeDevices: Int? = nil, workingDevices: Int? = nil,
                    failedDevices: Int? = nil, spareDevices: Int? = nil, uuid: String? = nil,
                    devices: [RAIDDevice]? = nil, rebuildPercent: Double? = nil, rebuildSpeed: String? = nil) {
            self.device = device
            self.name = name
            self.level = level
            self.state = state
            self.totalDevices = totalDevices
            self.activeDevices = activeDevices
            self.workingDevices = workingDevices
            self.failedDevices = failedDevices
            self.spareDevices = spareDevices
            self.uuid = uuid
            self.devices = devices
            self.rebuildPercent = rebuildPercent
            self.rebuildSpeed = rebuildSpeed
        }
    }

    /// A member of an mdadm array; `slot` is -1 for spare or faulty members.
    public struct RAIDDevice: Codable, Sendable, Equatable {
        public var device: String?
        public var state: String?
        public var slot: Int?

        public init(device: String? = nil, state: String? = nil, slot: Int? = nil) {
            self.device = device
            self.state = state
            self.slot = slot
        }
    }
}

/// The hub's answer to a host report.
public struct HostReportResponse: Codable, Sendable, Equatable {
    public var success: Bool
    public var hostId: String
    public var lastSeen: Date
    public var platform: String
    public var osName: String
    public var osVersion: String
    /// Present only when the hub holds a per-host override.
    public var config: Config?
    /// A fingerprint of the host's remote config (profile settings and overrides), additive: when it differs from
    /// the one the agent last applied, the agent fetches `/api/agents/host/{id}/config` at once.
    public var configVersion: String?

    /// Server-side settings pushed back to the agent.
    public struct Config: Codable, Sendable, Equatable {
        public var commandsEnabled: Bool?
        public init(commandsEnabled: Bool?) { self.commandsEnabled = commandsEnabled }
    }

    public init(success: Bool, hostId: String, lastSeen: Date, platform: String, osName: String, osVersion: String,
                config: Config? = nil, configVersion: String? = nil) {
        self.configVersion = configVersion
        self.success = success
        self.hostId = hostId
        self.lastSeen = lastSeen
        self.platform = platform
        self.osName = osName
        self.osVersion = osVersion
        self.config = config
    }
}
