import Foundation
import PulseCommon

/// The hub-wide request limits of hub-api section 2.5, keyed by client address (after trusted-proxy resolution),
/// except agent report routes, which are keyed by the agent's token so that many agents behind one NAT are not
/// throttled together.
public final class RateLimitPolicy: Sendable {
    /// A class of requests sharing one limit.
    public enum Bucket: String, Sendable, CaseIterable {
        case auth, recovery, exportImport, configWrite, updates, publicRead, general, agentReport, downloads
    }

    private let limiters: [Bucket: RateLimiter]

    public init(agentReportsPerMinute: Int = 1_000) {
        limiters = [
            .auth: RateLimiter(limit: 10, window: 60),
            .recovery: RateLimiter(limit: 3, window: 600),
            .exportImport: RateLimiter(limit: 5, window: 300),
            .configWrite: RateLimiter(limit: 30, window: 60),
            .updates: RateLimiter(limit: 60, window: 60),
            .publicRead: RateLimiter(limit: 1_000, window: 60),
            .general: RateLimiter(limit: 500, window: 60),
            .agentReport: RateLimiter(limit: agentReportsPerMinute, window: 60),
            .downloads: RateLimiter(limit: 60, window: 60),
        ]
    }

    /// Which bucket a request falls in; nil when it is not limited (non-API paths, `/api/state`). Agent report
    /// routes are `agentReport`, limited after authentication by token.
    public static func bucket(method: String, path: String) -> Bucket? {
        if path.hasPrefix("/download/") || path.hasPrefix("/install") || path.hasPrefix("/uninstall")
            || path.hasPrefix("/api/install/") {
            return .downloads
        }
        guard path.hasPrefix("/api/") || path == "/metrics" else { return nil }
        if path.hasPrefix("/api/state") || path.hasPrefix("/api/guests/metadata") { return nil }
        if path.hasPrefix("/api/agents/"), path.hasSuffix("/report") { return .agentReport }
        switch path {
        case "/api/login", "/api/logout", "/api/security/change-password": return .auth
        case "/api/security/recovery": return .recovery
        case "/api/config/export", "/api/config/import": return .exportImport
        case "/api/health", "/api/version", "/api/security/status", "/api/security/validate-bootstrap-token",
             "/api/config/authorized-nodes", "/api/discover", "/metrics":
            return .publicRead
        default: break
        }
        if path.hasPrefix("/api/auth") { return .auth }
        if path.hasPrefix("/api/updates") { return .updates }
        if path.hasSuffix("/metrics") { return .publicRead }
        if path.hasPrefix("/api/config/") {
            if method == "GET" || method == "HEAD" { return .publicRead }
            for prefix in ["/api/config/nodes", "/api/config/system", "/api/config/webhooks", "/api/config/alerts"]
            where path.hasPrefix(prefix) {
                return .configWrite
            }
        }
        return .general
    }

    /// Admits one request in `bucket` for `key`, or returns the 429 to send.
    public func admit(_ bucket: Bucket, key: String, now: Date) -> HTTPResponse? {
        guard let limiter = limiters[bucket], let wait = limiter.admit("\(bucket.rawValue)|\(key)", now: now) else { return nil }
        let seconds = Int(wait.rounded(.up))
        var response = HTTPResponse(status: 429, headers: [("Content-Type", "text/plain; charset=utf-8")],
                                    body: Array("Rate limit exceeded. Please try again in \(seconds) seconds.\n".utf8))
        response.setHeader("Retry-After", String(seconds))
        response.setHeader("X-RateLimit-Limit", String(limiter.limit))
        response.setHeader("X-RateLimit-Remaining", "0")
        response.setHeader("X-RateLimit-Reset", RFC3339.format(now.addingTimeInterval(TimeInterval(seconds))))
        return response
    }
}
