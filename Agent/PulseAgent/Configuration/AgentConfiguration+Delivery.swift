import PulseCommon

extension AgentConfiguration {
    /// TLS trust, the spool, the health server, collectors and remote config.
    static func resolveDelivery(_ flags: ParsedFlags, environment: [String: String],
                                into config: inout AgentConfiguration) throws(ConfigurationError) {
        func env(_ name: String) -> String? {
            guard let value = environment[name]?.trimmingWhitespace(), !value.isEmpty else { return nil }
            return value
        }

        // TLS: a CA bundle and a pinned certificate.
        if let path = nonEmpty(flags.value("cacert")) ?? env("PULSE_CACERT") {
            let text: String
            do {
                text = try HostFS().read(path, limit: 4 << 20)
            } catch {
                throw .invalid("cannot read --cacert: \(error)")
            }
            guard text.contains("-----BEGIN CERTIFICATE-----") else {
                throw .invalid("--cacert \(path) holds no PEM certificate (-----BEGIN CERTIFICATE-----)")
            }
            config.caFile = path
        }
        if let text = nonEmpty(flags.value("fingerprint")) ?? env("PULSE_FINGERPRINT") {
            guard let fingerprint = CertificateFingerprint(text) else {
                throw .invalid("invalid --fingerprint \"\(text)\": expected the hub certificate's SHA-256 as 64 hex "
                               + "digits, colons optional (openssl x509 -noout -fingerprint -sha256 -in CERT)")
            }
            guard config.url.lowercased().hasPrefix("https://") else {
                throw .invalid("--fingerprint pins the hub's TLS certificate: it needs an https:// --url")
            }
            if config.insecureSkipVerify {
                config.warnings.append("--insecure is ignored: --fingerprint pins the hub's certificate")
            }
            config.fingerprint = fingerprint
        }

        // Spool.
        if let directory = flags.value("spool-dir") ?? env("PULSE_SPOOL_DIR") {
            guard let trimmed = nonEmpty(directory) else { throw .invalid("--spool-dir is empty") }
            config.spoolDirectory = trimmed
        }
        let maxReports = try number(flags, environment, flag: "spool-max-reports", variable: "PULSE_SPOOL_MAX_REPORTS",
                                    warnings: &config.warnings) { Int($0).flatMap { $0 >= 1 ? $0 : nil } }
        let maxBytes = try number(flags, environment, flag: "spool-max-bytes", variable: "PULSE_SPOOL_MAX_BYTES",
                                  warnings: &config.warnings) {
            SpoolBounds.parseSize($0).flatMap { $0 >= 1 ? $0 : nil }
        }
        config.spoolBounds = SpoolBounds(maxReports: maxReports ?? SpoolBounds.defaultMaxReports,
                                         maxBytes: maxBytes ?? SpoolBounds.defaultMaxBytes)

        // Health server: an empty flag *or* an empty (but set) variable disables it.
        if let text = flags.value("health-addr") {
            if text.trimmingWhitespace().isEmpty {
                config.healthAddress = nil
            } else {
                guard let address = HealthAddress(text) else {
                    throw .invalid("invalid --health-addr \"\(text)\": use HOST:PORT with a numeric IP or localhost "
                                   + "(127.0.0.1:9191, [::1]:9191, :9191 for all interfaces), or \"\" to disable")
                }
                config.healthAddress = address
            }
        } else if let text = environment["PULSE_HEALTH_ADDR"] {
            if text.trimmingWhitespace().isEmpty {
                config.healthAddress = nil
            } else if let address = HealthAddress(text) {
                config.healthAddress = address
            } else {
                config.warnings.append("invalid PULSE_HEALTH_ADDR \"\(text)\"; using \(HealthAddress.defaultValue)")
            }
        }

        // Collectors.
        var disabled = EnvValue.list(environment["PULSE_DISABLE_COLLECTORS"])
            + flags.values("disable-collector").flatMap { EnvValue.list($0) }
        if flags.bool("disable-ceph") ?? EnvValue.bool(environment["PULSE_DISABLE_CEPH"]) ?? false {
            disabled.append("ceph")
        }
        config.disabledCollectors = deduplicated(disabled)

        // Self-update.
        config.disableAutoUpdate = flags.bool("disable-auto-update") ?? EnvValue.bool(environment["PULSE_DISABLE_AUTO_UPDATE"]) ?? false
        if let text = flags.value("update-interval") ?? env("PULSE_UPDATE_INTERVAL") {
            if let duration = EnvValue.duration(text), duration >= .seconds(1) {
                config.updateInterval = duration
            } else if flags.value("update-interval") != nil {
                throw .invalid("invalid --update-interval \"\(text)\": use a duration such as 1h")
            } else {
                config.warnings.append("invalid PULSE_UPDATE_INTERVAL \"\(text)\"; using 1h")
            }
        }

        // Remote config.
        if let text = flags.value("remote-config-interval") ?? env("PULSE_REMOTE_CONFIG_INTERVAL") {
            if let duration = EnvValue.duration(text), duration == .zero {
                config.remoteConfigInterval = nil
            } else if let duration = EnvValue.duration(text), duration >= .seconds(1) {
                config.remoteConfigInterval = duration
            } else if flags.value("remote-config-interval") != nil {
                throw .invalid("invalid --remote-config-interval \"\(text)\": use a duration such as 5m, or 0 to "
                               + "disable remote config")
            } else {
                config.warnings.append("invalid PULSE_REMOTE_CONFIG_INTERVAL \"\(text)\"; using 5m")
            }
        }
    }

    /// A numeric flag (fatal when invalid) or variable (a warning and the default when invalid).
    private static func number(_ flags: ParsedFlags, _ environment: [String: String], flag: String, variable: String,
                               warnings: inout [String], parse: (String) -> Int?) throws(ConfigurationError) -> Int? {
        if let text = flags.value(flag) {
            guard let value = parse(text.trimmingWhitespace()) else {
                throw .invalid("invalid --\(flag) \"\(text)\": expected a positive number")
            }
            return value
        }
        guard let text = environment[variable]?.trimmingWhitespace(), !text.isEmpty else { return nil }
        guard let value = parse(text) else {
            warnings.append("invalid \(variable) \"\(text)\"; using the default")
            return nil
        }
        return value
    }
}
