import Foundation
import PulseCommon

/// First-run setup, recovery, token rotation and the security status (hub-api sections 2.6, 2.7 and 2.11).
public struct SecurityHandlers: Sendable {
    /// What the status endpoint reports about the deployment.
    public struct Posture: Sendable {
        public var httpsEnabled = false
        public var deploymentType = "binary"
        public var trustedNetworks: [CIDR] = []
        public var agentConnectURL: String?
        public var publicURL: String?
        public var deprecatedDisableAuth = false
        public var proxyAuth: ProxyAuthConfiguration?

        public init() {}
    }

    let users: UserService
    let tokens: TokenService
    let sessions: SessionService
    let setup: SetupState
    let recovery: RecoveryService
    let lockout: LoginLockout
    let audit: AuditLog
    /// The 10-per-minute auth limiter shared with login (quick-setup, regenerate-token and validate-token use it).
    let limiter: RateLimiter
    let posture: Posture

    // MARK: Status

    public func status(_ context: RequestContext) throws -> HTTPResponse {
        let principal = context.principal
        let authenticated = principal != nil
        let admin = try users.primary()
        let client = IPAddress(context.clientIP)
        let isPrivate = client.map { $0.isPrivate || $0.isLoopback } ?? false
        let allTokens = tokens.list()
        var body: [String: JSONValue] = [
            "apiTokenConfigured": .bool(!allTokens.isEmpty),
            "requiresAuth": .bool(true),
            "exportProtected": .bool(true),
            "unprotectedExportAllowed": .bool(false),
            "hasAuthentication": .bool(admin != nil || !allTokens.isEmpty),
            "configuredButPendingRestart": .bool(false),
            "hasAuditLogging": .bool(true),
            "credentialsEncrypted": .bool(true),
            "hasHTTPS": .bool(posture.httpsEnabled || (context.request.header("X-Forwarded-Proto") == "https" && context.clientIP != context.request.clientAddress)),
            "clientIP": .string(context.clientIP),
            "isPrivateNetwork": .bool(isPrivate),
            "isTrustedNetwork": .bool(client.map { address in posture.trustedNetworks.contains { $0.contains(address) } } ?? false),
            "publicAccess": .bool(!isPrivate),
            "hasProxyAuth": .bool(posture.proxyAuth != nil),
            "proxyAuthLogoutURL": .string(posture.proxyAuth?.logoutURL ?? ""),
            "proxyAuthUsername": .string(""),
            "proxyAuthIsAdmin": .bool(false),
            "oidcUsername": .string(""),
            "oidcEnabled": .bool(false),
            "hideLocalLogin": .bool(false),
            "agentUrl": .string(agentURL(context)),
            "setupRequired": .bool(setup.isOpen),
        ]
        if authenticated {
            if case .proxy(let username)? = principal?.kind {
                body["proxyAuthUsername"] = .string(username)
                body["proxyAuthIsAdmin"] = .bool(principal?.isAdmin ?? false)
            }
            if let token = principal?.token {
                body["apiTokenHint"] = .string(token.hint)
                body["tokenScopes"] = .array(token.scopes.map { .string($0.rawValue) })
            } else if let first = allTokens.first {
                body["apiTokenHint"] = .string(first.hint)
            }
            if let admin {
                body["authUsername"] = .string(admin.username)
                body["authLastModified"] = .string(RFC3339.format(admin.updatedAt))
            }
        }
        if setup.isOpen {
            body["bootstrapTokenPath"] = .string(setup.tokenPath)
            body["isDocker"] = .bool(posture.deploymentType == "docker")
            body["inContainer"] = .bool(posture.deploymentType == "docker" || posture.deploymentType == "lxc")
            body["message"] = .string("First-run setup: create the administrator with the bootstrap token")
        }
        if posture.deprecatedDisableAuth { body["deprecatedDisableAuth"] = .bool(true) }
        return .json(object: body)
    }

    /// Where agents should connect: `PULSE_AGENT_CONNECT_URL`, then `PULSE_PUBLIC_URL`, then the request's host.
    private func agentURL(_ context: RequestContext) -> String {
        if let url = posture.agentConnectURL ?? posture.publicURL { return url }
        let host = context.request.header("Host").flatMap(Self.sanitizedHost) ?? "localhost:7655"
        return (posture.httpsEnabled ? "https://" : "http://") + host
    }

    /// A Host header value safe to echo: host characters and an optional port only.
    static func sanitizedHost(_ value: String) -> String? {
        guard (1...255).contains(value.utf8.count), value.utf8.allSatisfy({ $0.isASCIIAlphanumeric || Array("-.:[]".utf8).contains($0) })
        else { return nil }
        return value
    }

    // MARK: Bootstrap and quick-setup

    struct ValidateBootstrapRequest: Decodable {
        let token: String?
    }

    public func validateBootstrapToken(_ context: RequestContext) throws -> HTTPResponse {
        var presented = context.request.header("X-Setup-Token")
        if presented == nil, !context.request.body.isEmpty { presented = try context.decode(ValidateBootstrapRequest.self).token }
        guard setup.isOpen else {
            throw APIError(status: 409, code: "setup_complete", message: "Setup is already complete; sign in instead")
        }
        guard let presented, setup.matches(presented) else {
            audit.record("bootstrap_token_invalid", user: nil, ip: context.clientIP, path: context.request.path, success: false)
            throw APIError(status: 401, code: "invalid_bootstrap_token",
                           message: "Bootstrap token is not valid. Copy it from the hub's log or run `pulse-hub bootstrap-token`.")
        }
        return .noContent
    }

    struct QuickSetupRequest: Decodable {
        let username: String?
        let password: String?
        let apiToken: String?
        let enableNotifications: Bool?
        let darkMode: Bool?
        let force: Bool?
        let setupToken: String?
    }

    /// Creates (or, with `force` and administrator or recovery credentials, replaces) the administrator and mints
    /// a full-access API token. Existing tokens, agents and hosts are left alone.
    public func quickSetup(_ context: RequestContext) throws -> HTTPResponse {
        try admitAuthAttempt(context)
        let body = try context.decode(QuickSetupRequest.self)
        let existing = try users.primary()
        let force = body.force ?? false
        if existing != nil, !force {
            return .json(object: ["success": .bool(true), "skipped": .bool(true),
                                  "message": .string("An administrator already exists; nothing was changed (send force:true to replace the credentials)")])
        }
        if existing != nil, case .bootstrap? = context.principal?.kind {
            throw APIError.forbidden("forbidden", "The bootstrap token cannot replace existing credentials")
        }
        guard let username = body.username?.trimmingWhitespace(), !username.isEmpty else {
            throw APIError.badRequest("invalid_request", "username is required")
        }
        guard username.count <= 64, !username.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7f || $0 == ":" }) else {
            throw APIError.badRequest("invalid_username", "username must be at most 64 characters, without control characters or ':'")
        }
        guard let password = body.password, !password.isEmpty else {
            throw APIError.badRequest("invalid_request", "password is required")
        }
        let rawToken: String
        if let supplied = body.apiToken?.trimmingWhitespace(), !supplied.isEmpty {
            guard (32...256).contains(supplied.utf8.count), supplied.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7f }) else {
                throw APIError.badRequest("invalid_api_token",
                                          "apiToken must be 32 to 256 printable characters; omit it to have the hub generate one")
            }
            rawToken = supplied
        } else {
            rawToken = Crypto.randomBytes(24).hexString
        }
        do {
            try users.replaceAdministrator(username: username, password: password, now: context.now)
        } catch let problem as PasswordHasher.Problem {
            throw APIError.badRequest("invalid_password", problem.description)
        }
        let created: (raw: String, record: APITokenRecord)
        do {
            created = try tokens.create(name: "Quick setup (\(username))", scopes: [.all], raw: rawToken, now: context.now)
        } catch TokenService.Problem.duplicate {
            throw APIError(status: 409, code: "token_exists", message: "That apiToken is already in use; omit it to have the hub generate one")
        }
        try sessions.deleteAll(of: username, keeping: context.principal?.session?.key)
        setup.close()
        audit.record(existing == nil ? "setup" : "credentials_reset", user: username, ip: context.clientIP,
                     path: context.request.path, details: "by \(context.principal?.displayName ?? "-"), token \(created.record.id)",
                     now: context.now)
        return .json(object: [
            "success": .bool(true),
            "method": .string("database"),
            "deploymentType": .string(posture.deploymentType),
            "requiresManualRestart": .bool(false),
            "message": .string(existing == nil ? "Administrator created" : "Administrator credentials replaced"),
            "note": .string("Credentials are stored hashed in the hub's database and are active now. The API token is shown only once."),
            "username": .string(username),
            "apiToken": .string(created.raw),
            "apiTokenId": .string(created.record.id),
        ])
    }

    // MARK: Recovery

    public func recoveryStatus(_ context: RequestContext) throws -> HTTPResponse {
        let active = recovery.isRecoveryModeActive(now: context.now)
        return .json(object: ["recovery_mode": .bool(active),
                              "message": .string(active ? "Recovery mode is on: local requests are treated as the administrator"
                                                        : "Recovery mode is off")])
    }

    struct RecoveryRequest: Decodable {
        let action: String?
        let duration: Int?
    }

    public func recoveryAction(_ context: RequestContext) throws -> HTTPResponse {
        let body = try context.decode(RecoveryRequest.self)
        let by = context.principal?.displayName ?? "-"
        switch body.action {
        case "generate_token":
            guard case .loopback? = context.principal?.kind else {
                throw APIError.forbidden("local_access_required", "Recovery tokens can only be generated from the hub's own machine")
            }
            let minutes = body.duration ?? 15
            guard (1...60).contains(minutes) else {
                throw APIError.badRequest("invalid_duration", "duration must be 1 to 60 minutes")
            }
            let token = try recovery.generateToken(minutes: minutes, now: context.now)
            audit.record("recovery_token_created", user: by, ip: context.clientIP, path: context.request.path,
                         details: "valid \(minutes) minutes", now: context.now)
            return .json(object: ["success": .bool(true), "token": .string(token), "expires_in_minutes": .number(Double(minutes)),
                                  "message": .string("Recovery token created. It works once, from one address, for \(minutes) minutes: send it as X-Recovery-Token to /api/security/quick-setup with force:true to set new credentials.")])
        case "disable_auth":
            try recovery.enterRecoveryMode(now: context.now)
            audit.record("recovery_mode_enabled", user: by, ip: context.clientIP, path: context.request.path, now: context.now)
            return .json(object: ["success": .bool(true),
                                  "message": .string("Recovery mode on for one hour: requests from the hub's own machine are treated as the administrator. Turn it off with enable_auth.")])
        case "enable_auth":
            recovery.leaveRecoveryMode()
            audit.record("recovery_mode_disabled", user: by, ip: context.clientIP, path: context.request.path, now: context.now)
            return .json(object: ["success": .bool(true), "message": .string("Recovery mode off: authentication is required again")])
        case "clear_lockouts":
            let cleared = try lockout.resetAll()
            audit.record("lockout_reset", user: by, ip: context.clientIP, path: context.request.path,
                         details: "all (\(cleared) records) via recovery", now: context.now)
            return .json(object: ["success": .bool(true), "message": .string("Cleared \(cleared) lockout records")])
        default:
            throw APIError.badRequest("invalid_action", "action must be generate_token, disable_auth, enable_auth or clear_lockouts")
        }
    }

    /// The reference restarts the service so new credentials apply; here they apply at once, so this only says so.
    public func applyRestart(_ context: RequestContext) throws -> HTTPResponse {
        .json(object: ["success": .bool(true), "requiresRestart": .bool(false),
                       "message": .string("No restart needed: security settings take effect immediately")])
    }

    // MARK: Tokens

    struct RegenerateRequest: Decodable {
        let tokenId: String?
    }

    /// Rotates one token: the caller's own when called with a token, or `tokenId` from a session. Returns the new
    /// raw token once; the old one stops working immediately. No other token is touched.
    public func regenerateToken(_ context: RequestContext) throws -> HTTPResponse {
        try admitAuthAttempt(context)
        let requested = context.request.body.isEmpty ? nil : try context.decode(RegenerateRequest.self).tokenId
        let targetID: String
        if let requested, !requested.isEmpty {
            targetID = requested
        } else if let own = context.principal?.token {
            targetID = own.id
        } else {
            throw APIError.badRequest("missing_token_id", "tokenId is required when the caller is not using an API token")
        }
        guard let rotated = try tokens.rotate(id: targetID, now: context.now) else {
            throw APIError.notFound("token_not_found", "Token not found")
        }
        audit.record("token_regenerated", user: context.principal?.displayName, ip: context.clientIP, path: context.request.path,
                     details: "token \(targetID) replaced by \(rotated.record.id)", now: context.now)
        return .json(object: ["success": .bool(true), "token": .string(rotated.raw),
                              "record": TokenHandlers.TokenDTO(rotated.record).json,
                              "replacedTokenId": .string(targetID),
                              "message": .string("Token regenerated. Store the new value now: it is shown only once. Other tokens are unchanged.")])
    }

    struct ValidateTokenRequest: Decodable {
        let token: String?
    }

    /// `{token}` → `{valid,message}`; counts against the auth limiter, so it cannot be used to test tokens quickly.
    public func validateToken(_ context: RequestContext) throws -> HTTPResponse {
        try admitAuthAttempt(context)
        let body = try context.decode(ValidateTokenRequest.self)
        guard let raw = body.token?.trimmingWhitespace(), !raw.isEmpty else {
            throw APIError.badRequest("missing_token", "token is required")
        }
        let valid = tokens.authenticate(raw, now: context.now) != nil
        return .json(object: ["valid": .bool(valid), "message": .string(valid ? "Token is valid" : "Token is invalid")])
    }

    func admitAuthAttempt(_ context: RequestContext) throws {
        if let wait = limiter.admit("auth|" + context.clientIP, now: context.now) {
            throw APIError.rateLimited(retryAfter: wait, message: "Too many attempts; slow down.")
        }
    }
}
