import Foundation
import PulseCommon
import Testing
@testable import PulseAgent

/// Trusting the hub: `--cacert`, `--fingerprint`, redirects and proxies.
struct TLSTests {
    static let pinHex = "9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08"

    @Test func fingerprintsParseInEveryCommonSpelling() {
        let bytes = CertificateFingerprint(Self.pinHex)?.bytes
        #expect(bytes?.count == 32 && bytes?.first == 0x9F && bytes?.last == 0x08)
        var colons = ""
        for (index, character) in Self.pinHex.enumerated() {
            if index > 0 && index % 2 == 0 { colons += ":" }
            colons.append(character)
        }
        for spelling in [Self.pinHex.lowercased(), colons, colons.lowercased(), "sha256 Fingerprint=" + colons,
                         "SHA256:" + Self.pinHex, "  " + colons + "\n"] {
            #expect(CertificateFingerprint(spelling)?.bytes == bytes, "\(spelling)")
        }
        #expect(CertificateFingerprint(Self.pinHex)?.description == colons)
        for bad in ["", "abc", String(Self.pinHex.dropLast()), Self.pinHex + "00", String(Self.pinHex.dropLast()) + "g"] {
            #expect(CertificateFingerprint(bad) == nil, "\(bad)")
        }
    }

    @Test func optionsGoOntoTheRequest() throws {
        var request = HTTPClientRequest(url: "https://hub")
        TLSOptions(insecureSkipVerify: true, caFile: "/etc/ca.pem").apply(to: &request)
        #expect(request.insecureSkipVerify && request.caFile == "/etc/ca.pem")
        let connection = HubConnection(baseURL: "https://hub:7655//", token: "t",
                                       tls: TLSOptions(caFile: "/etc/ca.pem"))
        let built = connection.request("GET", "/api/x", userAgent: "ua", timeout: .seconds(3))
        #expect(built.url == "https://hub:7655/api/x" && built.caFile == "/etc/ca.pem" && !built.insecureSkipVerify)
        #expect(Dictionary(uniqueKeysWithValues: built.headers)["X-API-Token"] == "t")
        var pinned = HTTPClientRequest(url: "https://hub")
        TLSOptions(insecureSkipVerify: true, pinnedCertificate: CertificateFingerprint(Self.pinHex)).apply(to: &pinned)
        #expect(!pinned.insecureSkipVerify, "the pin replaces --insecure")
        #expect(pinned.pinnedCertificateSHA256 == CertificateFingerprint(Self.pinHex)?.bytes)
    }

    @Test func certificateErrorsSayWhatToDo() throws {
        let problem = "HTTP request failed (60): SSL certificate problem: self-signed certificate"
        #expect(HubConnection(baseURL: "https://h", token: "t").explain(code: 60, problem).contains("pass --cacert FILE"))
        #expect(HubConnection(baseURL: "https://h", token: "t", tls: TLSOptions(caFile: "/ca.pem"))
            .explain(code: 60, problem).contains("not signed by a CA in --cacert /ca.pem"))
        let pinned = TLSOptions(pinnedCertificate: CertificateFingerprint(Self.pinHex))
        #expect(HubConnection(baseURL: "https://h", token: "t", tls: pinned).explain(code: 60, problem)
            .contains("does not match --fingerprint 9F:86"))
        #expect(HubConnection(baseURL: "https://h", token: "t").explain(code: 7, "refused") == "refused")
    }

    @Test func configurationChecksTheTLSFlags() throws {
        let directory = try TestSupport.temporaryDirectory()
        defer { TestSupport.remove(directory) }
        try TestSupport.write("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n", to: directory + "/ca.pem")
        try TestSupport.write("not a cert", to: directory + "/junk.pem")
        func parse(_ arguments: [String], _ environment: [String: String] = ["PULSE_TOKEN": "t"]) throws -> AgentConfiguration {
            guard case .run(let config) = try AgentConfiguration.parse(arguments: arguments, environment: environment,
                                                                       defaultTokenFile: "/nonexistent") else {
                throw ConfigurationError.invalid("not run")
            }
            return config
        }
        #expect(try parse(["--cacert", directory + "/ca.pem"]).tls.caFile == directory + "/ca.pem")
        #expect(try parse([], ["PULSE_TOKEN": "t", "PULSE_CACERT": directory + "/ca.pem"]).caFile == directory + "/ca.pem")
        #expect(throws: ConfigurationError.self) { try parse(["--cacert", directory + "/junk.pem"]) }
        #expect(throws: ConfigurationError.self) { try parse(["--cacert", directory + "/missing.pem"]) }
        #expect(throws: ConfigurationError.self) { try parse(["--fingerprint", "abc", "--url", "https://h"]) }
        #expect(throws: ConfigurationError.self) { try parse(["--fingerprint", Self.pinHex, "--url", "http://h"]) }
        let config = try parse(["--fingerprint", Self.pinHex, "--url", "https://h", "--insecure"])
        #expect(config.tls.pinnedCertificate == CertificateFingerprint(Self.pinHex))
        #expect(config.warnings.contains { $0.contains("--insecure is ignored") })
    }

    @Test func redirectsAreRefusedWithAHint() throws {
        let hub = try FakeHub { _ in
            FakeHub.Response(status: 301, body: "", headers: [("Location", "https://hub.example/api/agents/host/report")])
        }
        defer { hub.stop() }
        let transport = HTTPReportTransport(connection: HubConnection(baseURL: hub.baseURL, token: "t"),
                                            logger: TestSupport.logger())
        do {
            _ = try transport.send(HostReport(host: .init(hostname: "h")))
            Issue.record("expected a failure")
        } catch {
            #expect(error.status == 301 && !error.retryable)
            #expect(error.message.contains("redirects are not followed") && error.message.contains("https://hub.example"))
        }
        #expect(hub.requests.count == 1, "the redirect was not followed")
    }

    @Test func proxyEnvironment() {
        var exported: [String: String] = [:]
        HubConnection.exportProxyEnvironment(["HTTP_PROXY": "http://proxy:3128"]) { exported[$0] = $1 }
        #expect(exported == ["http_proxy": "http://proxy:3128"])
        exported = [:]
        HubConnection.exportProxyEnvironment(["HTTP_PROXY": "http://a:1", "http_proxy": "http://b:2"]) { exported[$0] = $1 }
        #expect(exported.isEmpty, "an explicit http_proxy wins")
        let summary = HubConnection.proxySummary(["HTTPS_PROXY": "http://user:secret@proxy:3128", "NO_PROXY": "localhost"])
        #expect(summary == "HTTPS_PROXY=http://***@proxy:3128 NO_PROXY=localhost")
        #expect(HubConnection.proxySummary([:]) == nil)
    }

    /// A real HTTPS hub (`pulse-hub` with a self-signed certificate made by openssl).
    @Test(.enabled(if: HubServer.binary != nil && HubServer.hasOpenSSL, "needs pulse-hub and openssl"))
    func cacertAndPinningAgainstARealHTTPSHub() throws {
        let hub = try HubServer()
        let token = try hub.cli(["token", "create", "--name", "agent", "--scopes", "host-agent:report"])
        let tls = try hub.makeCertificate()
        let other = try hub.makeCertificate(name: "other")
        try hub.start(tls: tls)
        defer { hub.stop() }
        let url = "https://127.0.0.1:\(hub.port)"
        let report = HostReport(agent: .init(id: "tls-agent"), host: .init(hostname: "tls-host"), timestamp: Date(),
                                sequenceId: "1")

        func send(_ options: TLSOptions) -> Result<HostReportResponse?, DeliveryFailure> {
            let transport = HTTPReportTransport(connection: HubConnection(baseURL: url, token: token, tls: options),
                                                logger: TestSupport.logger(), timeout: .seconds(5))
            return Result { () throws(DeliveryFailure) in try transport.send(report) }
        }

        guard case .failure(let untrusted) = send(TLSOptions()) else {
            Issue.record("a self-signed hub certificate must not be trusted by default")
            return
        }
        #expect(untrusted.status == nil && untrusted.message.contains("--cacert"))
        #expect(try send(TLSOptions(caFile: tls.cert)).get()?.hostId != nil, "trusted through --cacert")
        guard case .failure(let wrongCA) = send(TLSOptions(caFile: other.cert)) else {
            Issue.record("another CA must not be trusted")
            return
        }
        #expect(wrongCA.message.contains("not signed by a CA in --cacert"))
        #expect(try send(TLSOptions(insecureSkipVerify: true)).get() != nil)

        let right = try #require(CertificateFingerprint(try HubServer.fingerprint(of: tls.cert)))
        let wrong = try #require(CertificateFingerprint(try HubServer.fingerprint(of: other.cert)))
        #expect(try send(TLSOptions(pinnedCertificate: right)).get() != nil, "the pinned certificate is trusted")
        guard case .failure(let mismatch) = send(TLSOptions(insecureSkipVerify: true, pinnedCertificate: wrong)) else {
            Issue.record("a certificate that does not match the pin must be refused, even with --insecure")
            return
        }
        #expect(mismatch.status == nil && mismatch.message.contains("does not match --fingerprint"))
    }
}
