import Foundation
import PulseCommon
import Testing
@testable import PulseHub

@Suite struct TokenServiceTests {
    @Test func createAuthenticateRevoke() throws {
        let hub = try TestHub()
        let created = try hub.tokens.create(name: "ci", scopes: [.monitoringRead])
        #expect(created.raw.isHex(length: 64))
        #expect(created.record.hash == TokenService.hash(created.raw))
        #expect(created.record.prefix == String(created.raw.prefix(6)) && created.record.suffix == String(created.raw.suffix(4)))
        #expect(hub.tokens.authenticate(created.raw)?.id == created.record.id)
        #expect(hub.tokens.authenticate(created.raw.uppercased()) == nil)
        #expect(hub.tokens.authenticate("") == nil)
        #expect(try hub.tokens.revoke(id: created.record.id))
        #expect(hub.tokens.authenticate(created.raw) == nil)
        #expect(try !hub.tokens.revoke(id: created.record.id))
    }

    @Test func onlyTheHashIsStored() throws {
        let hub = try TestHub()
        let created = try hub.tokens.create(name: "ci", scopes: [.all])
        let rows = try hub.store.database.query("SELECT * FROM api_tokens")
        let flattened = rows.flatMap { $0 }.compactMap(\.string)
        #expect(!flattened.contains(created.raw))
        #expect(flattened.contains(TokenService.hash(created.raw)))
    }

    @Test func lastUsedIsBatched() throws {
        let hub = try TestHub()
        let created = try hub.tokens.create(name: "ci", scopes: [.all])
        let used = Date(timeIntervalSince1970: 1_796_396_400)
        _ = hub.tokens.authenticate(created.raw, now: used)
        #expect(try hub.store.allTokens().first?.lastUsedAt == nil)
        try hub.tokens.flush()
        #expect(try hub.store.allTokens().first?.lastUsedAt == used)
    }

    @Test func changesFromAnotherProcessAreSeen() throws {
        let hub = try TestHub()
        let cli = try TokenService(store: ControlStore(dataDirectory: hub.directory), logger: hub.logger)
        let created = try cli.create(name: "from cli", scopes: [.hostAgentReport])
        // Usable at once (cache miss falls through to the database).
        #expect(hub.tokens.authenticate(created.raw) != nil)
        #expect(try cli.revoke(id: created.record.id))
        try hub.tokens.reloadIfChanged()
        #expect(hub.tokens.authenticate(created.raw) == nil)
    }

    @Test func environmentTokensAreSeededOnceAndStaySuppressed() throws {
        let hub = try TestHub()
        let plain = "my-legacy-token"
        let prehashed = TokenService.hash("another-token")
        try hub.tokens.seed(fromEnvironment: [plain, prehashed])
        #expect(hub.tokens.list().count == 2)
        #expect(hub.tokens.authenticate(plain)?.scopes == [.all])
        #expect(hub.tokens.authenticate("another-token")?.name.hasPrefix("Migrated from .env") == true)
        try hub.tokens.seed(fromEnvironment: [plain, prehashed])
        #expect(hub.tokens.list().count == 2)
        let plainID = try #require(hub.tokens.authenticate(plain)?.id)
        #expect(try hub.tokens.revoke(id: plainID))
        try hub.tokens.seed(fromEnvironment: [plain])
        #expect(hub.tokens.authenticate(plain) == nil)
    }

    @Test func listIsNewestFirst() throws {
        let hub = try TestHub()
        _ = try hub.tokens.create(name: "old", scopes: [.all], now: Date(timeIntervalSince1970: 1000))
        _ = try hub.tokens.create(name: "new", scopes: [.all], now: Date(timeIntervalSince1970: 2000))
        #expect(hub.tokens.list().map(\.name) == ["new", "old"])
    }
}

@Suite struct HubConfigurationTests {
    @Test func defaults() throws {
        let configuration = try HubConfiguration.load(environment: ["PULSE_DATA_DIR": "/nonexistent-pulse"])
        #expect(configuration.port == 7655)
        #expect(configuration.bindHost == "0.0.0.0")
        #expect(configuration.logLevel == .info && configuration.logFormat == .json)
        #expect(configuration.allowedOrigins.isEmpty)
        #expect(!configuration.adminLoginConfigured)
    }

    @Test func dotEnvFillsOnlyUnsetKeys() throws {
        let directory = NSTemporaryDirectory() + "pulse-config-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try "FRONTEND_PORT=9000\nLOG_LEVEL=debug\nAPI_TOKENS=a,b\n".write(toFile: directory + "/.env", atomically: true, encoding: .utf8)
        let configuration = try HubConfiguration.load(environment: ["PULSE_DATA_DIR": directory, "LOG_LEVEL": "warn"])
        #expect(configuration.port == 9000)
        #expect(configuration.logLevel == .warn)
        #expect(configuration.environmentTokens == ["a", "b"])
    }

    @Test(arguments: [["FRONTEND_PORT": "70000"], ["FRONTEND_PORT": "abc"], ["LOG_LEVEL": "loud"], ["LOG_FORMAT": "xml"],
                      ["HTTPS_ENABLED": "true"], ["PULSE_HTTP_THREADS": "0"]])
    func invalidValuesSayWhatIsWrong(_ environment: [String: String]) {
        var env = environment
        env["PULSE_DATA_DIR"] = "/nonexistent-pulse"
        #expect(throws: HubConfiguration.Problem.self) { try HubConfiguration.load(environment: env) }
    }
}
