import Foundation
import PulseCommon

/// Hub settings, from the environment and `<data>/.env` (hub-api section 12). Process environment wins over
/// `.env`, as with the reference.
public struct HubConfiguration: Sendable {
    public var dataDirectory: String
    public var bindHost: String
    public var port: UInt16
    public var logLevel: LogLevel
    public var logFormat: LogFormat
    public var httpsEnabled: Bool
    public var tlsCertificateFile: String?
    public var tlsKeyFile: String?
    public var allowedOrigins: [String]
    /// Raw or SHA3-hex tokens from `API_TOKEN` / `API_TOKENS`.
    public var environmentTokens: [String]
    public var httpThreads: Int
    public var maxConnections: Int
    public var maxConnectionsPerIP: Int
    public var connectionTimeout: Duration
    /// Whether an administrator login (password, proxy auth) is configured; until then a bootstrap token exists.
    public var adminLoginConfigured: Bool
    public var deploymentType: String
    /// Metrics tier retention, from `PULSE_METRICS_RETENTION_*` or `system.json`'s `metricsRetention*` keys.
    public var metricsRetention: MetricsRetention
    /// Samples queued for the metrics writer before ingestion answers 503.
    public var metricsQueueLimit: Int
    /// `PULSE_AUTH_USER` / `PULSE_AUTH_PASS` (a plain password or a bcrypt hash).
    public var authUser: String?
    public var authPassword: String?
    /// Where to serve `/metrics` without authentication (`PULSE_METRICS_ADDR`); off when unset.
    public var metricsAddress: (host: String, port: UInt16)?
    /// Reverse proxies whose `X-Forwarded-For` / `X-Real-IP` are believed (`PULSE_TRUSTED_PROXY_CIDRS`).
    public var trustedProxies: [CIDR] = []
    /// Networks the security status calls trusted (`PULSE_TRUSTED_NETWORKS`).
    public var trustedNetworks: [CIDR] = []
    /// `PULSE_AUDIT_SIGNING_KEY`; a generated key file is used when unset.
    public var auditSigningKey: String?
    /// `PULSE_AUDIT_RETENTION_DAYS` (default 90).
    public var auditRetentionDays = 90
    /// Private networks audit webhooks may reach (`PULSE_WEBHOOK_ALLOWED_PRIVATE_CIDRS`).
    public var webhookAllowedPrivate: [CIDR] = []
    /// `PULSE_AGENT_CONNECT_URL` and `PULSE_PUBLIC_URL`.
    public var agentConnectURL: String?
    public var publicURL: String?
    /// `DISABLE_AUTH` is set: deprecated and ignored, reported by the security status.
    public var deprecatedDisableAuth = false
    /// Reverse-proxy authentication (`PROXY_AUTH_*`); nil when `PROXY_AUTH_SECRET` is unset.
    public var proxyAuth: ProxyAuthConfiguration?
    /// Where agent binaries are looked up (`PULSE_BIN_DIR` first).
    public var binDirectories: [String] = []
    /// Where install scripts are looked up (`PULSE_INSTALLERS_DIR` first).
    public var installerDirectories: [String] = []
    /// Where the web dashboard's files are looked up (`PULSE_WEB_DIR` first).
    public var webDirectories: [String] = []

    /// A configuration problem, with what to do about it.
    public struct Problem: Error, CustomStringConvertible, Sendable {
        public let description: String
    }

    /// Reads the configuration. `environment` is the process environment; `.env` values fill only unset keys.
    public static func load(environment: [String: String]) throws(Problem) -> HubConfiguration {
        var env = environment
        let dataDirectory = env["PULSE_DATA_DIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/etc/pulse"
        if let text = try? String(contentsOfFile: dataDirectory + "/.env", encoding: .utf8) {
            for (key, value) in EnvValue.parseDotEnv(text) where env[key] == nil { env[key] = value }
        }
        func integer(_ key: String, default value: Int, range: ClosedRange<Int>) throws(Problem) -> Int {
            guard let text = env[key], !text.isEmpty else { return value }
            guard let number = Int(text), range.contains(number) else {
                throw Problem(description: "\(key)=\(text) is invalid: expected a whole number in \(range.lowerBound)…\(range.upperBound)")
            }
            return number
        }
        let port = try integer("FRONTEND_PORT", default: try integer("PORT", default: 7655, range: 0...65535), range: 0...65535)
        var logLevel = LogLevel.info
        if let text = env["LOG_LEVEL"], !text.isEmpty {
            guard let level = LogLevel(name: text) else {
                throw Problem(description: "LOG_LEVEL=\(text) is invalid: use debug, info, warn or error")
            }
            logLevel = level
        }
        var logFormat = LogFormat.json
        if let text = env["LOG_FORMAT"], !text.isEmpty {
            guard let format = LogFormat(rawValue: text.lowercased()) else {
                throw Problem(description: "LOG_FORMAT=\(text) is invalid: use json or text")
            }
            logFormat = format
        }
        let https = EnvValue.bool(env["HTTPS_ENABLED"]) ?? false
        let cert = env["TLS_CERT_FILE"].flatMap { $0.isEmpty ? nil : $0 }
        let key = env["TLS_KEY_FILE"].flatMap { $0.isEmpty ? nil : $0 }
        if https, cert == nil || key == nil {
            throw Problem(description: "HTTPS_ENABLED is set but TLS_CERT_FILE and TLS_KEY_FILE are not both set")
        }
        let timeout = try integer("PULSE_HTTP_IDLE_TIMEOUT", default: 30, range: 1...3600)
        let adminConfigured = !(env["PULSE_AUTH_USER"] ?? "").isEmpty && !(env["PULSE_AUTH_PASS"] ?? "").isEmpty
            || !(env["PROXY_AUTH_SECRET"] ?? "").isEmpty
        let retention = try metricsRetention(env, dataDirectory: dataDirectory)
        func networks(_ key: String) throws(Problem) -> [CIDR] {
            let parsed = CIDR.parseList(env[key])
            guard parsed.invalid.isEmpty else {
                throw Problem(description: "\(key) has invalid entries \(parsed.invalid.joined(separator: ", ")): use addresses or CIDRs such as 10.0.0.0/8, separated by commas")
            }
            return parsed.networks
        }
        func url(_ key: String) throws(Problem) -> String? {
            guard let value = env[key]?.trimmingWhitespace(), !value.isEmpty else { return nil }
            guard value.hasPrefix("http://") || value.hasPrefix("https://"), value.utf8.count <= 2048,
                  !value.unicodeScalars.contains(where: { $0.value <= 0x20 }) else {
                throw Problem(description: "\(key)=\(value) is not an http(s) URL")
            }
            return value.hasSuffix("/") ? String(value.dropLast()) : value
        }
        var configuration = HubConfiguration(
            dataDirectory: dataDirectory,
            bindHost: env["BACKEND_HOST"].flatMap { $0.isEmpty ? nil : $0 } ?? "0.0.0.0",
            port: UInt16(port), logLevel: logLevel, logFormat: logFormat, httpsEnabled: https,
            tlsCertificateFile: cert, tlsKeyFile: key,
            allowedOrigins: EnvValue.list(env["ALLOWED_ORIGINS"]),
            environmentTokens: EnvValue.list(env["API_TOKEN"]) + EnvValue.list(env["API_TOKENS"]),
            httpThreads: try integer("PULSE_HTTP_THREADS", default: 8, range: 1...256),
            maxConnections: try integer("PULSE_HTTP_MAX_CONNECTIONS", default: 4096, range: 1...1_000_000),
            maxConnectionsPerIP: try integer("PULSE_HTTP_MAX_CONNECTIONS_PER_IP", default: 512, range: 0...1_000_000),
            connectionTimeout: .seconds(timeout), adminLoginConfigured: adminConfigured,
            deploymentType: EnvValue.bool(env["PULSE_DOCKER"]) == true ? "docker" : "binary",
            metricsRetention: retention,
            metricsQueueLimit: try integer("PULSE_METRICS_QUEUE_SAMPLES", default: 1_000_000, range: 10_000...100_000_000),
            authUser: env["PULSE_AUTH_USER"].flatMap { $0.isEmpty ? nil : $0 },
            authPassword: env["PULSE_AUTH_PASS"].flatMap { $0.isEmpty ? nil : $0 },
            metricsAddress: try listenAddress(env["PULSE_METRICS_ADDR"], name: "PULSE_METRICS_ADDR"))
        configuration.trustedProxies = try networks("PULSE_TRUSTED_PROXY_CIDRS")
        configuration.trustedNetworks = try networks("PULSE_TRUSTED_NETWORKS")
        configuration.webhookAllowedPrivate = try networks("PULSE_WEBHOOK_ALLOWED_PRIVATE_CIDRS")
        configuration.auditSigningKey = env["PULSE_AUDIT_SIGNING_KEY"].flatMap { $0.isEmpty ? nil : $0 }
        configuration.auditRetentionDays = try integer("PULSE_AUDIT_RETENTION_DAYS", default: 90, range: 1...36_500)
        configuration.agentConnectURL = try url("PULSE_AGENT_CONNECT_URL")
        configuration.publicURL = try url("PULSE_PUBLIC_URL")
        configuration.deprecatedDisableAuth = !(env["DISABLE_AUTH"] ?? "").isEmpty
        configuration.binDirectories = DownloadHandlers.defaultBinDirectories(environment: env)
        configuration.installerDirectories = DownloadHandlers.defaultInstallerDirectories(environment: env)
        configuration.webDirectories = WebAppHandlers.defaultDirectories(environment: env)
        if let secret = env["PROXY_AUTH_SECRET"], !secret.isEmpty {
            guard secret.utf8.count >= 16 else {
                throw Problem(description: "PROXY_AUTH_SECRET is too short: use at least 16 random characters")
            }
            func value(_ key: String) -> String? { env[key].flatMap { $0.trimmingWhitespace().isEmpty ? nil : $0.trimmingWhitespace() } }
            configuration.proxyAuth = ProxyAuthConfiguration(
                secret: secret, userHeader: value("PROXY_AUTH_USER_HEADER"), roleHeader: value("PROXY_AUTH_ROLE_HEADER"),
                roleSeparator: value("PROXY_AUTH_ROLE_SEPARATOR") ?? "|", adminRole: value("PROXY_AUTH_ADMIN_ROLE"),
                logoutURL: try url("PROXY_AUTH_LOGOUT_URL"))
        }
        return configuration
    }

    /// `host:port`, `:port` (loopback) or `[v6]:port`; nil when unset or empty.
    static func listenAddress(_ text: String?, name: String) throws(Problem) -> (host: String, port: UInt16)? {
        guard let text = text?.trimmingWhitespace(), !text.isEmpty else { return nil }
        guard let colon = text.lastIndex(of: ":"), let port = UInt16(text[text.index(after: colon)...]) else {
            throw Problem(description: "\(name)=\(text) is invalid: use HOST:PORT, for example 127.0.0.1:9091")
        }
        var host = String(text[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        return (host.isEmpty ? "127.0.0.1" : host, port)
    }

    /// Retention: environment first, then `system.json` in the data directory, then the defaults.
    static func metricsRetention(_ env: [String: String], dataDirectory: String) throws(Problem) -> MetricsRetention {
        var system: [String: Any] = [:]
        if let data = FileManager.default.contents(atPath: dataDirectory + "/system.json") {
            guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
                throw Problem(description: "\(dataDirectory)/system.json is not a JSON object")
            }
            system = object
        }
        var retention = MetricsRetention()
        let fields: [(env: String, json: String, unit: Int64, range: ClosedRange<Int64>, apply: (inout MetricsRetention, Duration) -> Void)] = [
            ("PULSE_METRICS_RETENTION_RAW_HOURS", "metricsRetentionRawHours", 3600, 1...8760, { $0.raw = $1 }),
            ("PULSE_METRICS_RETENTION_MINUTE_HOURS", "metricsRetentionMinuteHours", 3600, 1...87_600, { $0.minute = $1 }),
            ("PULSE_METRICS_RETENTION_HOURLY_DAYS", "metricsRetentionHourlyDays", 86_400, 1...3650, { $0.hourly = $1 }),
            ("PULSE_METRICS_RETENTION_DAILY_DAYS", "metricsRetentionDailyDays", 86_400, 1...36_500, { $0.daily = $1 }),
        ]
        for field in fields {
            var value: Int64?
            if let text = env[field.env], !text.isEmpty {
                guard let number = Int64(text) else { throw Problem(description: "\(field.env)=\(text) is not a whole number") }
                value = number
            } else if let number = system[field.json] as? NSNumber {
                value = number.int64Value
            }
            guard let value, value > 0 else { continue }
            guard field.range.contains(value) else {
                throw Problem(description: "\(field.env) / \(field.json) must be from \(field.range.lowerBound) to \(field.range.upperBound)")
            }
            field.apply(&retention, .seconds(value * field.unit))
        }
        return retention
    }
}

/// Authentication by a reverse proxy (hub-api section 2.1): the proxy proves itself with `X-Proxy-Secret` and names
/// the user (and optionally roles) in headers.
public struct ProxyAuthConfiguration: Sendable {
    public var secret: String
    public var userHeader: String?
    public var roleHeader: String?
    public var roleSeparator: String
    public var adminRole: String?
    public var logoutURL: String?

    public init(secret: String, userHeader: String? = nil, roleHeader: String? = nil, roleSeparator: String = "|",
                adminRole: String? = nil, logoutURL: String? = nil) {
        self.secret = secret
        self.userHeader = userHeader
        self.roleHeader = roleHeader
        self.roleSeparator = roleSeparator
        self.adminRole = adminRole
        self.logoutURL = logoutURL
    }

    /// The proxied user for a request, or nil when it carries no proxy secret. Throws when the secret is wrong
    /// (compared in constant time) or the user header is required but empty.
    public func authenticate(header: (String) -> String?) throws(APIError) -> (username: String, isAdmin: Bool)? {
        guard let presented = header("X-Proxy-Secret") else { return nil }
        guard Crypto.constantTimeEqual(Crypto.sha256(Array(presented.utf8)), Crypto.sha256(Array(secret.utf8))) else {
            throw APIError(status: 401, code: "invalid_proxy_secret", message: "Proxy authentication failed")
        }
        var username = "proxy-user"
        if let userHeader {
            guard let named = header(userHeader)?.trimmingWhitespace(), !named.isEmpty, named.utf8.count <= 256 else {
                throw APIError(status: 401, code: "proxy_user_missing", message: "Proxy authentication failed: no user name")
            }
            username = named
        }
        var isAdmin = true
        if let roleHeader, let adminRole, let roles = header(roleHeader) {
            isAdmin = roles.components(separatedBy: roleSeparator).contains { $0.trimmingWhitespace() == adminRole }
        }
        return (username, isAdmin)
    }
}
