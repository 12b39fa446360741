import Foundation
import PulseCommon

/// `GET /api/state`: the full snapshot the dashboard renders (hub-api section 11.1). Times are unix ms.
public struct StateHandlers: Sendable {
    let registry: HostRegistry
    let tokens: TokenService
    let dockerHosts: DockerHandlers.Registry
    let dockerCommands: DockerCommandQueue
    let clusters: KubernetesHandlers.Registry

    public func state(_ context: RequestContext) throws -> HTTPResponse {
        let now = context.now
        let tokensByID = Dictionary(tokens.list().map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        var hosts: [JSONValue] = []
        var health: [String: JSONValue] = [:]
        for entry in registry.all() {
            let view = Self.hostView(entry, token: entry.tokenID.flatMap { tokensByID[$0] }, now: now)
            hosts.append(view)
            health["host-\(entry.id)"] = .bool(entry.status(now: now) == "online")
        }
        var docker: [JSONValue] = []
        for host in dockerHosts.all() {
            docker.append(Self.dockerHostView(host, token: host.tokenID.flatMap { tokensByID[$0] },
                                              command: dockerCommands.latest(hostID: host.id), now: now))
            health["docker-\(host.id)"] = .bool(host.status(now: now) == "online")
        }
        var kubernetes: [JSONValue] = []
        for cluster in clusters.all() {
            kubernetes.append(Self.clusterView(cluster, token: cluster.tokenID.flatMap { tokensByID[$0] }, now: now))
            health["kubernetes-\(cluster.id)"] = .bool(cluster.status(now: now) == "online")
        }
        let removedDocker = dockerHosts.removals(now: now).map { Self.removalView($0, nameKey: "hostname") }
        let removedClusters = clusters.removals(now: now).map { Self.removalView($0, nameKey: "name") }
        let empty = JSONValue.array([])
        let body: [String: JSONValue] = [
            "nodes": empty, "vms": empty, "containers": empty, "dockerHosts": .array(docker),
            "removedDockerHosts": .array(removedDocker), "kubernetesClusters": .array(kubernetes),
            "removedKubernetesClusters": .array(removedClusters), "hosts": .array(hosts),
            "storage": empty, "cephClusters": empty, "physicalDisks": empty, "pbs": empty, "pmg": empty,
            "pbsBackups": empty, "pmgBackups": empty,
            "backups": .object(["pve": .object(["backupTasks": empty, "storageBackups": empty, "guestSnapshots": empty]),
                                "pbs": empty, "pmg": empty]),
            "pveBackups": .object(["backupTasks": empty, "storageBackups": empty, "guestSnapshots": empty]),
            "replicationJobs": empty, "activeAlerts": empty, "recentlyResolved": empty, "metrics": empty,
            "performance": .object([:]), "connectionHealth": .object(health), "stats": .object([:]),
            "lastUpdate": .number(Double(now.unixMilliseconds)), "temperatureMonitoringEnabled": .bool(true),
            "resources": empty,
        ]
        return .json(object: body)
    }

    /// One host in the frontend shape.
    static func hostView(_ entry: HostEntry, token: APITokenRecord?, now: Date) -> JSONValue {
        let report = entry.report
        let host = report.host
        var view: [String: JSONValue] = [
            "id": .string(entry.id),
            "hostname": .string(entry.hostname),
            "displayName": .string(host?.displayName.flatMap { $0.isEmpty ? nil : $0 } ?? entry.hostname),
            "status": .string(entry.status(now: now)),
            "lastSeen": .number(Double(entry.lastSeen.unixMilliseconds)),
            "loadAverage": .array((host?.loadAverage ?? []).map { .number($0) }),
            "tags": .array((report.tags ?? []).map { .string($0) }),
        ]
        func set(_ key: String, _ value: String?) { if let value, !value.isEmpty { view[key] = .string(value) } }
        func set(_ key: String, _ value: Double?) { if let value { view[key] = .number(value) } }
        set("platform", host?.platform)
        set("osName", host?.osName)
        set("osVersion", host?.osVersion)
        set("kernelVersion", host?.kernelVersion)
        set("architecture", host?.architecture)
        set("cpuModel", host?.cpuModel)
        set("machineId", host?.machineId)
        set("reportIp", host?.reportIp)
        set("agentVersion", report.agent?.version)
        set("updatedFrom", report.agent?.updatedFrom)
        set("cpuCount", host?.cpuCount.map(Double.init))
        set("cpuUsage", report.metrics?.cpuUsagePercent)
        set("uptimeSeconds", host?.uptimeSeconds.map(Double.init))
        set("intervalSeconds", report.agent?.intervalSeconds.map(Double.init))
        if let memory = report.metrics?.memory {
            var object: [String: JSONValue] = [:]
            let pairs: [(String, Double?)] = [
                ("total", memory.totalBytes.map(Double.init)), ("used", memory.usedBytes.map(Double.init)),
                ("free", memory.freeBytes.map(Double.init)), ("usage", memory.usage),
                ("swapTotal", memory.swapTotalBytes.map(Double.init)), ("swapUsed", memory.swapUsedBytes.map(Double.init)),
            ]
            for (key, value) in pairs { object[key] = .number(value ?? 0) }
            view["memory"] = .object(object)
        }
        view["disks"] = .array((report.disks ?? []).map { disk in
            .object([
                "total": .number(Double(disk.totalBytes ?? 0)), "used": .number(Double(disk.usedBytes ?? 0)),
                "free": .number(Double(disk.freeBytes ?? 0)), "usage": .number(disk.usage ?? 0),
                "mountpoint": .string(disk.mountpoint ?? ""), "type": .string(disk.type ?? disk.filesystem ?? ""),
                "device": .string(disk.device ?? ""),
            ])
        })
        view["diskIO"] = (try? JSONValue.encoded(report.diskIO ?? [])) ?? .array([])
        view["networkInterfaces"] = (try? JSONValue.encoded(report.network ?? [])) ?? .array([])
        let sensors = report.sensors
        var sensorView: [String: JSONValue] = [
            "temperatureCelsius": .object((sensors?.temperatureCelsius ?? [:]).mapValues { .number($0) }),
            "fanRpm": .object((sensors?.fanRpm ?? [:]).mapValues { .number($0) }),
            "powerWatts": .object((sensors?.powerWatts ?? [:]).mapValues { .number($0) }),
            "additional": .object((sensors?.additional ?? [:]).mapValues { .number($0) }),
            "smart": (try? JSONValue.encoded(sensors?.smart ?? [])) ?? .array([]),
        ]
        if let reason = sensors?.temperatureUnavailableReason { sensorView["temperatureUnavailableReason"] = .string(reason) }
        view["sensors"] = .object(sensorView)
        if let raid = report.raid, let encoded = try? JSONValue.encoded(raid) { view["raid"] = encoded }
        if let ceph = report.ceph { view["ceph"] = ceph }
        if let token {
            view["tokenId"] = .string(token.id)
            view["tokenName"] = .string(token.name)
            view["tokenHint"] = .string(token.hint)
            if let used = token.lastUsedAt { view["tokenLastUsedAt"] = .number(Double(used.unixMilliseconds)) }
        }
        let commandsEnabled = entry.commandsEnabledOverride ?? report.agent?.commandsEnabled ?? false
        view["commandsEnabled"] = .bool(commandsEnabled)
        view["isLegacy"] = .bool(!(report.agent?.type == "unified"))
        return .object(view)
    }
}

extension JSONValue {
    /// Converts an encodable value through JSON.
    static func encoded(_ value: some Encodable) throws -> JSONValue {
        try WireJSON.decoder().decode(JSONValue.self, from: WireJSON.encoder().encode(value))
    }
}
