import Foundation
import PulseCommon
import Synchronization
import Testing
@testable import PulseAgent

/// Remote config: parsing the hub's settings, applying them live, and the lookup + config exchange.
struct RemoteConfigTests {
    static let local = RuntimeSettings(interval: .seconds(30), logLevel: .info, diskExclude: ["/mnt/*"],
                                       disabledCollectors: [], reportIP: nil)

    static func settings(_ json: String) throws -> RemoteSettings {
        RemoteSettings.parse(try JSONDecoder().decode([String: JSONValue].self, from: Data(json.utf8)))
    }

    @Test func settingsParse() throws {
        let parsed = try Self.settings("""
            {"interval":"1m30s","log_level":"debug","report_ip":"10.0.0.9","disable_ceph":true,
             "disk_exclude":["/srv/*"," "],"disabled_collectors":"sensors.smart, raid",
             "enable_docker":true,"proxmox_type":"pbs","colour":"blue","enable_kubernetes":"yes"}
            """)
        #expect(parsed.interval == .seconds(90) && parsed.logLevel == .debug && parsed.reportIP == "10.0.0.9")
        #expect(parsed.disableCeph == true && parsed.diskExclude == ["/srv/*"])
        #expect(parsed.disabledCollectors == ["sensors.smart", "raid"])
        #expect(parsed.needsRestart == ["enable_docker": "true", "proxmox_type": "pbs", "enable_kubernetes": "yes"])
        #expect(parsed.ignored.keys.sorted() == ["colour"])

        #expect(try Self.settings(#"{"interval":45}"#).interval == .seconds(45))
        let bad = try Self.settings(#"{"interval":"soon","log_level":"loud","disable_ceph":"yes","interval2":1}"#)
        #expect(bad.interval == nil && bad.logLevel == nil && bad.disableCeph == nil)
        #expect(bad.ignored.keys.sorted() == ["disable_ceph", "interval", "interval2", "log_level"])
        #expect(try Self.settings(#"{"interval":0.5}"#).interval == nil)
    }

    @Test func overlayAndFallBack() throws {
        let remote = try Self.settings(#"{"interval":"5s","disable_ceph":true,"disk_exclude":"/a,/b"}"#)
        let applied = Self.local.overlaid(with: remote)
        #expect(applied.interval == .seconds(5) && applied.disabledCollectors == ["ceph"])
        #expect(applied.diskExclude == ["/a", "/b"] && applied.logLevel == .info)
        #expect(applied.disables("ceph") && applied.disables("ceph.status") && !applied.disables("cephx"))
        var withLocalCeph = Self.local
        withLocalCeph.disabledCollectors = ["ceph"]
        #expect(withLocalCeph.overlaid(with: try Self.settings(#"{"disable_ceph":false}"#)).disabledCollectors.isEmpty)
    }

    @Test func liveSettingsApplyTheLogLevelAndRingOnChange() throws {
        let logs = LogLines()
        let logger = TestSupport.logger(logs, level: .info)
        let metrics = AgentMetrics()
        let live = LiveSettings(local: Self.local, logger: logger, metrics: metrics)
        let changes = live.apply(remote: try Self.settings(#"{"interval":"2s","log_level":"debug","enable_docker":true}"#))
        #expect(changes.keys.sorted() == ["interval", "log_level"])
        #expect(logger.level == .debug && live.current.interval == .seconds(2))
        #expect(live.changed.drain())
        #expect(metrics.render().contains("pulse_agent_report_interval_seconds 2\n"))
        #expect(logs.all.contains { $0.contains("remote setting needs an agent restart") && $0.contains("enable_docker") })

        // Same settings again: no change, no ring, no repeated warning.
        #expect(live.apply(remote: try Self.settings(#"{"interval":"2s","log_level":"debug","enable_docker":true}"#)).isEmpty)
        #expect(!live.changed.drain())
        #expect(logs.all.filter { $0.contains("needs an agent restart") }.count == 1)

        // The profile no longer sets them: back to the local values.
        #expect(live.apply(remote: RemoteSettings()).keys.sorted() == ["interval", "log_level"])
        #expect(logger.level == .info && live.current == Self.local)
    }

    static let configBody = #"{"success":true,"hostId":"hub-host-7","config":{"commandsEnabled":true,"settings":{"interval":"1s","log_level":"debug"}}}"#

    /// The real exchange against an in-process fake hub: lookup by hostname, then the config of the hub's id.
    @Test func pollerLooksUpThenFetchesAndApplies() throws {
        let hub = try FakeHub { request in
            switch request.path {
            case "/api/agents/host/lookup?hostname=web%2001.example":
                return .json(200, #"{"success":true,"host":{"id":"hub-host-7","hostname":"web 01.example"}}"#)
            case "/api/agents/host/hub-host-7/config":
                return .json(200, Self.configBody)
            default:
                return .json(404, #"{"error":"not found"}"#)
            }
        }
        defer { hub.stop() }
        let logger = TestSupport.logger(level: .info)
        let metrics = AgentMetrics()
        let live = LiveSettings(local: Self.local, logger: logger, metrics: metrics)
        let poller = RemoteConfigPoller(
            connection: HubConnection(baseURL: hub.baseURL + "/", token: "tok"),
            identity: AgentIdentity(agentID: "agent-1", hostname: "web 01.example", machineID: nil),
            settings: live, metrics: metrics, logger: TestSupport.logger())
        let next = poller.pollOnce()
        #expect(next >= .seconds(240) && next <= .seconds(360), "5 min ± 20 %: \(next)")
        #expect(live.current.interval == .seconds(1) && logger.level == .debug)
        #expect(live.commandsEnabled == true)
        #expect(metrics.render().contains("pulse_agent_commands_enabled 1\n"))
        let requests = hub.requests
        #expect(requests.map(\.path) == ["/api/agents/host/lookup?hostname=web%2001.example",
                                         "/api/agents/host/hub-host-7/config"])
        #expect(requests.allSatisfy { $0.headers["x-api-token"] == "tok" && $0.headers["authorization"] == "Bearer tok" })
        #expect(requests.first?.headers["user-agent"]?.hasPrefix("pulse-agent-config-client/") == true)
    }

    @Test func aHubWithoutTheConfigEndpointKeepsTheLocalSettings() throws {
        let hub = try FakeHub { request in
            request.path.hasPrefix("/api/agents/host/lookup")
                ? .json(404, #"{"error":"host_not_found"}"#) : .json(404, #"{"error":"not found"}"#)
        }
        defer { hub.stop() }
        let logs = LogLines()
        let live = LiveSettings(local: Self.local, logger: TestSupport.logger(), metrics: nil)
        let poller = RemoteConfigPoller(
            connection: HubConnection(baseURL: hub.baseURL, token: "tok"),
            identity: AgentIdentity(agentID: "agent-1", hostname: "h", machineID: nil),
            settings: live, metrics: nil, logger: TestSupport.logger(logs))
        let next = poller.pollOnce()
        #expect(next == .seconds(30), "an unknown host is asked again soon")
        #expect(hub.requests.last?.path == "/api/agents/host/agent-1/config", "falls back to the agent id")
        #expect(live.current == Self.local)
        #expect(logs.all.contains { $0.contains("\"level\":\"debug\"") && $0.contains("hub has no config for this host") })
        #expect(!logs.all.contains { $0.contains("\"level\":\"warn\"") })
    }

    @Test func aFailingHubKeepsTheCurrentSettingsAndWarnsOnce() throws {
        let hub = try FakeHub { _ in .json(500, #"{"error":"database locked"}"#) }
        defer { hub.stop() }
        let logs = LogLines()
        let live = LiveSettings(local: Self.local, logger: TestSupport.logger(), metrics: nil)
        live.apply(remote: try Self.settings(#"{"interval":"7s"}"#))
        let poller = RemoteConfigPoller(
            connection: HubConnection(baseURL: hub.baseURL, token: "tok"),
            identity: AgentIdentity(agentID: "agent-1", hostname: "h", machineID: nil),
            settings: live, metrics: nil, logger: TestSupport.logger(logs))
        poller.pollOnce()
        poller.pollOnce()
        #expect(live.current.interval == .seconds(7))
        #expect(logs.all.filter { $0.contains("remote config fetch failed; keeping") && $0.contains("database locked") }.count == 1)
    }

    /// A new interval from the hub takes effect at once: the module's wait is woken and the next report is due
    /// one new interval after the last one.
    @Test func theHostModuleFollowsALiveIntervalChange() throws {
        let transport = DeliveryTests.ScriptedTransport([])
        let times = Mutex<[ContinuousClock.Instant]>([])
        let stop = StopSignal()
        let live = LiveSettings(local: RuntimeSettings(interval: .seconds(3600), logLevel: .info),
                                logger: TestSupport.logger(), metrics: nil)
        transport.onSend = { count in
            times.withLock { $0.append(.now) }
            if count == 4 { stop.request() }
        }
        let builder = HostReportBuilder(
            metadata: .init(identity: AgentIdentity(agentID: "a", hostname: "h", machineID: nil), version: "0.1.0",
                            intervalSeconds: 3600, tags: [], reportIP: nil),
            collectors: [], fs: TestSupport.hostFS, system: TestSupport.system(), logger: TestSupport.logger())
        let module = HostModule(makeBuilder: { _ in builder }, settings: live, transport: transport,
                                spool: ReportSpool.inMemory(bounds: SpoolBounds(), logger: TestSupport.logger()),
                                stop: stop, logger: TestSupport.logger(), metrics: AgentMetrics(),
                                inFlight: InFlightReport())
        let box = UncheckedBox(module)
        let worker = try WorkerThread { box.value.run() }
        Thread.sleep(forTimeInterval: 0.3)
        #expect(times.withLock { $0.count } == 1, "one report at start, the next an hour away")
        live.apply(remote: try Self.settings(#"{"interval":"1s"}"#))
        #expect(worker.join(timeout: .seconds(10)), "three more reports at 1 s")
        let sent = times.withLock { $0 }
        #expect(sent.count == 4)
        if sent.count == 4 {
            let gap = sent[2] - sent[1]
            #expect(gap > .milliseconds(800) && gap < .milliseconds(1500), "gap \(gap)")
        }
        #expect(transport.sent.last?.agent?.intervalSeconds == 1, "the report carries the new interval")
    }
}
