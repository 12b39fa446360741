import PulseCommon
import Testing
@testable import PulseAgent

/// The flags of the spool, the health server, collectors and remote config.
struct DeliveryConfigurationTests {
    func configuration(_ arguments: [String], _ environment: [String: String] = [:]) throws -> AgentConfiguration {
        var environment = environment
        environment["PULSE_TOKEN"] = environment["PULSE_TOKEN"] ?? "t"
        guard case .run(let config) = try AgentConfiguration.parse(arguments: arguments, environment: environment,
                                                                   defaultTokenFile: "/nonexistent/token") else {
            throw ConfigurationError.invalid("not a run command")
        }
        return config
    }

    func error(_ arguments: [String], _ environment: [String: String] = [:]) -> ConfigurationError? {
        do {
            _ = try configuration(arguments, environment)
            return nil
        } catch {
            return error as? ConfigurationError
        }
    }

    @Test func defaults() throws {
        let config = try configuration([])
        #expect(config.spoolDirectory == "/var/lib/pulse-agent/spool")
        #expect(config.spoolBounds == SpoolBounds(maxReports: 2880, maxBytes: 64 << 20))
        #expect(config.healthAddress == HealthAddress(host: "127.0.0.1", port: 9191))
        #expect(config.disabledCollectors.isEmpty && config.remoteConfigInterval == .seconds(300))
        #expect(config.caFile == nil && config.fingerprint == nil && config.warnings.isEmpty)
    }

    @Test func spool() throws {
        let config = try configuration(["--spool-dir", "/tmp/s", "--spool-max-reports=10", "--spool-max-bytes", "1MiB"])
        #expect(config.spoolDirectory == "/tmp/s" && config.spoolBounds == SpoolBounds(maxReports: 10, maxBytes: 1 << 20))
        let fromEnvironment = try configuration([], ["PULSE_SPOOL_DIR": "/srv/spool", "PULSE_SPOOL_MAX_REPORTS": "5",
                                                     "PULSE_SPOOL_MAX_BYTES": "4096"])
        #expect(fromEnvironment.spoolDirectory == "/srv/spool")
        #expect(fromEnvironment.spoolBounds == SpoolBounds(maxReports: 5, maxBytes: 4096))
        #expect(try configuration(["--spool-dir", "/a"], ["PULSE_SPOOL_DIR": "/b"]).spoolDirectory == "/a")
        #expect(error(["--spool-max-reports", "0"])?.exitCode == 1)
        #expect(error(["--spool-max-bytes", "lots"])?.exitCode == 1)
        #expect(error(["--spool-dir="])?.exitCode == 1)
        let badEnvironment = try configuration([], ["PULSE_SPOOL_MAX_REPORTS": "-3"])
        #expect(badEnvironment.spoolBounds.maxReports == 2880)
        #expect(badEnvironment.warnings.contains { $0.contains("PULSE_SPOOL_MAX_REPORTS") })
    }

    @Test func healthAddress() throws {
        #expect(try configuration(["--health-addr", ":9300"]).healthAddress == HealthAddress(host: "0.0.0.0", port: 9300))
        #expect(try configuration(["--health-addr="]).healthAddress == nil, "--health-addr=\"\" disables it")
        #expect(try configuration(["--health-addr", ""]).healthAddress == nil)
        #expect(try configuration([], ["PULSE_HEALTH_ADDR": ""]).healthAddress == nil,
                "an empty variable disables it too (the reference cannot)")
        #expect(try configuration([], ["PULSE_HEALTH_ADDR": "[::1]:9400"]).healthAddress?.description == "[::1]:9400")
        #expect(try configuration(["--health-addr", "127.0.0.1:9500"], ["PULSE_HEALTH_ADDR": ""]).healthAddress?.port == 9500)
        #expect(error(["--health-addr", "everywhere"])?.exitCode == 1)
        let badEnvironment = try configuration([], ["PULSE_HEALTH_ADDR": "nowhere"])
        #expect(badEnvironment.healthAddress?.port == 9191 && badEnvironment.warnings.count == 1)
    }

    @Test func collectorsAndRemoteConfig() throws {
        let config = try configuration(["--disable-ceph", "--disable-collector", "sensors.smart,raid",
                                        "--disable-collector=raid"], ["PULSE_DISABLE_COLLECTORS": "sensors.power"])
        #expect(config.disabledCollectors == ["sensors.power", "sensors.smart", "raid", "ceph"])
        #expect(config.runtimeSettings.disables("ceph") && config.runtimeSettings.disables("raid.mdadm"))
        #expect(try configuration([], ["PULSE_DISABLE_CEPH": "yes"]).disabledCollectors == ["ceph"])
        #expect(try configuration(["--disable-ceph=false"], ["PULSE_DISABLE_CEPH": "1"]).disabledCollectors.isEmpty)
        #expect(try configuration(["--remote-config-interval", "0"]).remoteConfigInterval == nil)
        #expect(try configuration([], ["PULSE_REMOTE_CONFIG_INTERVAL": "90s"]).remoteConfigInterval == .seconds(90))
        #expect(error(["--remote-config-interval", "often"])?.exitCode == 1)
    }

    @Test func helpListsTheNewFlags() {
        let usage = AgentConfiguration.usage
        for flag in ["--cacert FILE", "--fingerprint SHA256", "--spool-dir DIR", "--spool-max-reports N",
                     "--spool-max-bytes SIZE", "--health-addr ADDR", "--disable-collector NAME", "--disable-ceph",
                     "--remote-config-interval DURATION"] {
            #expect(usage.contains("  " + flag + "\n"), "\(flag)")
        }
        for name in ["PULSE_CACERT", "PULSE_FINGERPRINT", "PULSE_SPOOL_DIR", "PULSE_SPOOL_MAX_REPORTS",
                     "PULSE_SPOOL_MAX_BYTES", "PULSE_HEALTH_ADDR", "PULSE_DISABLE_COLLECTORS", "PULSE_DISABLE_CEPH",
                     "PULSE_REMOTE_CONFIG_INTERVAL", "HTTPS_PROXY", "NO_PROXY", "NOTIFY_SOCKET"] {
            #expect(usage.contains(name), "\(name)")
        }
        #expect(usage.contains("default 127.0.0.1:9191") && usage.contains("default 2880"))
        #expect(!usage.contains("--health-addr,"), "no longer in the ignored list")
    }
}
