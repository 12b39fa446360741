#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif
import PulseCommon

/// The agent program: parse the configuration, then print help or the version, run one report (`--once`), or
/// run the host module until SIGTERM/SIGINT. Returns the process exit status.
public enum AgentMain {
    /// How long a stop waits for an in-flight collection or send before the process exits anyway.
    static let shutdownGrace = Duration.seconds(5)

    public static func run(arguments: [String], environment: [String: String]) -> Int32 {
        let command: AgentCommand
        do {
            command = try AgentConfiguration.parse(arguments: arguments, environment: environment)
        } catch {
            writeStandardError("pulse-agent: \(error.message)\n")
            return error.exitCode
        }
        switch command {
        case .help:
            writeStandardOutput(AgentConfiguration.usage)
            return 0
        case .version:
            writeStandardOutput(pulseAgentVersion + "\n")
            return 0
        case .run(let configuration):
            return run(configuration, environment: environment)
        }
    }

    static func run(_ configuration: AgentConfiguration, environment: [String: String] = [:]) -> Int32 {
        let logger = Logger(level: configuration.logLevel, format: configuration.logFormat, component: "agent")
        for warning in configuration.warnings { logger.warn(warning) }
        if configuration.selfTest {
            logger.info("self-test passed", ["version": pulseAgentVersion])
            return 0
        }

        // A hung network mount must not stall a report: statvfs runs with a time limit per mount.
        let watchdog = StatfsWatchdog(logger: logger.with(component: "host"))
        let system = watchdog.guarding(SystemProbes.live(for: configuration.hostFS))
        let identity = AgentIdentity.resolve(agentIDOverride: configuration.agentIDOverride,
                                             hostnameOverride: configuration.hostnameOverride,
                                             fs: configuration.hostFS, system: system)
        let dockerEnabled = configuration.enableDocker ?? dockerBinaryOnPath(environment)
        if configuration.once {
            if !configuration.enableHost && dockerEnabled {
                return printOneDockerReport(configuration, identity: identity, system: system, logger: logger)
            }
            if !configuration.enableHost && configuration.enableKubernetes {
                return printOneKubernetesReport(configuration, identity: identity, logger: logger)
            }
            let setup = HostModuleSetup(configuration: configuration, identity: identity, system: system,
                                        logger: logger.with(component: "host"))
            return printOneReport(setup, settings: configuration.runtimeSettings)
        }
        guard let token = configuration.token else { return 1 }  // parse() guarantees a token outside --once

        HubConnection.exportProxyEnvironment(environment) { name, value in _ = setenv(name, value, 0) }
        TerminationSignals.block()
        var startFields = [
            "version": pulseAgentVersion, "url": configuration.url, "agentId": identity.agentID,
            "hostname": identity.hostname, "interval": "\(configuration.intervalSeconds)s",
            "insecureSkipVerify": String(configuration.insecureSkipVerify),
            "health": configuration.healthAddress?.description ?? "disabled",
        ]
        if let caFile = configuration.caFile { startFields["cacert"] = caFile }
        if let pin = configuration.fingerprint { startFields["fingerprint"] = pin.description }
        if let proxy = HubConnection.proxySummary(environment) { startFields["proxy"] = proxy }
        logger.info("pulse-agent starting", startFields)

        let executable = AgentUpdater.currentExecutable()
        let updatedFrom = executable.flatMap(AgentUpdater.takeUpdatedFrom(executablePath:))
        if let updatedFrom { logger.info("updated by the hub", ["from": updatedFrom, "to": pulseAgentVersion]) }

        let spool = ReportSpool.open(directory: configuration.spoolDirectory, bounds: configuration.spoolBounds,
                                     logger: logger.with(component: "spool"))
        let metrics = AgentMetrics(spool: spool)
        let settings = LiveSettings(local: configuration.runtimeSettings, logger: logger, metrics: metrics)
        // sequenceId continues above anything still spooled, whatever the clock did meanwhile.
        let setup = HostModuleSetup(configuration: configuration, identity: identity, system: system,
                                    logger: logger.with(component: "host"), metrics: metrics,
                                    sequence: SequenceCounter(last: spool.highestSequence ?? 0), updatedFrom: updatedFrom)
        let connection = HubConnection(baseURL: configuration.url, token: token, tls: configuration.tls)
        let stop = StopSignal()
        let inFlight = InFlightReport()

        var health: HealthServer?
        if let address = configuration.healthAddress {
            do {
                let server = try HealthServer(address: address, metrics: metrics,
                                              logger: logger.with(component: "health"))
                try server.start()
                health = server
            } catch {
                logger.warn("cannot start the health server; reporting continues without it",
                            ["addr": address.description, "error": "\(error)"])
            }
        }

        var worker: WorkerThread?
        if configuration.enableHost {
            do {
                worker = try WorkerThread {
                    let transport = HTTPReportTransport(connection: connection, logger: setup.logger)
                    HostModule(makeBuilder: { setup.makeBuilder(for: $0) }, settings: settings, transport: transport,
                               spool: spool, stop: stop, logger: setup.logger, metrics: metrics, inFlight: inFlight).run()
                }
            } catch {
                logger.error("cannot start the host module", ["error": "\(error)"])
                return 1
            }
        }
        var modules: [WorkerThread] = []
        if dockerEnabled {
            let dockerSetup = dockerModuleSetup(configuration, identity: identity, system: system, settings: settings)
            let dockerLogger = logger.with(component: "docker")
            do {
                modules.append(try WorkerThread {
                    let sender = ModuleReportSender(connection: connection,
                                                    userAgent: "pulse-docker-agent/\(pulseAgentVersion)")
                    DockerModule(setup: dockerSetup, sender: sender, stop: stop, logger: dockerLogger,
                                 metrics: metrics).run()
                })
            } catch {
                dockerLogger.error("cannot start the docker module", ["error": "\(error)"])
            }
        }
        if configuration.enableKubernetes {
            let kubeLogger = logger.with(component: "kubernetes")
            let kubeSettings = configuration.kubernetes
            do {
                modules.append(try WorkerThread {
                    let sender = ModuleReportSender(connection: connection,
                                                    userAgent: "pulse-kubernetes-agent/\(pulseAgentVersion)")
                    KubernetesModule(settings: kubeSettings, identity: identity, interval: { settings.current.interval },
                                     sender: sender, stop: stop, logger: kubeLogger, metrics: metrics).run()
                })
            } catch {
                kubeLogger.error("cannot start the kubernetes module", ["error": "\(error)"])
            }
        }
        if let period = configuration.remoteConfigInterval {
            let remoteLogger = logger.with(component: "remote-config")
            do {
                _ = try WorkerThread {
                    RemoteConfigPoller(connection: connection, identity: identity, settings: settings, metrics: metrics,
                                       period: period, logger: remoteLogger).run(stop: stop)
                }
            } catch {
                remoteLogger.warn("cannot start remote config; using the local configuration only",
                                  ["error": "\(error)"])
            }
        }
        if !configuration.disableAutoUpdate, pulseAgentVersion != "dev", let executable {
            let updateLogger = logger.with(component: "update")
            let arguments = Array(CommandLine.arguments.dropFirst())
            let interval = configuration.updateInterval
            let healthServer = health
            let hostWorker = worker
            let moduleWorkers = modules
            do {
                _ = try WorkerThread {
                    let updater = AgentUpdater(connection: connection, executablePath: executable, arguments: arguments,
                                               environment: environment, interval: interval, logger: updateLogger)
                    updater.run(stop: stop, firstCheckAfter: min(.seconds(5), interval)) { reason in
                        updateLogger.info("restarting into the new agent", ["reason": reason])
                        stop.request()
                        if let hostWorker, !hostWorker.join(timeout: shutdownGrace), let report = inFlight.take() {
                            spool.keep(report, failure: .stopping)
                        }
                        for module in moduleWorkers { _ = module.join(timeout: shutdownGrace) }
                        healthServer?.shutdown()
                        TerminationSignals.unblock()
                        updater.execute()
                    }
                }
            } catch {
                updateLogger.warn("cannot start the updater; the agent will not update itself", ["error": "\(error)"])
            }
        }
        let systemd = SystemdNotify(environment: environment)
        systemd.ready(status: "reporting to \(configuration.url) every \(configuration.intervalSeconds)s")

        let signal = TerminationSignals.wait()
        systemd.stopping()
        metrics.markDown()
        logger.info("stopping", ["signal": TerminationSignals.name(signal)])
        stop.request()
        for module in modules { _ = module.join(timeout: shutdownGrace) }
        if let worker, !worker.join(timeout: shutdownGrace) {
            if let report = inFlight.take() {
                spool.keep(report, failure: .stopping)
                logger.warn("a report send was still in flight at stop; the report is spooled for the next start",
                            ["sequenceId": report.sequenceId ?? ""])
            } else {
                logger.warn("host module still busy; exiting without waiting")
            }
        }
        health?.shutdown()
        logger.info("pulse-agent stopped")
        return 0
    }

    /// `--once`: one report as indented JSON with sorted keys on stdout.
    static func printOneReport(_ setup: HostModuleSetup, settings: RuntimeSettings) -> Int32 {
        let report = setup.makeBuilder(for: settings).build(now: Date())
        let encoder = WireJSON.encoder(sorted: true)
        encoder.outputFormatting.insert(.prettyPrinted)
        do {
            let data = try encoder.encode(report)
            writeStandardOutput(String(decoding: data, as: UTF8.self) + "\n")
            return 0
        } catch {
            setup.logger.error("cannot encode the report", ["error": "\(error)"])
            return 1
        }
    }

    /// Whether `docker` or `podman` is on `PATH` (docker auto-enable, agent-protocol 1.3).
    static func dockerBinaryOnPath(_ environment: [String: String]) -> Bool {
        let path = environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        return path.split(separator: ":").contains { directory in
            ["docker", "podman"].contains { access("\(directory)/\($0)", X_OK) == 0 }
        }
    }

    static func dockerModuleSetup(_ configuration: AgentConfiguration, identity: AgentIdentity, system: SystemProbes,
                                  settings: LiveSettings?) -> DockerModule.Setup {
        let fs = configuration.hostFS
        let diskExclude = configuration.diskExclude
        let fixedInterval = configuration.interval
        let hostLogger = Logger(level: configuration.logLevel, format: configuration.logFormat, component: "docker-host")
        return DockerModule.Setup(
            settings: configuration.docker, identity: identity,
            interval: { settings?.current.interval ?? fixedInterval },
            makeHostBuilder: {
                let exclusions = ExclusionPatterns(diskExclude)
                let collectors: [any HostCollector] = [
                    KernelCollector(), UptimeCollector(), LoadAverageCollector(), CPUUsageCollector(),
                    MemoryCollector(), FilesystemCollector(exclusions: exclusions), NetworkCollector(),
                ]
                let metadata = HostReportBuilder.Metadata(identity: identity, version: pulseAgentVersion,
                                                          intervalSeconds: configuration.intervalSeconds, tags: [],
                                                          reportIP: nil)
                return HostReportBuilder(metadata: metadata, collectors: collectors, fs: fs, system: system,
                                         logger: hostLogger)
            })
    }

    /// `--once --enable-host=false` with docker: one docker report (two engine samples 1 s apart).
    static func printOneDockerReport(_ configuration: AgentConfiguration, identity: AgentIdentity,
                                     system: SystemProbes, logger: Logger) -> Int32 {
        let module = DockerModule(setup: dockerModuleSetup(configuration, identity: identity, system: system,
                                                           settings: nil),
                                  sender: nil, stop: StopSignal(), logger: logger.with(component: "docker"))
        do throws(EngineError) {
            let collector = try module.connect()
            return printJSON(try module.collect(collector, now: Date(), twice: true), logger: logger)
        } catch {
            logger.error("cannot collect the docker report", ["error": error.message])
            return 1
        }
    }

    /// `--once --enable-host=false --enable-kubernetes`: one Kubernetes report.
    static func printOneKubernetesReport(_ configuration: AgentConfiguration, identity: AgentIdentity,
                                         logger: Logger) -> Int32 {
        let module = KubernetesModule(settings: configuration.kubernetes, identity: identity,
                                      interval: { configuration.interval }, sender: nil, stop: StopSignal(),
                                      logger: logger.with(component: "kubernetes"))
        do throws(KubernetesError) {
            let collector = try module.connect()
            return printJSON(try collector.collect(now: Date()), logger: logger)
        } catch {
            logger.error("cannot collect the kubernetes report", ["error": error.message])
            return 1
        }
    }

    static func printJSON(_ value: some Encodable, logger: Logger) -> Int32 {
        let encoder = WireJSON.encoder(sorted: true)
        encoder.outputFormatting.insert(.prettyPrinted)
        do {
            writeStandardOutput(String(decoding: try encoder.encode(value), as: UTF8.self) + "\n")
            return 0
        } catch {
            logger.error("cannot encode the report", ["error": "\(error)"])
            return 1
        }
    }

    static func writeStandardOutput(_ text: String) { writeAll(text, to: 1) }
    static func writeStandardError(_ text: String) { writeAll(text, to: 2) }

    private static func writeAll(_ text: String, to fd: Int32) {
        let bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if written < 0 && errno == EINTR { continue }
            if written <= 0 { return }
            offset += written
        }
    }
}
