import PulseCommon

/// Docker and Podman module settings.
public struct DockerSettings: Sendable, Equatable {
    public var runtime: DockerRuntimePreference = .auto
    public var collectDiskMetrics = false
    public var containerTimeout: Duration = .seconds(5)
    /// `DOCKER_API_VERSION`, when set.
    public var apiVersion: String?
    /// The environment the endpoint candidates come from (`DOCKER_HOST`, `CONTAINER_HOST`, `PODMAN_HOST`, …).
    public var environment: [String: String] = [:]

    public init() {}
}

/// Kubernetes module settings.
public struct KubernetesSettings: Sendable, Equatable {
    public var kubeconfig: String?
    public var context: String?
    public var includeNamespaces: [String] = []
    public var excludeNamespaces: [String] = []
    public var includeAllPods = false
    public var includeAllDeployments = false
    public var maxPods = 200
    /// `KUBECONFIG`, `HOME`, `KUBERNETES_SERVICE_HOST`/`PORT` for the default loading rules and in-cluster mode.
    public var environment: [String: String] = [:]

    public init() {}
}

extension AgentConfiguration {
    /// Module switches and their settings (agent-protocol 1.1 and 1.3).
    static func resolveModules(_ flags: ParsedFlags, environment: [String: String],
                               into config: inout AgentConfiguration) throws(ConfigurationError) {
        func env(_ name: String) -> String? {
            guard let value = environment[name]?.trimmingWhitespace(), !value.isEmpty else { return nil }
            return value
        }
        config.enableHost = flags.bool("enable-host") ?? EnvValue.bool(environment["PULSE_ENABLE_HOST"]) ?? true
        config.enableDocker = flags.bool("enable-docker") ?? EnvValue.bool(env("PULSE_ENABLE_DOCKER"))
        config.enableKubernetes = flags.bool("enable-kubernetes")
            ?? EnvValue.bool(environment["PULSE_ENABLE_KUBERNETES"]) ?? false

        var docker = DockerSettings()
        if let text = flags.value("docker-runtime") ?? env("PULSE_DOCKER_RUNTIME") {
            guard let runtime = DockerRuntimePreference(flag: text) else {
                throw .invalid("invalid --docker-runtime \"\(text)\": use auto, docker or podman")
            }
            docker.runtime = runtime
        }
        docker.collectDiskMetrics = flags.bool("docker-collect-disk")
            ?? EnvValue.bool(environment["PULSE_DOCKER_COLLECT_DISK"]) ?? false
        if let text = flags.value("docker-timeout") ?? env("PULSE_DOCKER_TIMEOUT") {
            guard let duration = EnvValue.duration(text), duration >= .milliseconds(100) else {
                throw .invalid("invalid --docker-timeout \"\(text)\": use a duration such as 5s")
            }
            docker.containerTimeout = duration
        }
        docker.apiVersion = env("DOCKER_API_VERSION")
        docker.environment = environment.filter {
            ["DOCKER_HOST", "CONTAINER_HOST", "PODMAN_HOST", "DOCKER_CERT_PATH", "DOCKER_TLS_VERIFY", "HOME"].contains($0.key)
        }
        config.docker = docker

        var kube = KubernetesSettings()
        kube.kubeconfig = nonEmpty(flags.value("kubeconfig")) ?? env("PULSE_KUBECONFIG")
        kube.context = nonEmpty(flags.value("kube-context")) ?? env("PULSE_KUBE_CONTEXT")
        kube.includeNamespaces = deduplicated(EnvValue.list(environment["PULSE_KUBE_INCLUDE_NAMESPACES"])
                                              + flags.values("kube-include-namespace").flatMap { EnvValue.list($0) })
        kube.excludeNamespaces = deduplicated(EnvValue.list(environment["PULSE_KUBE_EXCLUDE_NAMESPACES"])
                                              + flags.values("kube-exclude-namespace").flatMap { EnvValue.list($0) })
        kube.includeAllPods = flags.bool("kube-include-all-pods")
            ?? EnvValue.bool(env("PULSE_KUBE_INCLUDE_ALL_PODS") ?? env("PULSE_KUBE_INCLUDE_ALL_POD_FILES")) ?? false
        kube.includeAllDeployments = flags.bool("kube-include-all-deployments")
            ?? EnvValue.bool(environment["PULSE_KUBE_INCLUDE_ALL_DEPLOYMENTS"]) ?? false
        if let text = flags.value("kube-max-pods") ?? env("PULSE_KUBE_MAX_PODS") {
            guard let value = Int(text.trimmingWhitespace()) else {
                throw .invalid("invalid --kube-max-pods \"\(text)\": expected a number")
            }
            kube.maxPods = value > 0 ? value : 200
        }
        kube.environment = environment.filter {
            ["KUBECONFIG", "HOME", "KUBERNETES_SERVICE_HOST", "KUBERNETES_SERVICE_PORT"].contains($0.key)
        }
        config.kubernetes = kube
    }
}
