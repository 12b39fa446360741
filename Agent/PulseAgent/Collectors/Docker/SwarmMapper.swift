#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import PulseCommon

/// Swarm info, services and tasks (agent-protocol 3.6). Pure.
enum SwarmMapper {
    /// The swarm section: present when the engine names a node, a local state other than `inactive`, or an error.
    static func swarm(_ info: EngineSwarmInfo?) -> DockerReport.Swarm? {
        guard let info else { return nil }
        let nodeID = info.NodeID ?? ""
        let state = info.LocalNodeState ?? ""
        let error = info.Error ?? ""
        guard !nodeID.isEmpty || (!state.isEmpty && state != "inactive") || !error.isEmpty else { return nil }
        var swarm = DockerReport.Swarm(nodeId: nodeID.isEmpty ? nil : nodeID, localState: state.isEmpty ? nil : state,
                                       controlAvailable: info.ControlAvailable, scope: "node")
        if !nodeID.isEmpty { swarm.nodeRole = info.ControlAvailable == true ? "manager" : "worker" }
        if let id = info.Cluster?.ID, !id.isEmpty { swarm.clusterId = id }
        if let name = info.Cluster?.Spec?.Name, !name.isEmpty { swarm.clusterName = name }
        if !error.isEmpty { swarm.error = error }
        return swarm
    }

    /// Tasks from the API, sorted by (service name, slot, id).
    static func tasks(_ tasks: [EngineTask], services: [EngineService],
                      containerNames: [String: String]) -> [DockerReport.Task] {
        let serviceNames = Dictionary(services.compactMap { service in
            service.ID.map { ($0, service.Spec?.Name ?? "") }
        }, uniquingKeysWith: { first, _ in first })
        return sort(tasks.map { task in
            let containerID = task.Status?.ContainerStatus?.ContainerID
            return DockerReport.Task(
                id: task.ID ?? "", serviceId: task.ServiceID,
                serviceName: task.ServiceID.flatMap { serviceNames[$0] }, slot: task.Slot, nodeId: task.NodeID,
                desiredState: task.DesiredState, currentState: task.Status?.State,
                error: nonEmpty(task.Status?.Err), message: nonEmpty(task.Status?.Message),
                containerId: nonEmpty(containerID), containerName: containerID.flatMap { containerNames[$0] },
                createdAt: task.CreatedAt.flatMap(DockerTime.parse) ?? Date(timeIntervalSince1970: -62_135_596_800),
                updatedAt: task.UpdatedAt.flatMap(DockerTime.parse))
        })
    }

    /// Services from the API. In node scope only services with a running task on this node are kept.
    static func services(_ services: [EngineService], tasks: [DockerReport.Task],
                         nodeScope: Bool) -> [DockerReport.Service] {
        let runningHere = Set(tasks.filter { $0.currentState == "running" }.compactMap(\.serviceId))
        let mapped = services.compactMap { service -> DockerReport.Service? in
            guard let id = service.ID, !nodeScope || runningHere.contains(id) else { return nil }
            let spec = service.Spec
            var mode: String?
            if spec?.Mode?.Replicated != nil { mode = "replicated" }
            if spec?.Mode?.Global != nil { mode = "global" }
            if spec?.Mode?.ReplicatedJob != nil { mode = "replicated-job" }
            if spec?.Mode?.GlobalJob != nil { mode = "global-job" }
            let labels = spec?.Labels ?? [:]
            let ports = (service.Endpoint?.Ports ?? []).map {
                DockerReport.EndpointPort(name: $0.Name, protocol: $0.Protocol, targetPort: $0.TargetPort,
                                          publishedPort: $0.PublishedPort, publishMode: $0.PublishMode)
            }
            var update: DockerReport.ServiceUpdateStatus?
            if let status = service.UpdateStatus {
                update = DockerReport.ServiceUpdateStatus(state: nonEmpty(status.State), message: nonEmpty(status.Message),
                                                          completedAt: status.CompletedAt.flatMap(DockerTime.parse))
            }
            return DockerReport.Service(
                id: id, name: spec?.Name ?? id, stack: labels["com.docker.stack.namespace"],
                image: spec?.TaskTemplate?.ContainerSpec?.Image, mode: mode,
                desiredTasks: service.ServiceStatus?.DesiredTasks ?? spec?.Mode?.Replicated?.Replicas,
                runningTasks: service.ServiceStatus?.RunningTasks, completedTasks: service.ServiceStatus?.CompletedTasks,
                labels: labels.isEmpty ? nil : labels, endpointPorts: ports.isEmpty ? nil : ports,
                updateStatus: update, createdAt: service.CreatedAt.flatMap(DockerTime.parse),
                updatedAt: service.UpdatedAt.flatMap(DockerTime.parse))
        }
        return mapped.sorted { ($0.name ?? "", $0.id ?? "") < ($1.name ?? "", $1.id ?? "") }
    }

    /// Tasks and services derived from container labels (workers, or when the API fails): the swarm labels
    /// `com.docker.swarm.service.id/name`, `task.id`, `task.name` (`<service>.<slot>.<id>`), `node.id`.
    static func derived(from containers: [DockerReport.Container]) -> (services: [DockerReport.Service],
                                                                     tasks: [DockerReport.Task]) {
        var tasks: [DockerReport.Task] = []
        for container in containers {
            let labels = container.labels ?? [:]
            guard let serviceID = labels["com.docker.swarm.service.id"], !serviceID.isEmpty else { continue }
            let taskName = labels["com.docker.swarm.task.name"] ?? ""
            let parts = taskName.split(separator: ".")
            let slot = parts.count >= 3 ? Int(parts[parts.count - 2]) : nil
            tasks.append(DockerReport.Task(
                id: labels["com.docker.swarm.task.id"] ?? container.id ?? "", serviceId: serviceID,
                serviceName: labels["com.docker.swarm.service.name"], slot: slot,
                nodeId: labels["com.docker.swarm.node.id"], desiredState: "running", currentState: container.state,
                containerId: container.id, containerName: container.name,
                createdAt: container.createdAt ?? Date(timeIntervalSince1970: -62_135_596_800),
                startedAt: container.startedAt, completedAt: container.finishedAt))
        }
        tasks = sort(tasks)
        var services: [String: DockerReport.Service] = [:]
        var stacks: [String: String] = [:]
        for container in containers {
            if let id = container.labels?["com.docker.swarm.service.id"],
               let stack = container.labels?["com.docker.stack.namespace"] { stacks[id] = stack }
        }
        for (index, task) in tasks.enumerated() {
            guard let id = task.serviceId else { continue }
            var service = services[id] ?? DockerReport.Service(id: id, name: task.serviceName ?? id, stack: stacks[id],
                                                               desiredTasks: 0, runningTasks: 0)
            if service.image == nil {
                service.image = containers.first { $0.id == tasks[index].containerId }?.image
            }
            service.desiredTasks = (service.desiredTasks ?? 0) + 1
            if task.currentState == "running" { service.runningTasks = (service.runningTasks ?? 0) + 1 }
            services[id] = service
        }
        let sortedServices = services.values.sorted { ($0.name ?? "", $0.id ?? "") < ($1.name ?? "", $1.id ?? "") }
        return (sortedServices, tasks)
    }

    static func sort(_ tasks: [DockerReport.Task]) -> [DockerReport.Task] {
        tasks.sorted { ($0.serviceName ?? "", $0.slot ?? 0, $0.id ?? "") < ($1.serviceName ?? "", $1.slot ?? 0, $1.id ?? "") }
    }

    private static func nonEmpty(_ text: String?) -> String? {
        guard let text, !text.isEmpty else { return nil }
        return text
    }
}
