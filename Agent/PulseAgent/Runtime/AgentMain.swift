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
    static let shutdownGrace = Duration.seconds(2)

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
            return run(configuration)
        }
    }

    static func run(_ configuration: AgentConfiguration) -> Int32 {
        let logger = Logger(level: configuration.logLevel, format: configuration.logFormat, component: "agent")
        for warning in configuration.warnings { logger.warn(warning) }
        if configuration.selfTest {
            logger.info("self-test passed", ["version": pulseAgentVersion])
            return 0
        }

        let system = SystemProbes.live(for: configuration.hostFS)
        let identity = AgentIdentity.resolve(agentIDOverride: configuration.agentIDOverride,
                                             hostnameOverride: configuration.hostnameOverride,
                                             fs: configuration.hostFS, system: system)
        let setup = HostModuleSetup(configuration: configuration, identity: identity, system: system,
                                    logger: logger.with(component: "host"))
        if configuration.once { return printOneReport(setup) }
        guard let token = configuration.token else { return 1 }  // parse() guarantees a token outside --once

        TerminationSignals.block()
        logger.info("pulse-agent starting", [
            "version": pulseAgentVersion, "url": configuration.url, "agentId": identity.agentID,
            "hostname": identity.hostname, "interval": "\(configuration.intervalSeconds)s",
            "insecureSkipVerify": String(configuration.insecureSkipVerify),
        ])
        let stop = StopSignal()
        let worker: WorkerThread
        do {
            worker = try WorkerThread {
                let transport = HTTPReportTransport(baseURL: configuration.url, token: token,
                                                    insecureSkipVerify: configuration.insecureSkipVerify,
                                                    logger: setup.logger)
                HostModule(builder: setup.makeBuilder(), transport: transport,
                           undelivered: DiscardingReportStore(logger: setup.logger),
                           interval: configuration.interval, stop: stop, logger: setup.logger).run()
            }
        } catch {
            logger.error("cannot start the host module", ["error": "\(error)"])
            return 1
        }

        let signal = TerminationSignals.wait()
        logger.info("stopping", ["signal": TerminationSignals.name(signal)])
        stop.request()
        if !worker.join(timeout: shutdownGrace) {
            logger.warn("host module still busy (a send in flight); exiting without waiting")
        }
        logger.info("pulse-agent stopped")
        return 0
    }

    /// `--once`: one report as indented JSON with sorted keys on stdout.
    static func printOneReport(_ setup: HostModuleSetup) -> Int32 {
        let report = setup.makeBuilder().build(now: Date())
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

/// Everything needed to build the host module's report builder on its own thread.
struct HostModuleSetup: Sendable {
    let metadata: HostReportBuilder.Metadata
    let diskExclude: [String]
    let fs: HostFS
    let system: SystemProbes
    let logger: Logger
    let sequence = SequenceCounter()

    init(configuration: AgentConfiguration, identity: AgentIdentity, system: SystemProbes, logger: Logger) {
        metadata = HostReportBuilder.Metadata(identity: identity, version: pulseAgentVersion,
                                              intervalSeconds: configuration.intervalSeconds,
                                              tags: configuration.tags, reportIP: configuration.reportIP)
        diskExclude = configuration.diskExclude
        fs = configuration.hostFS
        self.system = system
        self.logger = logger
    }

    func makeBuilder() -> HostReportBuilder {
        HostReportBuilder(metadata: metadata, collectors: HostReportBuilder.standardCollectors(diskExclude: diskExclude),
                          fs: fs, system: system, logger: logger, sequence: sequence)
    }
}
