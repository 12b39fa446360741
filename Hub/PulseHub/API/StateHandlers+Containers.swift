import Foundation
import PulseCommon

extension StateHandlers {
    /// One docker host in the frontend shape (hub-api 11.1); times in unix ms, container times RFC 3339.
    static func dockerHostView(_ host: ManagedAgent<DockerReport>, token: APITokenRecord?,
                               command: DockerCommandRecord?, now: Date) -> JSONValue {
        let report = host.report
        let section = report.host
        let reportedName = section?.name?.nonEmpty ?? host.hostname
        var view: [String: JSONValue] = [
            "id": .string(host.id), "agentId": .string(host.agentID), "hostname": .string(host.hostname),
            "displayName": .string(host.customDisplayName ?? reportedName),
            "status": .string(host.status(now: now)), "lastSeen": .number(Double(host.lastSeen.unixMilliseconds)),
            "hidden": .bool(host.hidden), "pendingUninstall": .bool(host.pendingUninstall),
            "loadAverage": .array((section?.loadAverage ?? []).map { .number($0) }),
            "containers": (try? JSONValue.encoded(report.containers ?? [])) ?? .array([]),
            "services": (try? JSONValue.encoded(report.services ?? [])) ?? .array([]),
            "tasks": (try? JSONValue.encoded(report.tasks ?? [])) ?? .array([]),
            "disks": (try? JSONValue.encoded(section?.disks ?? [])) ?? .array([]),
            "networkInterfaces": (try? JSONValue.encoded(section?.network ?? [])) ?? .array([]),
        ]
        func set(_ key: String, _ value: String?) { if let value, !value.isEmpty { view[key] = .string(value) } }
        func set(_ key: String, _ value: Double?) { if let value { view[key] = .number(value) } }
        if let custom = host.customDisplayName { view["customDisplayName"] = .string(custom) }
        set("machineId", section?.machineId)
        set("os", section?.os)
        set("kernelVersion", section?.kernelVersion)
        set("architecture", section?.architecture)
        set("runtime", section?.runtime)
        set("runtimeVersion", section?.runtimeVersion)
        set("dockerVersion", section?.dockerVersion)
        set("agentVersion", report.agent?.version)
        set("cpus", section?.totalCpu.map(Double.init))
        set("totalMemoryBytes", section?.totalMemoryBytes.map(Double.init))
        set("uptimeSeconds", section?.uptimeSeconds.map(Double.init))
        set("cpuUsagePercent", section?.cpuUsagePercent)
        set("intervalSeconds", report.agent?.intervalSeconds.map(Double.init))
        if let memory = section?.memory {
            view["memory"] = .object([
                "total": .number(Double(memory.totalBytes ?? 0)), "used": .number(Double(memory.usedBytes ?? 0)),
                "free": .number(Double(memory.freeBytes ?? 0)), "usage": .number(memory.usage ?? 0),
                "swapTotal": .number(Double(memory.swapTotalBytes ?? 0)), "swapUsed": .number(Double(memory.swapUsedBytes ?? 0)),
            ])
        }
        if let swarm = section?.swarm, let encoded = try? JSONValue.encoded(swarm) { view["swarm"] = encoded }
        if let token {
            view["tokenId"] = .string(token.id)
            view["tokenName"] = .string(token.name)
            view["tokenHint"] = .string(token.hint)
            if let used = token.lastUsedAt { view["tokenLastUsedAt"] = .number(Double(used.unixMilliseconds)) }
        }
        if let command { view["command"] = command.view }
        return .object(view)
    }

    /// One Kubernetes cluster in the frontend shape.
    static func clusterView(_ cluster: ManagedAgent<KubernetesReport>, token: APITokenRecord?, now: Date) -> JSONValue {
        let report = cluster.report
        var view: [String: JSONValue] = [
            "id": .string(cluster.id), "agentId": .string(cluster.agentID), "name": .string(cluster.hostname),
            "displayName": .string(cluster.customDisplayName ?? cluster.hostname),
            "status": .string(cluster.status(now: now)), "lastSeen": .number(Double(cluster.lastSeen.unixMilliseconds)),
            "hidden": .bool(cluster.hidden), "pendingUninstall": .bool(cluster.pendingUninstall),
            "nodes": (try? JSONValue.encoded(report.nodes ?? [])) ?? .array([]),
            "pods": (try? JSONValue.encoded(report.pods ?? [])) ?? .array([]),
            "deployments": (try? JSONValue.encoded(report.deployments ?? [])) ?? .array([]),
        ]
        if let custom = cluster.customDisplayName { view["customDisplayName"] = .string(custom) }
        for (key, value) in [("server", report.cluster?.server), ("context", report.cluster?.context),
                             ("version", report.cluster?.version), ("agentVersion", report.agent?.version)] {
            if let value, !value.isEmpty { view[key] = .string(value) }
        }
        if let interval = report.agent?.intervalSeconds { view["intervalSeconds"] = .number(Double(interval)) }
        if let token {
            view["tokenId"] = .string(token.id)
            view["tokenName"] = .string(token.name)
            view["tokenHint"] = .string(token.hint)
            if let used = token.lastUsedAt { view["tokenLastUsedAt"] = .number(Double(used.unixMilliseconds)) }
        }
        return .object(view)
    }

    static func removalView(_ removal: RemovalRecord, nameKey: String) -> JSONValue {
        .object(["id": .string(removal.id), nameKey: .string(removal.hostname),
                 "displayName": .string(removal.displayName ?? removal.hostname),
                 "removedAt": .number(Double(removal.removedAt.unixMilliseconds))])
    }
}
