#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import PulseCommon

/// Puts the engine snapshot and the host's own figures into the wire report (agent-protocol 2.2). Pure.
enum DockerReportAssembler {
    static func report(snapshot: DockerCollector.Snapshot, info: EngineInfo?, runtimeVersion: String?, podman: Bool,
                       identity: AgentIdentity, intervalSeconds: Int, host: HostReport?, now: Date) -> DockerReport {
        let agent = DockerReport.Agent(id: identity.agentID, version: pulseAgentVersion, type: "unified",
                                       intervalSeconds: intervalSeconds > 0 ? intervalSeconds : 30)
        var section = DockerReport.Host(hostname: identity.hostname, name: nonEmpty(info?.Name),
                                        machineId: identity.machineID, os: nonEmpty(info?.OperatingSystem),
                                        runtime: podman ? "podman" : "docker",
                                        runtimeVersion: nonEmpty(runtimeVersion) ?? nonEmpty(info?.ServerVersion),
                                        kernelVersion: nonEmpty(info?.KernelVersion),
                                        architecture: nonEmpty(info?.Architecture),
                                        dockerVersion: nonEmpty(info?.ServerVersion), totalCpu: info?.NCPU,
                                        totalMemoryBytes: info?.MemTotal, swarm: snapshot.swarm)
        if let host {
            section.uptimeSeconds = host.host?.uptimeSeconds
            section.loadAverage = host.host?.loadAverage
            section.cpuUsagePercent = host.metrics?.cpuUsagePercent
            section.memory = host.metrics?.memory ?? HostReport.Memory()
            section.disks = host.disks
            section.network = host.network
        }
        return DockerReport(agent: agent, host: section, containers: snapshot.containers,
                            services: snapshot.services, tasks: snapshot.tasks, timestamp: now)
    }

    private static func nonEmpty(_ text: String?) -> String? {
        guard let text, !text.isEmpty else { return nil }
        return text
    }
}
