import PulseCommon

/// Where the hub is, how to authenticate to it and how to trust it; shared by every agent→hub request.
///
/// Requests carry both `X-API-Token` and `Authorization: Bearer` (agent-protocol 2). Redirects are never followed
/// (`HTTPClient` sets `CURLOPT_FOLLOWLOCATION` 0; a 3xx becomes a failure suggesting the final `https://` URL).
/// Proxies come from the environment as libcurl reads it: `https_proxy`/`HTTPS_PROXY`, `http_proxy` (and
/// `HTTP_PROXY`, copied to `http_proxy` at start), `ALL_PROXY`, `NO_PROXY`; nothing in the agent disables them.
public struct HubConnection: Sendable, Equatable {
    /// The hub base URL without a trailing `/`.
    public let baseURL: String
    public let token: String
    public var tls: TLSOptions

    public init(baseURL: String, token: String, tls: TLSOptions = TLSOptions()) {
        var base = baseURL
        while base.hasSuffix("/") { base.removeLast() }
        self.baseURL = base
        self.token = token
        self.tls = tls
    }

    /// A request to `path` (starting with `/`) with the auth headers, the user agent and the TLS options.
    func request(_ method: String, _ path: String, body: [UInt8]? = nil, userAgent: String,
                 timeout: Duration) -> HTTPClientRequest {
        var headers = [("Accept", "application/json"), ("X-API-Token", token), ("Authorization", "Bearer \(token)"),
                       ("User-Agent", userAgent)]
        if body != nil { headers.insert(("Content-Type", "application/json"), at: 0) }
        var request = HTTPClientRequest(method: method, url: baseURL + path, headers: headers, body: body,
                                        timeout: timeout)
        tls.apply(to: &request)
        return request
    }

    /// A transport error, explained for the pinning and CA cases (curl 60: the peer's certificate was refused).
    func explain(_ error: HTTPClientError) -> String {
        explain(code: error.code, error.description)
    }

    /// `description` with a hint for libcurl's certificate failures (35 handshake, 58 local cert, 60 peer
    /// verification, 77 CA file).
    func explain(code: Int, _ description: String) -> String {
        guard code == 60 || code == 35 || code == 58 || code == 77 else { return description }
        if let pin = tls.pinnedCertificate {
            return "\(description); the hub's TLS certificate does not match --fingerprint \(pin)"
        }
        if let caFile = tls.caFile {
            return "\(description); the hub's TLS certificate is not signed by a CA in --cacert \(caFile)"
        }
        return "\(description); pass --cacert FILE (or --fingerprint SHA256) to trust the hub's certificate"
    }

    /// Copies `HTTP_PROXY` to `http_proxy` when only the upper-case one is set: libcurl reads only the lower-case
    /// name for plain-HTTP proxies (an httpoxy guard meant for CGI programs, which the agent is not). Call before
    /// any thread starts.
    static func exportProxyEnvironment(_ environment: [String: String], setenv: (String, String) -> Void) {
        if environment["http_proxy"] == nil, let proxy = environment["HTTP_PROXY"], !proxy.isEmpty {
            setenv("http_proxy", proxy)
        }
    }

    /// The proxy environment variables that are set, with any `user:password@` removed, for the start log.
    static func proxySummary(_ environment: [String: String]) -> String? {
        let names = ["https_proxy", "HTTPS_PROXY", "http_proxy", "HTTP_PROXY", "ALL_PROXY", "all_proxy", "NO_PROXY",
                     "no_proxy"]
        let set = names.compactMap { name -> String? in
            guard let value = environment[name], !value.isEmpty else { return nil }
            return "\(name)=\(redactingCredentials(value))"
        }
        return set.isEmpty ? nil : set.joined(separator: " ")
    }

    static func redactingCredentials(_ url: String) -> String {
        guard let at = url.lastIndex(of: "@") else { return url }
        var schemeEnd = url.startIndex
        if let colon = url.firstIndex(of: ":"), url[colon...].hasPrefix("://") {
            schemeEnd = url.index(colon, offsetBy: 3)
        }
        guard schemeEnd <= at else { return url }
        return String(url[..<schemeEnd]) + "***@" + String(url[url.index(after: at)...])
    }
}
