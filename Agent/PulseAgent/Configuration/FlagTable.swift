/// The agent's command-line flags: one table drives parsing and `--help`.
struct FlagSpec: Sendable {
    let name: String
    /// The argument's placeholder in `--help`; `nil` for boolean flags.
    let argument: String?
    let environment: String?
    let defaultText: String?
    let help: String
    /// May be given several times (values accumulate); otherwise the last occurrence wins.
    var repeatable = false
    /// A reference-agent flag this agent does not implement yet: accepted and ignored with a warning, so units
    /// written for the reference keep starting.
    var ignored = false

    var isBoolean: Bool { argument == nil }
}

enum FlagTable {
    static let flags: [FlagSpec] = [
        FlagSpec(name: "url", argument: "URL", environment: "PULSE_URL", defaultText: AgentConfiguration.defaultURL,
                 help: "Pulse hub base URL (http:// or https://); a trailing / is trimmed."),
        FlagSpec(name: "token", argument: "TOKEN", environment: "PULSE_TOKEN", defaultText: nil,
                 help: "API token with the host-agent:report scope (docker:report, kubernetes:report for those "
                     + "modules). Looked up in this order: --token, "
                     + "--token-file, PULSE_TOKEN, then \(AgentConfiguration.defaultTokenFile)."),
        FlagSpec(name: "token-file", argument: "PATH", environment: nil, defaultText: nil,
                 help: "Read the API token from this file (surrounding whitespace trimmed)."),
        FlagSpec(name: "interval", argument: "DURATION", environment: "PULSE_INTERVAL", defaultText: "30s",
                 help: "Time between reports: a Go duration (30s, 1m, 1m30s) or plain seconds (30); at least 1s."),
        FlagSpec(name: "hostname", argument: "NAME", environment: "PULSE_HOSTNAME", defaultText: "the OS hostname",
                 help: "Hostname to report."),
        FlagSpec(name: "agent-id", argument: "ID", environment: "PULSE_AGENT_ID", defaultText: "the machine id",
                 help: "Agent id to report (else /etc/machine-id, else mac-<hex> of the first NIC, else the hostname)."),
        FlagSpec(name: "insecure", argument: nil, environment: "PULSE_INSECURE_SKIP_VERIFY", defaultText: "false",
                 help: "Skip TLS certificate verification of the hub."),
        FlagSpec(name: "cacert", argument: "FILE", environment: "PULSE_CACERT", defaultText: "the system CA store",
                 help: "Trust the hub certificate only if a CA in this PEM bundle signed it (the hostname is still "
                     + "checked)."),
        FlagSpec(name: "fingerprint", argument: "SHA256", environment: "PULSE_FINGERPRINT", defaultText: nil,
                 help: "Pin the hub's TLS certificate: its SHA-256 fingerprint as 64 hex digits, colons optional "
                     + "(openssl x509 -noout -fingerprint -sha256 -in CERT). Any other certificate is refused; CA and "
                     + "hostname checks are replaced by the pin, so a self-signed hub certificate works. Needs "
                     + "https://."),
        FlagSpec(name: "spool-dir", argument: "DIR", environment: "PULSE_SPOOL_DIR",
                 defaultText: ReportSpool.defaultDirectory,
                 help: "Keep undelivered reports here (one file per report) and replay them oldest first before "
                     + "the live report. Created if missing; if unusable, reports are kept in memory with a warning."),
        FlagSpec(name: "spool-max-reports", argument: "N", environment: "PULSE_SPOOL_MAX_REPORTS",
                 defaultText: String(SpoolBounds.defaultMaxReports),
                 help: "Most reports the spool holds; the oldest are dropped (counted and logged) beyond it."),
        FlagSpec(name: "spool-max-bytes", argument: "SIZE", environment: "PULSE_SPOOL_MAX_BYTES", defaultText: "64MiB",
                 help: "Most bytes the spool holds: bytes, or with a unit (512KiB, 64MiB, 1GiB); the oldest reports "
                     + "are dropped beyond it."),
        FlagSpec(name: "health-addr", argument: "ADDR", environment: "PULSE_HEALTH_ADDR",
                 defaultText: HealthAddress.defaultValue,
                 help: "Serve GET /healthz, /readyz and /metrics (Prometheus) here: HOST:PORT with a numeric IP or "
                     + "localhost ([::1]:9191; :9191 for all interfaces). --health-addr=\"\" (or an empty "
                     + "PULSE_HEALTH_ADDR) disables it."),
        FlagSpec(name: "disable-collector", argument: "NAME", environment: "PULSE_DISABLE_COLLECTORS (comma-separated)",
                 defaultText: nil,
                 help: "Do not run a collector: its name or a dotted prefix (host.disks, sensors, sensors.smart, "
                     + "raid, ceph). Repeatable.", repeatable: true),
        FlagSpec(name: "disable-ceph", argument: nil, environment: "PULSE_DISABLE_CEPH", defaultText: "false",
                 help: "Do not collect Ceph status (the same as --disable-collector ceph)."),
        FlagSpec(name: "remote-config-interval", argument: "DURATION", environment: "PULSE_REMOTE_CONFIG_INTERVAL",
                 defaultText: "5m",
                 help: "How often to fetch this host's settings from the hub (lookup, then "
                     + "/api/agents/host/{id}/config; also at start); jittered ±20 %. 0 disables remote config."),
        FlagSpec(name: "disable-auto-update", argument: nil, environment: "PULSE_DISABLE_AUTO_UPDATE", defaultText: "false",
                 help: "Do not update the agent from the hub. Otherwise it checks /api/agent/version shortly after start "
                     + "and then every --update-interval, and installs a newer version only with a matching "
                     + "X-Checksum-Sha256 and a passing --self-test, keeping <binary>.backup."),
        FlagSpec(name: "update-interval", argument: "DURATION", environment: "PULSE_UPDATE_INTERVAL", defaultText: "1h",
                 help: "How often to check the hub for a newer agent; jittered ±10 %."),
        FlagSpec(name: "log-level", argument: "LEVEL", environment: "LOG_LEVEL", defaultText: "info",
                 help: "debug, info, warn or error (an unknown level falls back to info)."),
        FlagSpec(name: "log-format", argument: "FORMAT", environment: "PULSE_LOG_FORMAT", defaultText: "json",
                 help: "Log line format on stderr: json or text."),
        FlagSpec(name: "disk-exclude", argument: "PATTERN", environment: "PULSE_DISK_EXCLUDE (comma-separated)",
                 defaultText: nil,
                 help: "Exclude mountpoints and block devices: exact, prefix*, *suffix or *contains*. Repeatable; "
                     + "environment values come first.", repeatable: true),
        FlagSpec(name: "tag", argument: "TAG", environment: "PULSE_TAGS (comma-separated)", defaultText: nil,
                 help: "Tag to attach to the host report. Repeatable; trimmed and deduplicated.", repeatable: true),
        FlagSpec(name: "report-ip", argument: "IP", environment: "PULSE_REPORT_IP", defaultText: nil,
                 help: "IP address to report as host.reportIp."),
        FlagSpec(name: "path.procfs", argument: "PATH", environment: "HOST_PROC", defaultText: "/proc",
                 help: "procfs mount point (for an agent in a container, the host's /proc mounted inside it)."),
        FlagSpec(name: "path.sysfs", argument: "PATH", environment: "HOST_SYS", defaultText: "/sys",
                 help: "sysfs mount point."),
        FlagSpec(name: "path.rootfs", argument: "PATH", environment: "HOST_ROOT", defaultText: "/",
                 help: "Root filesystem mount point; disk usage is measured under it and /etc read from it "
                     + "(HOST_ETC overrides the /etc path)."),
        FlagSpec(name: "enable-host", argument: nil, environment: "PULSE_ENABLE_HOST", defaultText: "true",
                 help: "Report this host (CPU, memory, disks, sensors, …); --enable-host=false for docker or "
                     + "Kubernetes only."),
        FlagSpec(name: "enable-docker", argument: nil, environment: "PULSE_ENABLE_DOCKER",
                 defaultText: "on when docker or podman is on PATH",
                 help: "Report Docker or Podman containers (POST /api/agents/docker/report; token scope "
                     + "docker:report). If the engine is unreachable the module retries in the background (5 s "
                     + "doubling to 5 min)."),
        FlagSpec(name: "docker-runtime", argument: "RUNTIME", environment: "PULSE_DOCKER_RUNTIME", defaultText: "auto",
                 help: "auto, docker or podman: which engine sockets to try first. Endpoints: DOCKER_HOST, "
                     + "CONTAINER_HOST, PODMAN_HOST, the podman sockets, /var/run/docker.sock (tcp:// with "
                     + "DOCKER_CERT_PATH and DOCKER_TLS_VERIFY for TLS; DOCKER_API_VERSION pins the API version)."),
        FlagSpec(name: "docker-collect-disk", argument: nil, environment: "PULSE_DOCKER_COLLECT_DISK",
                 defaultText: "false",
                 help: "Also report each container's writable-layer and root-filesystem size (slow on big engines)."),
        FlagSpec(name: "docker-timeout", argument: "DURATION", environment: "PULSE_DOCKER_TIMEOUT", defaultText: "5s",
                 help: "Limit for each container's inspect and stats request; a slower container is reported from "
                     + "its list entry alone."),
        FlagSpec(name: "disable-docker-update-checks", argument: nil, environment: "PULSE_DISABLE_DOCKER_UPDATE_CHECKS",
                 defaultText: "false",
                 help: "Accepted for compatibility: this agent makes no registry digest checks (see Agent/README.md)."),
        FlagSpec(name: "enable-kubernetes", argument: nil, environment: "PULSE_ENABLE_KUBERNETES", defaultText: "false",
                 help: "Report a Kubernetes cluster (POST /api/agents/kubernetes/report; token scope "
                     + "kubernetes:report)."),
        FlagSpec(name: "kubeconfig", argument: "PATH", environment: "PULSE_KUBECONFIG",
                 defaultText: "in-cluster, else $KUBECONFIG, else ~/.kube/config",
                 help: "kubeconfig file (YAML or JSON): server, CA, bearer token or client certificate."),
        FlagSpec(name: "kube-context", argument: "NAME", environment: "PULSE_KUBE_CONTEXT",
                 defaultText: "the current context", help: "kubeconfig context to use."),
        FlagSpec(name: "kube-include-namespace", argument: "PATTERN",
                 environment: "PULSE_KUBE_INCLUDE_NAMESPACES (comma-separated)", defaultText: "all",
                 help: "Only these namespaces (wildcards * and ?). Repeatable.", repeatable: true),
        FlagSpec(name: "kube-exclude-namespace", argument: "PATTERN",
                 environment: "PULSE_KUBE_EXCLUDE_NAMESPACES (comma-separated)", defaultText: nil,
                 help: "Skip these namespaces (wildcards; wins over include). Repeatable.", repeatable: true),
        FlagSpec(name: "kube-include-all-pods", argument: nil, environment: "PULSE_KUBE_INCLUDE_ALL_PODS",
                 defaultText: "false", help: "Report every non-succeeded pod, not only problem pods."),
        FlagSpec(name: "kube-include-all-deployments", argument: nil,
                 environment: "PULSE_KUBE_INCLUDE_ALL_DEPLOYMENTS", defaultText: "false",
                 help: "Report every deployment, not only those short of their desired replicas."),
        FlagSpec(name: "kube-max-pods", argument: "N", environment: "PULSE_KUBE_MAX_PODS", defaultText: "200",
                 help: "Most pods per report (≤ 0 means 200)."),
        FlagSpec(name: "once", argument: nil, environment: nil, defaultText: nil,
                 help: "Collect one report, print it as JSON on stdout and exit (no token needed): the host report, "
                     + "or with --enable-host=false the docker report (two samples 2 s apart, for CPU), or the "
                     + "Kubernetes report."),
        FlagSpec(name: "self-test", argument: nil, environment: nil, defaultText: nil,
                 help: "Load the configuration, then exit 0 (no token needed)."),
        FlagSpec(name: "version", argument: nil, environment: nil, defaultText: nil,
                 help: "Print the version and exit."),
        FlagSpec(name: "help", argument: nil, environment: nil, defaultText: nil,
                 help: "Print this help and exit (also -h)."),
    ] + ignoredReferenceFlags

    /// Flags of the reference agent for modules this agent does not have yet.
    static let ignoredReferenceFlags: [FlagSpec] =
        ["enable-proxmox", "enable-commands", "disable-commands"].map {
            FlagSpec(name: $0, argument: nil, environment: nil, defaultText: nil, help: "", ignored: true)
        }
        + ["proxmox-type"].map {
            FlagSpec(name: $0, argument: "VALUE", environment: nil, defaultText: nil, help: "", repeatable: true,
                     ignored: true)
        }

    static func spec(named name: String) -> FlagSpec? {
        let canonical = name == "h" ? "help" : name
        return flags.first { $0.name == canonical }
    }

    /// The `--help` text: every flag with its argument, environment variable and default.
    static var usage: String {
        var text = """
        Usage: pulse-agent [flags]

        Pulse agent: reports this host's CPU, memory, disks, disk I/O and network, Docker or Podman containers, and
        a Kubernetes cluster to a Pulse hub every interval.
        Flags take --flag=value or --flag value (booleans: --flag or --flag=false). A flag overrides its
        environment variable, which overrides the default; the hub's settings for this host (remote config:
        interval, log level, disk excludes, disabled collectors, report IP) override both while it runs.

        Flags:

        """
        for flag in flags where !flag.ignored {
            var line = "  --" + flag.name + (flag.argument.map { " " + $0 } ?? "")
            text += line + "\n"
            line = "        " + flag.help
            var notes: [String] = []
            if let environment = flag.environment { notes.append("env " + environment) }
            if let defaultText = flag.defaultText { notes.append("default " + defaultText) }
            if !notes.isEmpty { line += " [" + notes.joined(separator: "; ") + "]" }
            text += line + "\n"
        }
        text += """

        Other environment: HOST_ETC (the host's /etc; default <path.rootfs>/etc). Proxies, as libcurl reads them:
        https_proxy/HTTPS_PROXY, http_proxy/HTTP_PROXY, ALL_PROXY, NO_PROXY. NOTIFY_SOCKET (systemd): READY=1
        after start, STOPPING=1 on SIGTERM. Redirects from the hub are never followed (use its final https:// URL).
        Accepted and ignored until their modules exist: \(ignoredReferenceFlags.map { "--" + $0.name }.joined(separator: ", ")).
        Exit status: 0 on success or a clean stop (SIGTERM/SIGINT), 1 on a configuration error, 2 on a usage error.

        """
        return text
    }
}
