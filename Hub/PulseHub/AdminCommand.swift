import Foundation
import PulseCommon

/// The `pulse-hub` command line: `serve` (the default) and admin subcommands that work on the data directory
/// directly, safe while the hub runs (SQLite WAL; the hub notices token changes within a second).
public enum AdminCommand {
    public static let usage = """
    Usage: pulse-hub [--data-dir DIR] [COMMAND]

    Commands:
      serve                              Run the hub (the default).
      token create --name NAME [--scopes SCOPES]
                                         Create an API token and print it once. SCOPES is a comma-separated
                                         list (default "*"): \(Scope.allCases.map(\.rawValue).joined(separator: ", ")).
      token list                         List tokens (never their values).
      token revoke ID                    Delete a token.
      bootstrap-token                    Print the first-run bootstrap token.
      recovery-token [--minutes N]       Print a one-time recovery token (default 15, at most 60 minutes) for
                                         /api/security/quick-setup with force:true (X-Recovery-Token).
      audit verify                       Check every audit event's signature and the hash chain; names the
                                         first broken link and exits 1 if there is one.

    Options:
      --data-dir DIR                     Data directory (default: $PULSE_DATA_DIR, else /etc/pulse).
      -h, --help                         Show this help.
      --version                          Print the version.

    Environment (serve): PULSE_DATA_DIR, FRONTEND_PORT (7655), BACKEND_HOST (0.0.0.0), LOG_LEVEL (info),
    LOG_FORMAT (json|text), HTTPS_ENABLED, TLS_CERT_FILE, TLS_KEY_FILE, ALLOWED_ORIGINS, API_TOKEN, API_TOKENS,
    PULSE_HTTP_THREADS (8), PULSE_HTTP_MAX_CONNECTIONS (4096), PULSE_HTTP_MAX_CONNECTIONS_PER_IP (512),
    PULSE_HTTP_IDLE_TIMEOUT (30 s), PULSE_TRUSTED_PROXY_CIDRS, PULSE_TRUSTED_NETWORKS, PULSE_AUDIT_SIGNING_KEY,
    PULSE_AUDIT_RETENTION_DAYS (90), PULSE_WEBHOOK_ALLOWED_PRIVATE_CIDRS, PULSE_AUTH_USER, PULSE_AUTH_PASS,
    PULSE_METRICS_ADDR; see docs/operations.md. A .env file in the data directory is read at start.
    """

    /// Runs the command line; returns the process exit code.
    public static func run(arguments: [String], environment: [String: String]) -> Int32 {
        var env = environment
        var rest: [String] = []
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            if argument == "--data-dir" || argument.hasPrefix("--data-dir=") {
                let value: String
                if argument.hasPrefix("--data-dir=") {
                    value = String(argument.dropFirst("--data-dir=".count))
                } else {
                    guard index + 1 < arguments.count else { return fail("--data-dir needs a directory") }
                    index += 1
                    value = arguments[index]
                }
                env["PULSE_DATA_DIR"] = value
            } else {
                rest.append(argument)
            }
            index += 1
        }
        switch rest.first {
        case nil, "serve": return serve(environment: env, extra: Array(rest.dropFirst()))
        case "-h", "--help", "help":
            print(usage)
            return 0
        case "--version", "version":
            print("pulse-hub \(PulseVersion.current)")
            return 0
        case "token": return token(Array(rest.dropFirst()), environment: env)
        case "bootstrap-token": return bootstrapToken(environment: env)
        case "recovery-token": return recoveryToken(Array(rest.dropFirst()), environment: env)
        case "audit": return auditCommand(Array(rest.dropFirst()), environment: env)
        case let other?: return fail("unknown command \"\(other)\"; run pulse-hub --help")
        }
    }

    private static func fail(_ message: String, code: Int32 = 2) -> Int32 {
        FileHandle.standardError.write(Data("pulse-hub: \(message)\n".utf8))
        return code
    }

    private static func serve(environment: [String: String], extra: [String]) -> Int32 {
        guard extra.isEmpty else { return fail("serve takes no arguments; configure it with environment variables") }
        let configuration: HubConfiguration
        do {
            configuration = try HubConfiguration.load(environment: environment)
        } catch {
            return fail(error.description, code: 1)
        }
        Hub.blockShutdownSignals()
        let logger = Logger(level: configuration.logLevel, format: configuration.logFormat, component: "hub")
        let hub: Hub
        do {
            hub = try Hub(configuration: configuration, logger: logger)
        } catch {
            logger.error("cannot start: \(error)")
            return 1
        }
        do {
            if let token = try hub.services.prepareFirstRun() {
                let banner = """

                ┌─ Pulse first-run setup ───────────────────────────────────────────────
                │ No administrator login exists yet. Bootstrap token:
                │   \(token)
                │ It is also in \(hub.services.setup.tokenPath) (mode 0600);
                │ `pulse-hub bootstrap-token` prints it again.
                └───────────────────────────────────────────────────────────────────────

                """
                FileHandle.standardError.write(Data(banner.utf8))
            }
        } catch {
            logger.error("cannot write the bootstrap token: \(error)")
            return 1
        }
        hub.runUntilSignalled()
        return 0
    }

    private static func openStore(_ environment: [String: String]) throws -> (ControlStore, HubConfiguration) {
        let configuration = try HubConfiguration.load(environment: environment)
        try FileSecurity.ensureDirectory(configuration.dataDirectory)
        return (try ControlStore(dataDirectory: configuration.dataDirectory), configuration)
    }

    private static func token(_ arguments: [String], environment: [String: String]) -> Int32 {
        guard let action = arguments.first else { return fail("token needs create, list or revoke; run pulse-hub --help") }
        let store: ControlStore
        do {
            store = try openStore(environment).0
        } catch {
            return fail("cannot open the data directory: \(error)", code: 1)
        }
        let logger = Logger(level: .warn, format: .text, component: "cli")
        do {
            let tokens = try TokenService(store: store, logger: logger)
            let audit = try openAudit(store: store, environment: environment, logger: logger)
            switch action {
            case "create":
                var name: String?
                var scopeText: String?
                var index = 1
                while index < arguments.count {
                    let (flag, inline) = splitFlag(arguments[index])
                    guard flag == "--name" || flag == "--scopes" else { return fail("unknown option \(flag) for token create") }
                    let value: String
                    if let inline {
                        value = inline
                    } else {
                        guard index + 1 < arguments.count else { return fail("\(flag) needs a value") }
                        index += 1
                        value = arguments[index]
                    }
                    if flag == "--name" { name = value } else { scopeText = value }
                    index += 1
                }
                let scopes: [Scope]
                do {
                    scopes = try Scope.normalize(scopeText.map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) })
                } catch {
                    return fail(error.description)
                }
                let validName: String
                do { validName = try TokenHandlers.validatedName(name) } catch { return fail(error.message) }
                let created = try tokens.create(name: validName, scopes: scopes)
                audit.record("token_created", user: "cli", ip: "local", details: "token \(created.record.id) \"\(validName)\" scopes \(scopes.map(\.rawValue).joined(separator: ","))")
                print(created.raw)
                FileHandle.standardError.write(Data("created token \(created.record.id) (\(validName)) with scopes \(scopes.map(\.rawValue).joined(separator: ",")); it is shown only once\n".utf8))
                return 0
            case "list":
                let all = tokens.list()
                if all.isEmpty {
                    print("no API tokens")
                    return 0
                }
                print("ID                                    NAME                            HINT           SCOPES  CREATED")
                for record in all {
                    let name = record.name.count > 30 ? String(record.name.prefix(29)) + "…" : record.name
                    print([record.id, name.padding(toLength: 31, withPad: " ", startingAt: 0),
                           record.hint.padding(toLength: 14, withPad: " ", startingAt: 0),
                           record.scopes.map(\.rawValue).joined(separator: ","),
                           RFC3339.format(record.createdAt)].joined(separator: " "))
                }
                return 0
            case "revoke":
                guard arguments.count == 2 else { return fail("usage: pulse-hub token revoke ID") }
                guard try tokens.revoke(id: arguments[1]) else { return fail("no token with id \(arguments[1])", code: 1) }
                audit.record("token_revoked", user: "cli", ip: "local", details: "token \(arguments[1])")
                print("revoked \(arguments[1])")
                return 0
            default:
                return fail("unknown token action \"\(action)\"; use create, list or revoke")
            }
        } catch {
            return fail("\(error)", code: 1)
        }
    }

    private static func bootstrapToken(environment: [String: String]) -> Int32 {
        let configuration: HubConfiguration
        do { configuration = try HubConfiguration.load(environment: environment) } catch { return fail(error.description, code: 1) }
        guard let token = BootstrapToken.read(in: configuration.dataDirectory) else {
            return fail("no bootstrap token in \(configuration.dataDirectory): setup is complete or the hub has not run yet", code: 1)
        }
        print(token)
        return 0
    }

    private static func openAudit(store: ControlStore, environment: [String: String], logger: Logger) throws -> AuditLog {
        let configuration = try HubConfiguration.load(environment: environment)
        let key = try AuditKey.load(environmentValue: configuration.auditSigningKey, dataDirectory: configuration.dataDirectory)
        return try AuditLog(store: store, key: key.key, retentionDays: configuration.auditRetentionDays, logger: logger)
    }

    private static func recoveryToken(_ arguments: [String], environment: [String: String]) -> Int32 {
        var minutes = 15
        var index = 0
        while index < arguments.count {
            let (flag, inline) = splitFlag(arguments[index])
            guard flag == "--minutes" else { return fail("unknown option \(flag) for recovery-token") }
            let value = inline ?? (index + 1 < arguments.count ? arguments[index + 1] : "")
            if inline == nil { index += 1 }
            guard let parsed = Int(value), (1...60).contains(parsed) else { return fail("--minutes must be 1 to 60") }
            minutes = parsed
            index += 1
        }
        do {
            let (store, configuration) = try openStore(environment)
            let logger = Logger(level: .warn, format: .text, component: "cli")
            let token = try RecoveryService(store: store, dataDirectory: configuration.dataDirectory).generateToken(minutes: minutes)
            try openAudit(store: store, environment: environment, logger: logger)
                .record("recovery_token_created", user: "cli", ip: "local", details: "valid \(minutes) minutes")
            print(token)
            FileHandle.standardError.write(Data("""
                recovery token valid for \(minutes) minutes, once, from one address. Set new credentials with:
                  curl -X POST -H 'X-Recovery-Token: <token>' -H 'Content-Type: application/json' \\
                    -d '{"username":"admin","password":"<new password>","force":true}' <hub URL>/api/security/quick-setup

                """.utf8))
            return 0
        } catch {
            return fail("\(error)", code: 1)
        }
    }

    private static func auditCommand(_ arguments: [String], environment: [String: String]) -> Int32 {
        guard arguments == ["verify"] else { return fail("usage: pulse-hub audit verify") }
        do {
            let (store, _) = try openStore(environment)
            let logger = Logger(level: .error, format: .text, component: "cli")
            let audit = try openAudit(store: store, environment: environment, logger: logger)
            let total = try store.auditEventCount()
            FileHandle.standardError.write(Data("verifying \(total) audit events…\n".utf8))
            var lastReport = 0
            let result = try audit.verifyAll { checked in
                if checked - lastReport >= 50_000 {
                    FileHandle.standardError.write(Data("  \(checked) of \(total) checked\n".utf8))
                    lastReport = checked
                }
            }
            if let broken = result.firstBroken {
                let event = broken.id.map { "event \($0) (sequence \(broken.sequence))" } ?? "sequence \(broken.sequence)"
                print("BROKEN at \(event): \(broken.reason)")
                print("\(result.checked) events verified before the break")
                return 1
            }
            print("OK: \(result.checked) events verified, signatures and chain intact")
            return 0
        } catch {
            return fail("\(error)", code: 1)
        }
    }

    private static func splitFlag(_ argument: String) -> (String, String?) {
        guard let equals = argument.firstIndex(of: "=") else { return (argument, nil) }
        return (String(argument[..<equals]), String(argument[argument.index(after: equals)...]))
    }
}
