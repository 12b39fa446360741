import PulseCommon
import Testing
@testable import PulseAgent

/// Flag and environment parsing: precedence, durations, booleans, lists, the token order and errors.
struct ConfigurationTests {
    /// A token file path that never exists, so the machine's own token file cannot leak into a test.
    static let noTokenFile = "/nonexistent/pulse-agent-test/token"

    func configuration(_ arguments: [String], _ environment: [String: String] = ["PULSE_TOKEN": "env-token"],
                       tokenFile: String = noTokenFile) throws -> AgentConfiguration {
        let command = try AgentConfiguration.parse(arguments: arguments, environment: environment,
                                                   defaultTokenFile: tokenFile)
        guard case .run(let configuration) = command else {
            Issue.record("expected a run command, got \(command)")
            throw ConfigurationError.invalid("not a run command")
        }
        return configuration
    }

    func error(_ arguments: [String], _ environment: [String: String] = ["PULSE_TOKEN": "t"]) -> ConfigurationError? {
        do {
            _ = try AgentConfiguration.parse(arguments: arguments, environment: environment,
                                             defaultTokenFile: Self.noTokenFile)
            return nil
        } catch {
            return error
        }
    }

    @Test func defaults() throws {
        let config = try configuration([])
        #expect(config.url == "http://localhost:7655")
        #expect(config.token == "env-token")
        #expect(config.interval == .seconds(30) && config.intervalSeconds == 30)
        #expect(config.hostnameOverride == nil && config.agentIDOverride == nil && config.reportIP == nil)
        #expect(!config.insecureSkipVerify && !config.once && !config.selfTest)
        #expect(config.logLevel == .info && config.logFormat == .json)
        #expect(config.diskExclude.isEmpty && config.tags.isEmpty)
        #expect(config.hostFS == HostFS(procfs: "/proc", sysfs: "/sys", rootfs: "/", etc: "/etc"))
        #expect(config.warnings.isEmpty)
    }

    @Test func flagBeatsEnvironmentBeatsDefault() throws {
        let environment = ["PULSE_TOKEN": "t", "PULSE_URL": "https://env.example:7655///", "PULSE_HOSTNAME": "env-host",
                           "PULSE_AGENT_ID": "env-id", "PULSE_REPORT_IP": "10.0.0.9", "LOG_LEVEL": "warn",
                           "PULSE_INTERVAL": "45s"]
        let fromEnvironment = try configuration([], environment)
        #expect(fromEnvironment.url == "https://env.example:7655")
        #expect(fromEnvironment.hostnameOverride == "env-host")
        #expect(fromEnvironment.agentIDOverride == "env-id")
        #expect(fromEnvironment.reportIP == "10.0.0.9")
        #expect(fromEnvironment.logLevel == .warn)
        #expect(fromEnvironment.interval == .seconds(45))

        let fromFlags = try configuration(["--url", "http://flag.example/", "--hostname=flag-host", "--agent-id",
                                           "flag-id", "--report-ip=192.168.1.2", "--log-level", "debug",
                                           "--interval=1m"], environment)
        #expect(fromFlags.url == "http://flag.example")
        #expect(fromFlags.hostnameOverride == "flag-host")
        #expect(fromFlags.agentIDOverride == "flag-id")
        #expect(fromFlags.reportIP == "192.168.1.2")
        #expect(fromFlags.logLevel == .debug)
        #expect(fromFlags.interval == .seconds(60))
    }

    @Test func goStyleSingleDashAndLastValueWins() throws {
        let config = try configuration(["-url=http://a", "-interval", "10", "--url", "http://b"])
        #expect(config.url == "http://b")
        #expect(config.interval == .seconds(10))
    }

    @Test(arguments: [("30s", 30_000), ("1m", 60_000), ("30", 30_000), ("1m30s", 90_000), ("2h", 7_200_000),
                      ("1.5", 1_500), ("1500ms", 1_500), (" 45s ", 45_000)] as [(String, Int64)])
    func intervals(_ text: String, _ milliseconds: Int64) throws {
        #expect(try configuration(["--interval", text]).interval == .milliseconds(milliseconds))
        #expect(try configuration([], ["PULSE_TOKEN": "t", "PULSE_INTERVAL": text]).interval == .milliseconds(milliseconds))
    }

    @Test(arguments: ["abc", "0", "-5", "500ms", "10x", "", "1m-", "s"])
    func invalidIntervalFlagIsFatal(_ text: String) {
        let failure = error(["--interval=\(text)"])
        #expect(failure?.exitCode == 1)
        #expect(failure?.message.contains("invalid --interval") == true)
    }

    @Test func invalidIntervalEnvironmentFallsBackWithAWarning() throws {
        let config = try configuration([], ["PULSE_TOKEN": "t", "PULSE_INTERVAL": "soon"])
        #expect(config.interval == .seconds(30))
        #expect(config.warnings.contains { $0.contains("PULSE_INTERVAL") })
    }

    @Test func intervalSecondsRounds() throws {
        #expect(try configuration(["--interval=1.5"]).intervalSeconds == 2)
        #expect(try configuration(["--interval=90s"]).intervalSeconds == 90)
    }

    @Test func booleans() throws {
        #expect(try configuration(["--insecure"]).insecureSkipVerify)
        #expect(try configuration(["--insecure=true"]).insecureSkipVerify)
        #expect(!(try configuration(["--insecure=false"], ["PULSE_TOKEN": "t", "PULSE_INSECURE_SKIP_VERIFY": "1"])
                    .insecureSkipVerify), "a flag overrides the environment")
        for truthy in ["1", "true", "YES", "y", "on"] {
            #expect(try configuration([], ["PULSE_TOKEN": "t", "PULSE_INSECURE_SKIP_VERIFY": truthy]).insecureSkipVerify)
        }
        for falsy in ["0", "false", "no", "maybe", ""] {
            #expect(!(try configuration([], ["PULSE_TOKEN": "t", "PULSE_INSECURE_SKIP_VERIFY": falsy]).insecureSkipVerify))
        }
        #expect(error(["--insecure=maybe"])?.exitCode == 2)
        #expect(error(["--insecure", "false"])?.exitCode == 2, "a boolean takes no separate argument, as in Go")
    }

    @Test func repeatableListsPutEnvironmentFirst() throws {
        let environment = ["PULSE_TOKEN": "t", "PULSE_TAGS": " prod, eu ,,web", "PULSE_DISK_EXCLUDE": "/mnt/*, sdb"]
        let config = try configuration(["--tag", "web", "--tag=db", "--tag", " prod ", "--disk-exclude", "*scratch*",
                                        "--disk-exclude=/boot"], environment)
        #expect(config.tags == ["prod", "eu", "web", "db"])
        #expect(config.diskExclude == ["/mnt/*", "sdb", "*scratch*", "/boot"])
    }

    @Test func hostPaths() throws {
        let fromEnvironment = try configuration([], ["PULSE_TOKEN": "t", "HOST_PROC": "/host/proc", "HOST_SYS": "/host/sys",
                                                     "HOST_ROOT": "/host"])
        #expect(fromEnvironment.hostFS == HostFS(procfs: "/host/proc", sysfs: "/host/sys", rootfs: "/host",
                                                 etc: "/host/etc"))
        let mixed = try configuration(["--path.procfs=/p", "--path.rootfs", "/r"],
                                      ["PULSE_TOKEN": "t", "HOST_PROC": "/host/proc", "HOST_ETC": "/e"])
        #expect(mixed.hostFS == HostFS(procfs: "/p", sysfs: "/sys", rootfs: "/r", etc: "/e"))
    }

    @Test func logging() throws {
        let unknown = try configuration(["--log-level=verbose"])
        #expect(unknown.logLevel == .info && unknown.warnings.contains { $0.contains("verbose") })
        #expect(try configuration(["--log-format", "TEXT"]).logFormat == .text)
        #expect(try configuration([], ["PULSE_TOKEN": "t", "LOG_LEVEL": "error"]).logLevel == .error)
        #expect(error(["--log-format=xml"])?.exitCode == 1)
    }

    @Test func tokenOrder() throws {
        let directory = try TestSupport.temporaryDirectory()
        defer { TestSupport.remove(directory) }
        let flagFile = directory + "/flag-token"
        let defaultFile = directory + "/default-token"
        try TestSupport.write("  file-token\n", to: flagFile)
        try TestSupport.write("default-token\n", to: defaultFile)
        let environment = ["PULSE_TOKEN": "env-token"]

        #expect(try configuration(["--token", "flag-token", "--token-file", flagFile], environment,
                                  tokenFile: defaultFile).token == "flag-token")
        #expect(try configuration(["--token-file", flagFile], environment, tokenFile: defaultFile).token == "file-token")
        #expect(try configuration([], environment, tokenFile: defaultFile).token == "env-token")
        #expect(try configuration([], [:], tokenFile: defaultFile).token == "default-token")
        #expect(try configuration(["--token="], [:], tokenFile: defaultFile).token == "default-token",
                "an empty flag counts as absent")

        let missing = try? AgentConfiguration.parse(arguments: ["--token-file", directory + "/nope"], environment: [:])
        #expect(missing == nil)
        try TestSupport.write("\n", to: directory + "/empty")
        do {
            _ = try AgentConfiguration.parse(arguments: ["--token-file", directory + "/empty"], environment: environment)
            Issue.record("an empty token file must be rejected")
        } catch {
            #expect(error.exitCode == 1 && error.message.contains("empty"))
        }
    }

    @Test func missingTokenExplainsHowToSupplyOne() {
        let failure = error([], [:])
        #expect(failure?.exitCode == 1)
        for hint in ["--token", "--token-file", "PULSE_TOKEN", Self.noTokenFile] {
            #expect(failure?.message.contains(hint) == true)
        }
    }

    @Test func onceAndSelfTestNeedNoToken() throws {
        let once = try configuration(["--once"], [:])
        #expect(once.once && once.token == nil)
        #expect(try configuration(["--self-test"], [:]).selfTest)
    }

    @Test func helpAndVersion() throws {
        for arguments in [["--help"], ["-h"], ["-help"], ["--url", "x", "--help"]] {
            #expect(try AgentConfiguration.parse(arguments: arguments, environment: [:]) == .help)
        }
        #expect(try AgentConfiguration.parse(arguments: ["--version"], environment: [:]) == .version)
    }

    @Test func usageErrors() {
        for arguments in [["--bogus"], ["--url"], ["positional"], ["--", "extra"], ["---url=x"], ["-"], ["--=x"]] {
            let failure = error(arguments)
            #expect(failure?.exitCode == 2, "\(arguments)")
            #expect(failure?.message.contains("--help") == true)
        }
        #expect(error(["--bogus=1"])?.message.hasPrefix("unknown flag: --bogus\n") == true)
    }

    @Test func invalidURL() {
        for url in ["ftp://hub", "hub:7655", "http://", " "] {
            #expect(error(["--url", url])?.exitCode == 1, "\(url)")
        }
    }

    @Test func referenceFlagsForMissingFeaturesAreAcceptedAndIgnored() throws {
        let config = try configuration(["--enable-proxmox", "--proxmox-type", "pve", "--enable-commands",
                                        "--disable-auto-update"])
        #expect(config.warnings.count == 3)
        #expect(config.warnings.allSatisfy { $0.contains("ignored") })
        #expect(config.disableAutoUpdate, "--disable-auto-update is a real flag")
    }

    @Test func moduleFlags() throws {
        let config = try configuration(["--enable-docker", "--docker-runtime", "podman", "--enable-host=false",
                                        "--kube-include-namespace=a", "--kube-include-namespace", "b,c",
                                        "--kube-exclude-namespace", "kube-*", "--enable-kubernetes",
                                        "--kubeconfig", "/k.yaml", "--kube-context", "lab", "--kube-max-pods", "0",
                                        "--kube-include-all-pods", "--docker-timeout", "2s"])
        #expect(config.warnings.isEmpty)
        #expect(config.enableHost == false && config.enableDocker == true && config.enableKubernetes)
        #expect(config.docker.runtime == .podman && config.docker.containerTimeout == .seconds(2))
        #expect(config.kubernetes.includeNamespaces == ["a", "b", "c"])
        #expect(config.kubernetes.excludeNamespaces == ["kube-*"])
        #expect(config.kubernetes.kubeconfig == "/k.yaml" && config.kubernetes.context == "lab")
        #expect(config.kubernetes.maxPods == 200 && config.kubernetes.includeAllPods)
        #expect(error(["--docker-runtime", "lxc"])?.exitCode == 1)
        let auto = try configuration([])
        #expect(auto.enableDocker == nil && auto.enableHost && !auto.enableKubernetes)
    }

    @Test func usageListsEveryFlagWithItsEnvironmentVariable() {
        let usage = AgentConfiguration.usage
        for flag in ["--url", "--token", "--token-file", "--interval", "--hostname", "--agent-id", "--insecure",
                     "--log-level", "--log-format", "--disk-exclude", "--tag", "--report-ip", "--path.procfs",
                     "--path.sysfs", "--path.rootfs", "--once", "--self-test", "--version", "--help",
                     "--enable-docker", "--docker-runtime", "--enable-kubernetes", "--kubeconfig", "--kube-context",
                     "--kube-include-namespace", "--kube-exclude-namespace", "--kube-max-pods"] {
            #expect(usage.contains("  " + flag), "\(flag)")
        }
        for environment in ["PULSE_URL", "PULSE_TOKEN", "PULSE_INTERVAL", "PULSE_HOSTNAME", "PULSE_AGENT_ID",
                            "PULSE_INSECURE_SKIP_VERIFY", "LOG_LEVEL", "PULSE_DISK_EXCLUDE", "PULSE_TAGS",
                            "PULSE_REPORT_IP", "HOST_PROC", "HOST_SYS", "HOST_ROOT", "HOST_ETC"] {
            #expect(usage.contains(environment), "\(environment)")
        }
        #expect(usage.contains("default http://localhost:7655") && usage.contains("default 30s"))
    }
}
