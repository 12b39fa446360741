import Foundation
import PulseCommon

/// Settings the request pipeline needs.
public struct RouterConfiguration: Sendable {
    /// Origins allowed for CORS; empty disables CORS headers entirely.
    public var allowedOrigins: [String] = []
    /// Whether responses go out over TLS (adds HSTS).
    public var tlsEnabled = false
    /// Body limit for paths no route matches.
    public var defaultBodyLimit = 16 * 1024
    /// Reverse proxies whose `X-Forwarded-For` / `X-Real-IP` are believed (`PULSE_TRUSTED_PROXY_CIDRS`).
    public var trustedProxies: [CIDR] = []
    /// Reverse-proxy authentication, when configured.
    public var proxyAuth: ProxyAuthConfiguration?

    public init(allowedOrigins: [String] = [], tlsEnabled: Bool = false, trustedProxies: [CIDR] = [],
                proxyAuth: ProxyAuthConfiguration? = nil) {
        self.allowedOrigins = allowedOrigins
        self.tlsEnabled = tlsEnabled
        self.trustedProxies = trustedProxies
        self.proxyAuth = proxyAuth
    }
}

/// The services the gate consults besides tokens and sessions. Each is optional so focused tests can leave it out.
public struct GateServices: Sendable {
    public var setup: SetupState?
    public var recovery: RecoveryService?
    public var rateLimits: RateLimitPolicy?
    public var audit: AuditLog?

    public init(setup: SetupState? = nil, recovery: RecoveryService? = nil, rateLimits: RateLimitPolicy? = nil,
                audit: AuditLog? = nil) {
        self.setup = setup
        self.recovery = recovery
        self.rateLimits = rateLimits
        self.audit = audit
    }
}

/// The request pipeline: request id → path check → CORS preflight → route match → auth gate → scope check →
/// handler → error mapping → security headers. Handlers never see a request that failed an earlier step.
public final class Router: HTTPResponder {
    private struct CompiledRoute: Sendable {
        let route: Route
        let segments: [Substring]
    }

    private let routes: [CompiledRoute]
    /// The web dashboard (`Routes.appFallback`): GET/HEAD paths no route matches, outside the API prefixes.
    private let fallback: Route?
    private let tokens: TokenService
    private let sessions: SessionService?
    private let configuration: RouterConfiguration
    private let logger: Logger
    private let metrics: HTTPMetrics
    private let gate: GateServices
    private let clientResolver: ClientAddressResolver

    /// Mutating routes a session may call without a CSRF token (they carry their own proof).
    static let csrfExempt: Set<String> = ["/api/login", "/api/security/validate-bootstrap-token", "/api/setup-script-url"]

    public init(routes: [Route], fallback: Route? = nil, tokens: TokenService, sessions: SessionService? = nil,
                configuration: RouterConfiguration, logger: Logger, metrics: HTTPMetrics = HTTPMetrics(),
                gate: GateServices = GateServices()) {
        self.routes = routes.map { CompiledRoute(route: $0, segments: $0.segments) }
        self.fallback = fallback
        self.tokens = tokens
        self.sessions = sessions
        self.configuration = configuration
        self.logger = logger
        self.metrics = metrics
        self.gate = gate
        self.clientResolver = ClientAddressResolver(trustedProxies: configuration.trustedProxies)
    }

    // MARK: HTTPResponder

    public func bodyLimit(method: String, path: String) -> Int {
        guard let match = match(method: method, path: path).route else { return configuration.defaultBodyLimit }
        return match.route.bodyLimit.bytes
    }

    public func payloadTooLarge(_ request: HTTPRequest, limit: Int) -> HTTPResponse {
        finish(APIError.payloadTooLarge(limit: limit).response(), request: request, requestID: requestID(for: request))
    }

    public func respond(to request: HTTPRequest) -> HTTPResponse {
        let id = requestID(for: request)
        let now = Date()
        let started = ContinuousClock.now
        var routeLabel = "other"
        let response: HTTPResponse
        defer {
            let elapsed = ContinuousClock.now - started
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            metrics.record(route: routeLabel, method: request.method, status: response.status, seconds: seconds)
        }
        do {
            response = try dispatch(request, requestID: id, now: now, routeLabel: &routeLabel)
        } catch let error as APIError {
            response = error.response(now: now)
        } catch {
            logger.error("request failed", ["requestId": id, "path": request.path, "error": String(describing: error)])
            response = APIError.internalError.response(now: now)
        }
        if response.status >= 500 {
            logger.warn("server error", ["requestId": id, "method": request.method, "path": request.path,
                                         "status": String(response.status)])
        } else {
            logger.debug("request", ["requestId": id, "method": request.method, "path": request.path,
                                     "status": String(response.status)])
        }
        return finish(response, request: request, requestID: id)
    }

    // MARK: Pipeline

    private func dispatch(_ request: HTTPRequest, requestID: String, now: Date, routeLabel: inout String) throws -> HTTPResponse {
        let isAPI = request.path.hasPrefix("/api/") || request.path == "/api"
        if request.path.containsBytes("..") || request.path.utf8.contains(0) || !request.path.hasPrefix("/") {
            throw isAPI ? APIError(status: 401, code: "invalid_path", message: "Invalid path")
                        : APIError.badRequest("invalid_path", "Invalid path")
        }
        if request.method == "OPTIONS" { return HTTPResponse(status: 200) }

        let peer = request.clientAddress
        let clientIP = clientResolver.clientAddress(peer: peer, forwardedFor: request.header("X-Forwarded-For"),
                                                    realIP: request.header("X-Real-IP"))
        let directLoopback = ClientAddressResolver.isDirectLoopback(peer: peer, headers: request.header)
            && !(IPAddress(peer).map(clientResolver.isTrusted) ?? false)
        let bucket = RateLimitPolicy.bucket(method: request.method, path: request.path)
        if let rateLimits = gate.rateLimits, let bucket, bucket != .agentReport, !directLoopback,
           let refusal = rateLimits.admit(bucket, key: clientIP, now: now) {
            return refusal
        }

        let found = match(method: request.method, path: request.path)
        guard let matched = found.route ?? fallbackMatch(request, allowed: found.allowed) else {
            if !found.allowed.isEmpty { throw APIError.methodNotAllowed(allowed: found.allowed) }
            throw APIError.notFound()
        }
        let route = matched.route
        routeLabel = route.path
        var principal: Principal?
        var extraHeaders: [(String, String)] = []
        let consumeRecovery = route.isMutating
        switch route.access {
        case .public:
            // Public reads still see who is asking when credentials come along (the security status shows more).
            if !route.isMutating, hasCredentials(request, route: route) { principal = try? authenticate(request, route: route) }
        case .setup:
            if let presented = request.header("X-Setup-Token") ?? Self.bodySetupToken(request), let setup = gate.setup,
               setup.matches(presented) {
                principal = Principal(kind: .bootstrap, isAdmin: true)
            } else if let presented = request.header("X-Recovery-Token") {
                guard gate.recovery?.authenticate(presented, ip: clientIP, consume: consumeRecovery, now: now) == true else {
                    throw APIError(status: 401, code: "invalid_recovery_token", message: "Recovery token is invalid, expired, used, or bound to another address")
                }
                principal = Principal(kind: .recoveryToken, isAdmin: true)
            } else if !hasCredentials(request, route: route), gate.setup?.isOpen == true {
                throw APIError(status: 401, code: "setup_token_required",
                               message: "First-run setup needs the bootstrap token: send it in X-Setup-Token. It is printed in the hub's log and stored in the data directory's .bootstrap_token file; `pulse-hub bootstrap-token` prints it.")
            }
        case .recovery:
            if directLoopback {
                principal = Principal(kind: .loopback, isAdmin: true)
            } else if let presented = request.header("X-Recovery-Token") {
                guard gate.recovery?.authenticate(presented, ip: clientIP, consume: consumeRecovery, now: now) == true else {
                    throw APIError(status: 401, code: "invalid_recovery_token", message: "Recovery token is invalid, expired, used, or bound to another address")
                }
                principal = Principal(kind: .recoveryToken, isAdmin: true)
            } else {
                throw APIError(status: 401, code: "recovery_requires_local_access",
                               message: "Recovery is available from the hub's own machine (http://127.0.0.1), or with a recovery token in X-Recovery-Token")
            }
        case .authenticated, .admin, .session:
            break
        }
        if principal == nil, route.access != .public {
            let authenticated: Principal
            if directLoopback, route.access != .session, gate.recovery?.isRecoveryModeActive(now: now) == true {
                authenticated = Principal(kind: .loopback, isAdmin: true)
                extraHeaders.append(("X-Auth-Recovery", "true"))
            } else {
                authenticated = try authenticate(request, route: route)
            }
            if route.access == .session, authenticated.session == nil {
                throw APIError.forbidden("session_required", "This action needs a logged-in session, not an API token")
            }
            if let scope = route.scope, !authenticated.has(scope) { throw APIError.missingScope(scope) }
            if route.access != .authenticated, !authenticated.isAdmin {
                throw APIError.forbidden("admin_required", "Administrator access required")
            }
            if let session = authenticated.session {
                extraHeaders += try checkCSRF(request, route: route, session: session, clientIP: clientIP)
            }
            principal = authenticated
        }
        if bucket == .agentReport, let rateLimits = gate.rateLimits {
            // Agents are limited per token, not per address: a NAT hiding many agents is not one client.
            let key = principal?.token.map { "token:" + $0.id } ?? "ip:" + clientIP
            if let refusal = rateLimits.admit(.agentReport, key: key, now: now) { return refusal }
        }
        let context = RequestContext(request: request, principal: principal, parameters: matched.parameters,
                                     requestID: requestID, now: now, logger: logger, clientIP: clientIP,
                                     isDirectLoopback: directLoopback)
        var response = try route.handler(context)
        response.headers.append(contentsOf: extraHeaders)
        if let principal, route.access != .public {
            response.setHeader("X-Authenticated-User", principal.displayName)
            response.setHeader("X-Auth-Method", principal.method)
        }
        return response
    }

    /// Paths that never fall back to the web app: the API and the downloads answer JSON 404s.
    static func isAPIPath(_ path: String) -> Bool {
        path == "/api" || path.hasPrefix("/api/") || path == "/download" || path.hasPrefix("/download/")
    }

    /// The app fallback for a GET/HEAD that no route (under any method) matched, outside the API paths.
    private func fallbackMatch(_ request: HTTPRequest, allowed: [String]) -> (route: Route, parameters: [String: String])? {
        guard let fallback, allowed.isEmpty, request.method == "GET" || request.method == "HEAD",
              !Self.isAPIPath(request.path) else { return nil }
        return (fallback, [:])
    }

    /// For proxy-authenticated writes (no CSRF token exists): a browser's `Origin`, when sent, must name this host.
    static func sameOrigin(_ request: HTTPRequest) -> Bool {
        guard let origin = request.header("Origin") else { return true }
        guard let host = request.header("X-Forwarded-Host") ?? request.header("Host"),
              let components = URLComponents(string: origin), let originHost = components.host else { return false }
        let originAuthority = originHost + (components.port.map { ":\($0)" } ?? "")
        return originAuthority.lowercased() == host.lowercased()
            || originHost.lowercased() == host.split(separator: ":").first.map(String.init)?.lowercased() && components.port == nil
    }

    /// Whether the request carries any credential this route would read.
    private func hasCredentials(_ request: HTTPRequest, route: Route) -> Bool {
        request.header("X-Proxy-Secret") != nil || request.header("X-API-Token") != nil || request.header("Authorization") != nil
            || (route.allowsQueryToken && request.queryValue("token") != nil) || Self.cookie("pulse_session", in: request) != nil
    }

    /// `setupToken` from a JSON body (quick-setup accepts the bootstrap token there too).
    private static func bodySetupToken(_ request: HTTPRequest) -> String? {
        guard !request.body.isEmpty,
              let object = try? JSONSerialization.jsonObject(with: Data(request.body)) as? [String: Any] else { return nil }
        return object["setupToken"] as? String
    }

    /// Finds the credentials on a request. A token is read from `X-API-Token`, then `Authorization: Bearer`, then
    /// `?token=` where the route allows it; the first one present decides (a bad header is never skipped over), and
    /// a request carrying a token header is judged by that token alone, never by a cookie next to it. Without a
    /// token, the `pulse_session` cookie.
    private func authenticate(_ request: HTTPRequest, route: Route) throws(APIError) -> Principal {
        if let proxyAuth = configuration.proxyAuth, request.header("X-Proxy-Secret") != nil {
            // Only from the configured proxies when there are any: the secret must not be guessable from anywhere.
            if !configuration.trustedProxies.isEmpty,
               !(IPAddress(request.clientAddress).map(clientResolver.isTrusted) ?? false) {
                throw APIError(status: 401, code: "invalid_proxy_secret", message: "Proxy authentication failed")
            }
            if let user = try proxyAuth.authenticate(header: request.header) {
                if route.isMutating, !Self.sameOrigin(request) {
                    throw APIError.forbidden("csrf_failed", "Cross-site request refused: Origin does not match the host")
                }
                return Principal(kind: .proxy(username: user.username), isAdmin: user.isAdmin)
            }
        }
        let hasTokenHeader = request.header("X-API-Token") != nil || request.header("Authorization") != nil
        if !hasTokenHeader, !(route.allowsQueryToken && request.queryValue("token") != nil),
           let sessions, let cookie = Self.cookie("pulse_session", in: request) {
            guard let session = sessions.validate(cookie) else { throw APIError.unauthorized }
            return Principal(kind: .session(session), isAdmin: true)
        }
        var presented: String?
        if let header = request.header("X-API-Token") {
            presented = header.trimmingWhitespace()
        } else if let authorization = request.header("Authorization") {
            let parts = authorization.split(separator: " ", maxSplits: 1)
            if parts.count == 2, parts[0].lowercased() == "bearer" { presented = parts[1].trimmingWhitespace() }
        } else if route.allowsQueryToken, let query = request.queryValue("token") {
            presented = query
        }
        guard let presented, !presented.isEmpty else { throw APIError.unauthorized }
        guard let record = tokens.authenticate(presented) else { throw APIError.invalidToken }
        return Principal(kind: .apiToken(record), isAdmin: true)
    }

    /// Mutating requests in a session need the session's CSRF token in `X-CSRF-Token`. A failure answers 403 with a
    /// fresh token (cookie and header) the page can retry with; a GET without the CSRF cookie gets one.
    private func checkCSRF(_ request: HTTPRequest, route: Route, session: Session, clientIP: String) throws(APIError) -> [(String, String)] {
        guard let sessions else { return [] }
        if route.isMutating, !Self.csrfExempt.contains(route.path) {
            if sessions.checkCSRF(request.header("X-CSRF-Token"), session: session) { return [] }
            gate.audit?.record("csrf_failure", user: session.username, ip: clientIP, path: request.path, success: false)
            var error = APIError(status: 403, code: "csrf_failed", message: "CSRF token validation failed")
            if let fresh = sessions.rotateCSRF(session: session) {
                error.headers = [("Set-Cookie", Self.csrfCookie(fresh, request: request, session: session, tls: configuration.tlsEnabled)),
                                 ("X-CSRF-Token", fresh)]
            }
            throw error
        }
        if Self.cookie("pulse_csrf", in: request) == nil, let fresh = sessions.rotateCSRF(session: session) {
            return [("Set-Cookie", Self.csrfCookie(fresh, request: request, session: session, tls: configuration.tlsEnabled))]
        }
        return []
    }

    /// A cookie's value from the `Cookie` header.
    static func cookie(_ name: String, in request: HTTPRequest) -> String? {
        guard let header = request.header("Cookie") else { return nil }
        for part in header.split(separator: ";") {
            let pair = part.trimmingWhitespace()
            if pair.hasPrefix(name + "=") { return String(pair.dropFirst(name.count + 1)) }
        }
        return nil
    }

    static func csrfCookie(_ value: String, request: HTTPRequest, session: Session, tls: Bool) -> String {
        CookieFactory.cookie("pulse_csrf", value, maxAge: Int(session.duration), httpOnly: false, request: request, tls: tls)
    }

    private func match(method: String, path: String) -> (route: (route: Route, parameters: [String: String])?, allowed: [String]) {
        let segments = path.split(separator: "/", omittingEmptySubsequences: true)
        var allowed: [String] = []
        let effectiveMethod = method == "HEAD" ? "GET" : method
        for compiled in routes where compiled.segments.count == segments.count {
            var parameters: [String: String] = [:]
            var matches = true
            for (pattern, segment) in zip(compiled.segments, segments) {
                if pattern.first == "{", pattern.last == "}" {
                    parameters[String(pattern.dropFirst().dropLast())] = String(segment)
                } else if pattern != segment {
                    matches = false
                    break
                }
            }
            guard matches else { continue }
            if compiled.route.method == effectiveMethod { return ((compiled.route, parameters), []) }
            allowed.append(compiled.route.method)
            if compiled.route.method == "GET" { allowed.append("HEAD") }
        }
        return (nil, allowed.isEmpty ? [] : allowed + ["OPTIONS"])
    }

    // MARK: Response decoration

    private func requestID(for request: HTTPRequest) -> String {
        if let supplied = request.header("X-Request-ID"), (1...128).contains(supplied.utf8.count),
           supplied.utf8.allSatisfy({ $0.isASCIIAlphanumeric || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: ".") }) {
            return supplied
        }
        return Crypto.randomBytes(12).hexString
    }

    private func finish(_ response: HTTPResponse, request: HTTPRequest, requestID: String) -> HTTPResponse {
        var response = response
        response.setHeader("X-Request-ID", requestID)
        response.setHeader("X-Content-Type-Options", "nosniff")
        response.setHeader("X-Frame-Options", "DENY")
        response.setHeader("X-XSS-Protection", "1; mode=block")
        response.setHeader("Referrer-Policy", "strict-origin-when-cross-origin")
        response.setHeader("Permissions-Policy", "geolocation=(), microphone=(), camera=()")
        // The web app's pages set their own policy (WebAppHandlers.contentSecurityPolicy); everything else is
        // data (JSON, scripts, files) that needs no sub-resources at all.
        if response.header("Content-Security-Policy") == nil {
            response.setHeader("Content-Security-Policy", Self.dataContentSecurityPolicy)
        }
        if request.path.hasPrefix("/api/"), response.header("Cache-Control") == nil { response.setHeader("Cache-Control", "no-store") }
        if configuration.tlsEnabled { response.setHeader("Strict-Transport-Security", "max-age=31536000") }
        addCORS(&response, request: request)
        return response
    }

    /// The policy for API responses and files: nothing may load, run or frame.
    public static let dataContentSecurityPolicy = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"

    private func addCORS(_ response: inout HTTPResponse, request: HTTPRequest) {
        guard !configuration.allowedOrigins.isEmpty, let origin = request.header("Origin") else { return }
        let wildcard = configuration.allowedOrigins.contains("*")
        guard wildcard || configuration.allowedOrigins.contains(origin) else { return }
        response.setHeader("Access-Control-Allow-Origin", wildcard ? "*" : origin)
        response.setHeader("Access-Control-Allow-Methods", "GET, POST, PUT, DELETE, OPTIONS")
        response.setHeader("Access-Control-Allow-Headers",
                           "Content-Type, Authorization, X-API-Token, X-CSRF-Token, X-Setup-Token")
        response.setHeader("Access-Control-Expose-Headers", "X-CSRF-Token, X-Authenticated-User, X-Auth-Method")
        if !wildcard {
            response.setHeader("Access-Control-Allow-Credentials", "true")
            response.setHeader("Vary", "Origin")
        }
    }
}

extension UInt8 {
    var isASCIIAlphanumeric: Bool { (48...57).contains(self) || (65...90).contains(self) || (97...122).contains(self) }
}
