import Foundation
import PulseCommon

/// `/api/login`, `/api/logout`, `/api/security/change-password` and `/api/security/reset-lockout`.
public struct AuthHandlers: Sendable {
    let users: UserService
    let sessions: SessionService
    let lockout: LoginLockout
    let audit: AuditLog
    /// 10 login attempts per minute per client address.
    let limiter: RateLimiter
    let tlsEnabled: Bool

    struct LoginRequest: Decodable {
        let username: String?
        let password: String?
        let rememberMe: Bool?
    }

    public func login(_ context: RequestContext) throws -> HTTPResponse {
        let body = try context.decode(LoginRequest.self)
        guard let username = body.username?.trimmingWhitespace(), !username.isEmpty, username.count <= 128,
              let password = body.password, !password.isEmpty, password.utf8.count <= 1024 else {
            throw APIError.badRequest("invalid_request", "username and password are required")
        }
        let ip = context.clientIP
        let now = context.now
        if let until = lockout.lockedUntil(username: username, ip: ip, now: now) {
            var error = APIError(status: 403, code: "account_locked", message: "account_locked")
            error.customBody = ["error": .string("account_locked"),
                                "message": .string("Too many failed attempts. Try again later."),
                                "lockedUntil": .string(RFC3339.format(until)),
                                "remainingMinutes": .number(max(1, (until.timeIntervalSince(now) / 60).rounded(.up)))]
            throw error
        }
        if let wait = limiter.admit("login|" + ip, now: now) {
            throw APIError.rateLimited(retryAfter: wait, message: "Too many login attempts; slow down.")
        }
        guard let user = users.authenticate(username: username, password: password) else {
            let outcome = try lockout.recordFailure(username: username, ip: ip, now: now)
            audit.record("login", user: username, ip: ip, path: context.request.path, success: false,
                         details: outcome.locked ? "invalid credentials; locked for 15 minutes" : "invalid credentials (attempt \(outcome.attempts))",
                         now: now)
            if outcome.locked {
                audit.record("lockout", user: username, ip: ip, path: context.request.path, success: false,
                             details: "\(LoginLockout.maxAttempts) failed logins", now: now)
            }
            var error = APIError(status: 401, code: "invalid_credentials", message: "invalid_credentials")
            if outcome.locked {
                error.customBody = ["error": .string("invalid_credentials"), "message": .string("Invalid username or password"),
                                    "locked": .bool(true), "lockoutDuration": .string("15 minutes")]
            } else {
                error.customBody = ["error": .string("invalid_credentials"), "message": .string("Invalid username or password"),
                                    "attempts": .number(Double(outcome.attempts)),
                                    "remaining": .number(Double(max(0, LoginLockout.maxAttempts - outcome.attempts))),
                                    "maxAttempts": .number(Double(LoginLockout.maxAttempts))]
            }
            throw error
        }
        try lockout.recordSuccess(username: username, ip: ip)
        let created = try sessions.create(username: user, remember: body.rememberMe ?? false,
                                          userAgent: context.request.header("User-Agent") ?? "", ip: ip, now: now)
        audit.record("login", user: user, ip: ip, path: context.request.path,
                     details: body.rememberMe == true ? "remember me" : nil, now: now)
        var response = HTTPResponse.json(object: ["success": .bool(true), "message": .string("Login successful")])
        let maxAge = Int(created.session.duration)
        response.headers.append(("Set-Cookie", CookieFactory.cookie("pulse_session", created.token, maxAge: maxAge, httpOnly: true,
                                                                    request: context.request, tls: tlsEnabled)))
        response.headers.append(("Set-Cookie", CookieFactory.cookie("pulse_csrf", created.csrf, maxAge: maxAge, httpOnly: false,
                                                                    request: context.request, tls: tlsEnabled)))
        response.headers.append(("X-CSRF-Token", created.csrf))
        return response
    }

    public func logout(_ context: RequestContext) throws -> HTTPResponse {
        if let session = context.principal?.session {
            try sessions.delete(key: session.key)
            audit.record("logout", user: session.username, ip: context.clientIP, path: context.request.path, now: context.now)
        }
        var response = HTTPResponse.json(object: ["success": .bool(true), "message": .string("Logged out")])
        for name in ["pulse_session", "pulse_csrf"] {
            response.headers.append(("Set-Cookie", CookieFactory.cookie(name, "", maxAge: 0, httpOnly: name == "pulse_session",
                                                                        request: context.request, tls: tlsEnabled)))
        }
        return response
    }

    struct ChangePasswordRequest: Decodable {
        let currentPassword: String?
        let newPassword: String?
    }

    /// Changes the logged-in administrator's password and ends their other sessions.
    public func changePassword(_ context: RequestContext) throws -> HTTPResponse {
        guard let session = context.principal?.session else { throw APIError.unauthorized }
        let body = try context.decode(ChangePasswordRequest.self)
        guard let current = body.currentPassword, let new = body.newPassword else {
            throw APIError.badRequest("invalid_request", "currentPassword and newPassword are required")
        }
        if let wait = limiter.admit("password|" + context.clientIP, now: context.now) {
            throw APIError(status: 429, code: "rate_limit", message: "Too many attempts; slow down.",
                           headers: [("Retry-After", String(Int(wait.rounded(.up))))])
        }
        guard users.authenticate(username: session.username, password: current) != nil else {
            audit.record("password_change", user: session.username, ip: context.clientIP, path: context.request.path,
                         success: false, details: "current password incorrect", now: context.now)
            throw APIError(status: 401, code: "invalid_credentials", message: "Current password is incorrect")
        }
        do {
            try users.setPassword(username: session.username, newPassword: new, now: context.now)
        } catch let problem as PasswordHasher.Problem {
            throw APIError.badRequest("invalid_password", problem.description)
        }
        try sessions.deleteAll(of: session.username, keeping: session.key)
        audit.record("password_change", user: session.username, ip: context.clientIP, path: context.request.path, now: context.now)
        return .json(object: ["success": .bool(true), "message": .string("Password changed; other sessions were signed out")])
    }

    struct ResetLockoutRequest: Decodable {
        let identifier: String?
    }

    public func resetLockout(_ context: RequestContext) throws -> HTTPResponse {
        let body = try context.decode(ResetLockoutRequest.self)
        guard let identifier = body.identifier?.trimmingWhitespace(), !identifier.isEmpty, identifier.count <= 256 else {
            throw APIError.badRequest("invalid_request", "identifier (a username or an IP address) is required")
        }
        let cleared = try lockout.reset(identifier: identifier)
        audit.record("lockout_reset", user: context.principal?.displayName, ip: context.clientIP, path: context.request.path,
                     details: "\(identifier) (\(cleared) records)", now: context.now)
        return .json(object: ["success": .bool(true),
                              "message": .string(cleared > 0 ? "Lockout cleared for \(identifier)" : "No lockout recorded for \(identifier)")])
    }
}
