import Foundation
import PulseCommon
import Testing
@testable import PulseHub

/// Addresses, CIDRs, trusted-proxy resolution and the request rate limits.
@Suite struct NetworkAndRateLimitTests {
    @Test func addressesParseAndClassify() throws {
        #expect(IPAddress("127.0.0.1")?.isLoopback == true)
        #expect(IPAddress("::1")?.isLoopback == true)
        #expect(IPAddress("::ffff:127.0.0.1")?.isLoopback == true, "IPv4-mapped loopback is loopback")
        #expect(IPAddress("::ffff:10.1.2.3")?.description == "10.1.2.3")
        #expect(IPAddress("[fe80::1%eth0]")?.isNonPublic == true)
        for address in ["10.0.0.1", "172.31.255.255", "192.168.1.1", "169.254.169.254", "100.64.0.1", "0.0.0.0",
                        "224.0.0.1", "255.255.255.255", "fd00::1", "fe80::1", "::", "::ffff:192.168.0.1", "64:ff9b::a9fe:a9fe"] {
            #expect(IPAddress(address)?.isNonPublic == true, "\(address) is not public")
        }
        for address in ["8.8.8.8", "1.1.1.1", "2606:4700::1111", "172.32.0.1", "11.0.0.1"] {
            #expect(IPAddress(address)?.isNonPublic == false, "\(address) is public")
        }
        for bad in ["", "1.2.3", "1.2.3.4.5", "256.1.1.1", "example.com", "1.2.3.4/8", "::g", String(repeating: "1", count: 100)] {
            #expect(IPAddress(bad) == nil, "\(bad) is not an address")
        }
    }

    @Test func cidrsContainTheirAddresses() throws {
        let network = try #require(CIDR("10.1.0.0/16"))
        #expect(network.contains(IPAddress("10.1.200.3")!))
        #expect(!network.contains(IPAddress("10.2.0.1")!))
        #expect(!network.contains(IPAddress("::1")!))
        #expect(CIDR("192.168.1.77")?.description == "192.168.1.77/32")
        #expect(CIDR("10.1.2.3/8")?.description == "10.0.0.0/8", "host bits are masked")
        #expect(CIDR("2001:db8::/32")?.contains(IPAddress("2001:db8:1::5")!) == true)
        #expect(CIDR("::ffff:10.0.0.0/104")?.contains(IPAddress("10.3.4.5")!) == true)
        for bad in ["10.0.0.0/33", "10.0.0.0/-1", "::/129", "x/8", "10.0.0.0/"] { #expect(CIDR(bad) == nil, "\(bad)") }
        let list = CIDR.parseList("10.0.0.0/8, 127.0.0.1 bogus,::1")
        #expect(list.networks.count == 3 && list.invalid == ["bogus"])
    }

    @Test func forwardedForIsBelievedOnlyFromTrustedProxies() {
        let resolver = ClientAddressResolver(trustedProxies: [CIDR("10.0.0.0/8")!])
        // An untrusted peer's headers are ignored.
        #expect(resolver.clientAddress(peer: "203.0.113.9", forwardedFor: "1.2.3.4", realIP: "5.6.7.8") == "203.0.113.9")
        // From a trusted proxy, the rightmost untrusted hop is the client, whatever the client prepended.
        #expect(resolver.clientAddress(peer: "10.0.0.2", forwardedFor: "6.6.6.6, 198.51.100.7", realIP: nil) == "198.51.100.7")
        #expect(resolver.clientAddress(peer: "10.0.0.2", forwardedFor: "198.51.100.7, 10.0.0.5", realIP: nil) == "198.51.100.7")
        #expect(resolver.clientAddress(peer: "10.0.0.2", forwardedFor: nil, realIP: "198.51.100.8") == "198.51.100.8")
        // Garbage in the header falls back to the peer.
        #expect(resolver.clientAddress(peer: "10.0.0.2", forwardedFor: "not-an-ip", realIP: nil) == "10.0.0.2")
        #expect(ClientAddressResolver.isDirectLoopback(peer: "127.0.0.1", headers: { _ in nil }))
        #expect(!ClientAddressResolver.isDirectLoopback(peer: "127.0.0.1", headers: { $0 == "X-Forwarded-For" ? "1.2.3.4" : nil }))
        #expect(!ClientAddressResolver.isDirectLoopback(peer: "192.0.2.1", headers: { _ in nil }))
    }

    @Test func slidingWindowLimiter() {
        let limiter = RateLimiter(limit: 10, window: 60)
        let start = Date(timeIntervalSince1970: 1_800_000_000)
        for index in 0..<10 { #expect(limiter.admit("a", now: start.addingTimeInterval(Double(index))) == nil) }
        let wait = limiter.admit("a", now: start.addingTimeInterval(10))
        #expect(wait != nil && wait! >= 1)
        #expect(limiter.admit("b", now: start.addingTimeInterval(10)) == nil, "keys are independent")
        // Just after the window turns, most of the previous window still counts…
        #expect(limiter.admit("a", now: start.addingTimeInterval(61)) != nil)
        // …and two windows later none of it does.
        #expect(limiter.admit("a", now: start.addingTimeInterval(125)) == nil)
    }

    @Test func bucketsFollowTheSpec() {
        #expect(RateLimitPolicy.bucket(method: "POST", path: "/api/login") == .auth)
        #expect(RateLimitPolicy.bucket(method: "POST", path: "/api/security/recovery") == .recovery)
        #expect(RateLimitPolicy.bucket(method: "GET", path: "/api/health") == .publicRead)
        #expect(RateLimitPolicy.bucket(method: "GET", path: "/metrics") == .publicRead)
        #expect(RateLimitPolicy.bucket(method: "POST", path: "/api/agents/host/report") == .agentReport)
        #expect(RateLimitPolicy.bucket(method: "POST", path: "/api/config/system") == .configWrite)
        #expect(RateLimitPolicy.bucket(method: "GET", path: "/api/config/system") == .publicRead)
        #expect(RateLimitPolicy.bucket(method: "GET", path: "/api/security/tokens") == .general)
        #expect(RateLimitPolicy.bucket(method: "GET", path: "/api/state") == nil)
        #expect(RateLimitPolicy.bucket(method: "GET", path: "/install.sh") == .downloads)
        #expect(RateLimitPolicy.bucket(method: "GET", path: "/download/pulse-agent") == .downloads)
        #expect(RateLimitPolicy.bucket(method: "GET", path: "/") == nil)
    }

    private func request(_ hub: TestHub, _ method: String, _ path: String, peer: String, token: String? = nil,
                         forwardedFor: String? = nil, body: String = "") -> HTTPResponse {
        var headers: [String: String] = [:]
        if let token { headers["x-api-token"] = token }
        if let forwardedFor { headers["x-forwarded-for"] = forwardedFor }
        return hub.router.respond(to: HTTPRequest(method: method, path: path, headers: headers, body: Array(body.utf8),
                                                  clientAddress: peer))
    }

    @Test func generalLimitAnswers429WithTheSpecHeaders() throws {
        let hub = try TestHub()
        let token = try hub.token([.settingsRead])
        var last = HTTPResponse(status: 0)
        var admitted = 0
        for _ in 0..<520 {
            last = request(hub, "GET", "/api/security/tokens", peer: "198.51.100.20", token: token)
            if last.status == 200 { admitted += 1 } else { break }
        }
        #expect(admitted == 500)
        #expect(last.status == 429)
        #expect(last.header("Content-Type")?.hasPrefix("text/plain") == true)
        #expect(Int(last.header("Retry-After") ?? "") ?? 0 >= 1)
        #expect(last.header("X-RateLimit-Limit") == "500")
        #expect(last.header("X-RateLimit-Remaining") == "0")
        #expect(last.header("X-RateLimit-Reset").flatMap(RFC3339.parse) != nil)
        // Another address is unaffected; direct loopback is never limited.
        #expect(request(hub, "GET", "/api/security/tokens", peer: "198.51.100.21", token: token).status == 200)
        #expect(request(hub, "GET", "/api/security/tokens", peer: "127.0.0.1", token: token).status == 200)
    }

    @Test func spoofedForwardedForDoesNotEscapeTheLimit() throws {
        // Without trusted proxies, X-Forwarded-For is ignored: rotating it does not buy new budget.
        let hub = try TestHub()
        var statuses: [Int] = []
        for index in 0..<12 {
            statuses.append(request(hub, "POST", "/api/login", peer: "198.51.100.30", forwardedFor: "203.0.113.\(index)",
                                    body: #"{"username":"admin","password":"wrong password!"}"#).status)
        }
        #expect(statuses.filter { $0 == 429 }.count >= 2)

        // Behind a trusted proxy, each forwarded client has its own budget.
        let proxied = try TestHub(environment: ["PULSE_TRUSTED_PROXY_CIDRS": "10.0.0.0/8"])
        for index in 0..<12 {
            let response = request(proxied, "POST", "/api/login", peer: "10.0.0.2", forwardedFor: "203.0.113.\(index)",
                                   body: #"{"username":"admin","password":"wrong password!"}"#)
            #expect(response.status == 401)
        }
    }

    @Test func agentReportsAreLimitedPerTokenNotPerAddress() throws {
        let hub = try TestHub()
        // 600 agents behind one NAT address, each with its own token, report once: nobody is throttled, although
        // the per-address budget is 500 a minute.
        var tokens: [String] = []
        for index in 0..<600 { tokens.append(try hub.token([.hostAgentReport], name: "agent-\(index)")) }
        var throttled = 0
        for (index, token) in tokens.enumerated() {
            let body = reportJSON(hostname: "nat-host-\(index)", id: "machine-\(index)", agentID: "agent-\(index)")
            if request(hub, "POST", "/api/agents/host/report", peer: "198.51.100.40", token: token, body: body).status == 429 {
                throttled += 1
            }
        }
        #expect(throttled == 0)
        // One token flooding is limited.
        let flood = tokens[0]
        var statuses: [Int] = []
        for index in 0..<1_010 {
            let body = reportJSON(hostname: "nat-host-0", id: "machine-0", sequence: String(index + 10), agentID: "agent-0")
            statuses.append(request(hub, "POST", "/api/agents/host/report", peer: "198.51.100.41", token: flood, body: body).status)
        }
        #expect(statuses.contains(429))
    }
}
