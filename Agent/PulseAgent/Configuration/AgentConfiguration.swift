import PulseCommon

/// What the agent was asked to do.
public enum AgentCommand: Sendable, Equatable {
    /// Run (or, with `once` / `selfTest`, run one step) with this configuration.
    case run(AgentConfiguration)
    /// Print `AgentConfiguration.usage` and exit 0.
    case help
    /// Print `pulseAgentVersion` and exit 0.
    case version
}

/// The agent's settings, from flags, then environment variables, then defaults (agent-protocol 1.1).
public struct AgentConfiguration: Sendable, Equatable {
    public static let defaultURL = "http://localhost:7655"
    /// Where the systemd installer writes the token (mode 600).
    public static let defaultTokenFile = "/var/lib/pulse-agent/token"
    public static let defaultInterval = Duration.seconds(30)

    /// Hub base URL without a trailing `/`.
    public var url: String = defaultURL
    /// `nil` only with `once` or `selfTest`.
    public var token: String?
    public var interval: Duration = defaultInterval
    public var hostnameOverride: String?
    public var agentIDOverride: String?
    public var insecureSkipVerify = false
    public var logLevel: LogLevel = .info
    public var logFormat: LogFormat = .json
    /// Environment patterns first, then flag patterns.
    public var diskExclude: [String] = []
    /// Environment tags first, then flag tags; trimmed, deduplicated, order kept.
    public var tags: [String] = []
    public var reportIP: String?
    public var hostFS = HostFS()
    /// `--cacert`: a PEM CA bundle to trust instead of the system store.
    public var caFile: String?
    /// `--fingerprint`: the hub certificate's pinned SHA-256.
    public var fingerprint: CertificateFingerprint?
    /// `--spool-dir`.
    public var spoolDirectory = ReportSpool.defaultDirectory
    /// `--spool-max-reports`, `--spool-max-bytes`.
    public var spoolBounds = SpoolBounds()
    /// `--health-addr`; `nil` when disabled (`--health-addr=""`).
    public var healthAddress: HealthAddress? = HealthAddress(HealthAddress.defaultValue)
    /// Collector names or dotted prefixes not to run (`--disable-collector`, and `ceph` for `--disable-ceph`).
    public var disabledCollectors: [String] = []
    /// How often the hub's config is fetched; `nil` disables remote config.
    public var remoteConfigInterval: Duration? = RemoteConfigPoller.defaultPeriod
    /// `--enable-host` (default true).
    public var enableHost = true
    /// `--enable-docker`; `nil` when neither the flag nor `PULSE_ENABLE_DOCKER` is given: the module then runs when
    /// a `docker` or `podman` binary is on `PATH` (agent-protocol 1.3).
    public var enableDocker: Bool?
    /// Docker and Podman module settings.
    public var docker = DockerSettings()
    /// `--enable-kubernetes`.
    public var enableKubernetes = false
    /// Kubernetes module settings.
    public var kubernetes = KubernetesSettings()
    /// Collect one report, print it, exit.
    public var once = false
    /// Load the configuration and exit.
    public var selfTest = false
    /// `--disable-auto-update`: never replace this binary from the hub.
    public var disableAutoUpdate = false
    /// How often to check the hub for a newer agent.
    public var updateInterval = Duration.seconds(3600)
    /// Non-fatal problems found while parsing (an ignored flag, a bad env value that fell back), to log at start.
    public var warnings: [String] = []

    public init() {}

    /// How the hub's TLS certificate is trusted.
    public var tls: TLSOptions {
        TLSOptions(insecureSkipVerify: insecureSkipVerify, caFile: caFile, pinnedCertificate: fingerprint)
    }

    /// The settings remote config may change at run time, as configured locally.
    public var runtimeSettings: RuntimeSettings {
        RuntimeSettings(interval: interval, logLevel: logLevel, diskExclude: diskExclude,
                        disabledCollectors: disabledCollectors, reportIP: reportIP)
    }

    /// `intervalSeconds` as the report carries it (whole seconds, at least 1).
    public var intervalSeconds: Int { max(1, Int((Double(interval.milliseconds) / 1000).rounded())) }

    /// The `--help` text.
    public static var usage: String { FlagTable.usage }

    /// Parses a command line (without the program name) and an environment.
    ///
    /// - Parameter defaultTokenFile: the last place a token is looked for; tests point it at a temp file.
    public static func parse(arguments: [String], environment: [String: String],
                             defaultTokenFile: String = defaultTokenFile) throws(ConfigurationError) -> AgentCommand {
        let flags = try ParsedFlags(arguments)
        if flags.isSet("help") { return .help }
        if flags.isSet("version") { return .version }
        return .run(try resolve(flags, environment: environment, defaultTokenFile: defaultTokenFile))
    }

    static func resolve(_ flags: ParsedFlags, environment: [String: String],
                        defaultTokenFile: String) throws(ConfigurationError) -> AgentConfiguration {
        func env(_ name: String) -> String? {
            guard let value = environment[name]?.trimmingWhitespace(), !value.isEmpty else { return nil }
            return value
        }
        var config = AgentConfiguration()
        config.warnings = flags.ignored.map { "flag --\($0) is not supported by this agent yet and was ignored" }
        config.once = flags.bool("once") ?? false
        config.selfTest = flags.bool("self-test") ?? false

        // Hub URL.
        let rawURL = flags.value("url") ?? env("PULSE_URL") ?? defaultURL
        var url = rawURL.trimmingWhitespace()
        while url.hasSuffix("/") { url.removeLast() }
        let lowered = url.lowercased()
        let scheme = lowered.hasPrefix("https://") ? 8 : lowered.hasPrefix("http://") ? 7 : 0
        let host = url.dropFirst(scheme).prefix(while: { $0 != "/" && $0 != "?" && $0 != "#" })
        guard scheme > 0, !host.isEmpty, !host.contains(where: { $0 == " " || $0 == "\t" }) else {
            throw .invalid("invalid hub URL \"\(rawURL)\": expected http://host[:port] or https://host[:port]")
        }
        config.url = url

        // Interval: an invalid flag is fatal; an invalid env value falls back to the default with a warning.
        if let text = flags.value("interval") {
            guard let interval = parseInterval(text) else {
                throw .invalid("invalid --interval \"\(text)\": use a duration such as 30s, 1m or 1m30s, "
                               + "or whole seconds such as 30 (minimum 1s)")
            }
            config.interval = interval
        } else if let text = env("PULSE_INTERVAL") {
            if let interval = parseInterval(text) {
                config.interval = interval
            } else {
                config.warnings.append("invalid PULSE_INTERVAL \"\(text)\"; using the default 30s")
            }
        }

        config.hostnameOverride = nonEmpty(flags.value("hostname")) ?? env("PULSE_HOSTNAME")
        config.agentIDOverride = nonEmpty(flags.value("agent-id")) ?? env("PULSE_AGENT_ID")
        config.reportIP = nonEmpty(flags.value("report-ip")) ?? env("PULSE_REPORT_IP")
        config.insecureSkipVerify = flags.bool("insecure") ?? EnvValue.bool(environment["PULSE_INSECURE_SKIP_VERIFY"])
            ?? false

        // Logging.
        if let level = nonEmpty(flags.value("log-level")) ?? env("LOG_LEVEL") {
            if let parsed = LogLevel(name: level) {
                config.logLevel = parsed
            } else {
                config.warnings.append("unknown log level \"\(level)\"; using info")
            }
        }
        if let format = nonEmpty(flags.value("log-format")) ?? env("PULSE_LOG_FORMAT") {
            guard let parsed = LogFormat(rawValue: format.lowercased()) else {
                throw .invalid("invalid log format \"\(format)\": use json or text")
            }
            config.logFormat = parsed
        }

        // Lists: environment entries first, then flags.
        config.diskExclude = EnvValue.list(environment["PULSE_DISK_EXCLUDE"])
            + flags.values("disk-exclude").map { $0.trimmingWhitespace() }.filter { !$0.isEmpty }
        config.tags = deduplicated(EnvValue.list(environment["PULSE_TAGS"]) + flags.values("tag"))

        // Host filesystem roots.
        let rootfs = nonEmpty(flags.value("path.rootfs")) ?? env("HOST_ROOT") ?? "/"
        config.hostFS = HostFS(procfs: nonEmpty(flags.value("path.procfs")) ?? env("HOST_PROC") ?? "/proc",
                               sysfs: nonEmpty(flags.value("path.sysfs")) ?? env("HOST_SYS") ?? "/sys",
                               rootfs: rootfs, etc: env("HOST_ETC"))

        try resolveDelivery(flags, environment: environment, into: &config)
        try resolveModules(flags, environment: environment, into: &config)

        config.token = try resolveToken(flags, environment: environment, defaultTokenFile: defaultTokenFile)
        if config.token == nil && !config.once && !config.selfTest {
            throw .invalid("no API token: pass --token TOKEN or --token-file PATH, set PULSE_TOKEN, or write the "
                           + "token to \(defaultTokenFile)")
        }
        return config
    }

    /// `--token`, then `--token-file` (must be readable and non-empty), then `PULSE_TOKEN`, then the default token
    /// file if it exists.
    static func resolveToken(_ flags: ParsedFlags, environment: [String: String],
                             defaultTokenFile: String) throws(ConfigurationError) -> String? {
        if let token = nonEmpty(flags.value("token")) { return token }
        if let path = nonEmpty(flags.value("token-file")) {
            let text: String
            do {
                text = try HostFS().read(path, limit: 64 * 1024)
            } catch {
                throw .invalid("cannot read --token-file: \(error)")
            }
            guard let token = nonEmpty(text) else { throw .invalid("token file \(path) is empty") }
            return token
        }
        if let token = nonEmpty(environment["PULSE_TOKEN"]) { return token }
        guard HostFS().exists(defaultTokenFile) else { return nil }
        do {
            return nonEmpty(try HostFS().read(defaultTokenFile, limit: 64 * 1024))
        } catch {
            throw .invalid("cannot read token file: \(error)")
        }
    }

    /// A Go duration (`30s`, `1m`, `1m30s`) or plain seconds (`30`), at least one second.
    static func parseInterval(_ text: String) -> Duration? {
        guard let duration = EnvValue.duration(text), duration >= .seconds(1) else { return nil }
        return duration
    }

    static func deduplicated(_ values: [String]) -> [String] {
        var seen = Set<String>()
        return values.map { $0.trimmingWhitespace() }.filter { !$0.isEmpty && seen.insert($0).inserted }
    }

    static func nonEmpty(_ text: String?) -> String? {
        guard let trimmed = text?.trimmingWhitespace(), !trimmed.isEmpty else { return nil }
        return trimmed
    }
}
