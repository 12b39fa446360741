/// `Set-Cookie` values with the reference's Secure and SameSite rules (hub-api section 2.4).
public enum CookieFactory {
    /// Whether the client reached us over HTTPS (directly, or as a proxy says).
    static func isSecure(_ request: HTTPRequest, tls: Bool) -> Bool {
        tls || request.header("X-Forwarded-Proto")?.lowercased() == "https"
            || (request.header("Forwarded")?.lowercased().contains("proto=https") ?? false)
    }

    static func isProxied(_ request: HTTPRequest) -> Bool {
        ["X-Forwarded-For", "X-Forwarded-Proto", "X-Forwarded-Host", "X-Real-IP", "Forwarded", "CF-Ray", "CF-Connecting-IP"]
            .contains { request.header($0) != nil }
    }

    /// A cookie for the whole site.
    public static func cookie(_ name: String, _ value: String, maxAge: Int, httpOnly: Bool, request: HTTPRequest,
                              tls: Bool) -> String {
        let secure = isSecure(request, tls: tls)
        var parts = ["\(name)=\(value)", "Path=/", "Max-Age=\(maxAge)"]
        if httpOnly { parts.append("HttpOnly") }
        if secure { parts.append("Secure") }
        parts.append(secure && isProxied(request) ? "SameSite=None" : "SameSite=Lax")
        return parts.joined(separator: "; ")
    }
}
