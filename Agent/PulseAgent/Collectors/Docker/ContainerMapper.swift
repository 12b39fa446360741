#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import PulseCommon

/// Engine documents → one report container (agent-protocol 2.2 and 3.6). Pure.
enum ContainerMapper {
    /// Containers whose name contains this are `update_container` backups: never reported, never updated.
    static let backupMarker = "_pulse_backup_"

    /// Name fragments (case-insensitive) whose environment values are masked as `***`.
    static let secretFragments = ["password", "passwd", "secret", "key", "token", "credential", "auth", "api_key",
                                  "apikey", "private", "access_token", "refresh_token", "database_url",
                                  "connection_string", "encryption"]

    /// The container name: the first name without its leading `/`.
    static func name(_ summary: EngineContainerSummary?, _ inspect: EngineContainerInspect? = nil) -> String {
        let raw = summary?.Names?.first ?? inspect?.Name ?? ""
        return raw.hasPrefix("/") ? String(raw.dropFirst()) : raw
    }

    static func isBackup(_ name: String) -> Bool { name.contains(backupMarker) }

    /// Masks values of variables whose name looks secret; entries without `=` are kept as they are.
    static func maskEnvironment(_ entries: [String]) -> [String] {
        entries.map { entry in
            guard let equals = entry.firstIndex(of: "=") else { return entry }
            let name = entry[..<equals].lowercased()
            guard secretFragments.contains(where: { name.contains($0) }) else { return entry }
            return entry[..<equals] + "=***"
        }
    }

    /// Podman pod, compose and auto-update metadata from labels; `nil` when none is present.
    static func podmanMetadata(_ labels: [String: String]) -> DockerReport.Podman? {
        func label(_ keys: String...) -> String? {
            for key in keys { if let value = labels[key], !value.isEmpty { return value } }
            return nil
        }
        var podman = DockerReport.Podman(
            podName: label("io.podman.annotations.pod.name"), podId: label("io.podman.annotations.pod.id"),
            composeProject: label("io.podman.compose.project", "com.docker.compose.project"),
            composeService: label("io.podman.compose.service", "com.docker.compose.service"),
            composeWorkdir: label("io.podman.compose.working_dir", "com.docker.compose.project.working_dir"),
            composeConfigHash: label("io.podman.compose.config-hash", "com.docker.compose.config-hash"),
            autoUpdatePolicy: label("io.containers.autoupdate"),
            autoUpdateRestart: label("io.containers.autoupdate.restart"),
            userNamespace: label("io.podman.annotations.userns", "io.containers.userns"))
        if let infra = label("io.podman.annotations.pod.infra") {
            podman.infra = ["true", "1", "yes"].contains(infra.lowercased())
        }
        return podman == DockerReport.Podman() ? nil : podman
    }

    /// Builds the report entry. `stats` is `nil` for containers that are not running (or whose stats failed);
    /// `cpuPercent` comes from `CPUTracker`.
    static func container(summary: EngineContainerSummary, inspect: EngineContainerInspect?,
                          stats: ContainerStats?, cpuPercent: Double, podman: Bool, collectDisk: Bool,
                          now: Date) -> DockerReport.Container {
        var container = DockerReport.Container(id: summary.Id ?? inspect?.Id ?? "", name: name(summary, inspect),
                                               image: summary.Image ?? inspect?.Config?.Image ?? "")
        if let image = summary.ImageID, !image.isEmpty { container.imageDigest = image }
        container.createdAt = Date(timeIntervalSince1970: Double(summary.Created ?? 0))
        let state = (summary.State ?? inspect?.State?.Status ?? "").lowercased()
        container.state = state
        container.status = summary.Status ?? ""
        if let health = inspect?.State?.Health?.Status, !health.isEmpty { container.health = health }
        container.restartCount = inspect?.RestartCount ?? 0
        container.exitCode = inspect?.State?.ExitCode ?? 0
        let running = state == "running" || inspect?.State?.Running == true
        let started = inspect?.State?.StartedAt.flatMap(DockerTime.parse)
        container.startedAt = started
        if !running { container.finishedAt = inspect?.State?.FinishedAt.flatMap(DockerTime.parse) }
        if running, let started { container.uptimeSeconds = max(0, Int64(now.timeIntervalSince(started))) }

        if let stats {
            container.cpuPercent = cpuPercent
            container.memoryUsageBytes = stats.memoryUsage
            container.memoryLimitBytes = stats.memoryLimit
            container.memoryPercent = stats.memoryPercent
            if stats.blockRead > 0 || stats.blockWrite > 0 {
                container.blockIo = DockerReport.BlockIO(readBytes: stats.blockRead, writeBytes: stats.blockWrite)
            }
            if stats.networkRx != nil || stats.networkTx != nil {
                container.networkIo = DockerReport.NetworkIO(rxBytes: stats.networkRx ?? 0, txBytes: stats.networkTx ?? 0)
            }
        }

        let ports = (summary.Ports ?? []).map { port in
            DockerReport.Port(privatePort: port.PrivatePort ?? 0,
                              publicPort: (port.PublicPort ?? 0) > 0 ? port.PublicPort : nil,
                              protocol: port.Type ?? "tcp", ip: (port.IP ?? "").isEmpty ? nil : port.IP)
        }
        if !ports.isEmpty { container.ports = ports }
        let labels = summary.Labels ?? inspect?.Config?.Labels ?? [:]
        if !labels.isEmpty { container.labels = labels }
        if let env = inspect?.Config?.Env, !env.isEmpty { container.env = maskEnvironment(env) }
        let networks = (inspect?.NetworkSettings?.Networks ?? [:]).sorted { $0.key < $1.key }.map { name, endpoint in
            DockerReport.Network(name: name, ipv4: (endpoint.IPAddress ?? "").isEmpty ? nil : endpoint.IPAddress,
                                 ipv6: (endpoint.GlobalIPv6Address ?? "").isEmpty ? nil : endpoint.GlobalIPv6Address)
        }
        if !networks.isEmpty { container.networks = networks }
        let mounts = (inspect?.Mounts ?? []).map { mount in
            DockerReport.Mount(type: nonEmpty(mount.Type), source: nonEmpty(mount.Source),
                               destination: nonEmpty(mount.Destination), mode: nonEmpty(mount.Mode),
                               rw: mount.RW ?? false, propagation: nonEmpty(mount.Propagation),
                               name: nonEmpty(mount.Name), driver: nonEmpty(mount.Driver))
        }
        if !mounts.isEmpty { container.mounts = mounts }
        if collectDisk {
            container.writableLayerBytes = inspect?.SizeRw
            container.rootFilesystemBytes = inspect?.SizeRootFs
        }
        if podman { container.podman = podmanMetadata(labels) }
        return container
    }

    private static func nonEmpty(_ text: String?) -> String? {
        guard let text, !text.isEmpty else { return nil }
        return text
    }
}
