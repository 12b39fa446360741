import Foundation
import Glibc
import PulseCommon
import Synchronization
import Testing
@testable import PulseAgent

/// The docker module's delivery: buffering while the hub fails, oldest-first replay, dropping refused reports,
/// stopping on the hub's removal answer, unknown commands.
@Suite(.serialized) struct DockerModuleTests {
    static func module(_ hub: FakeHub) -> DockerModule {
        let setup = DockerModule.Setup(settings: DockerSettings(),
                                       identity: AgentIdentity(agentID: "agent-1", hostname: "h", machineID: nil),
                                       interval: { .seconds(30) }, makeHostBuilder: { nil })
        let connection = HubConnection(baseURL: hub.baseURL, token: "t")
        return DockerModule(setup: setup, sender: ModuleReportSender(connection: connection, userAgent: "test",
                                                                     timeout: .seconds(5)),
                            stop: StopSignal(), logger: TestSupport.logger())
    }

    static func report(_ second: Int) -> DockerReport {
        DockerReport(agent: DockerReport.Agent(id: "agent-1"), host: DockerReport.Host(hostname: "h"),
                     timestamp: Date(timeIntervalSince1970: Double(1_796_396_400 + second)))
    }

    @Test func buffersWhileTheHubFailsAndReplaysOldestFirst() throws {
        let failing = Atomic<Bool>(true)
        let hub = try FakeHub { _ in
            failing.load(ordering: .relaxed) ? .json(503, #"{"error":"busy"}"#) : .json(200, #"{"success":true,"hostId":"h"}"#)
        }
        defer { hub.stop() }
        let module = Self.module(hub)
        for second in 0..<3 {
            if case .delivered = module.deliver(Self.report(second)) { Issue.record("delivered while failing") }
        }
        failing.store(false, ordering: .relaxed)
        guard case .delivered = module.deliver(Self.report(3)) else {
            Issue.record("not delivered")
            return
        }
        let bodies = hub.requests.filter { $0.path == "/api/agents/docker/report" }.suffix(4).map(\.text)
        let stamps = bodies.compactMap { body in
            (try? WireJSON.decoder().decode(DockerReport.self, from: Data(body.utf8)))?.timestamp?.timeIntervalSince1970
        }
        #expect(stamps == [1_796_396_400, 1_796_396_401, 1_796_396_402, 1_796_396_403])
        #expect(hub.requests.allSatisfy { $0.headers["x-api-token"] == "t" && $0.headers["authorization"] == "Bearer t" })
    }

    @Test func theHubsRemovalAnswerStopsTheModule() throws {
        let hub = try FakeHub { _ in
            .json(400, #"{"error":"docker host h (agent-1) was removed at 2026-12-04T15:00:00Z and cannot report again until 2026-12-05T15:00:00Z","code":"invalid_report"}"#)
        }
        defer { hub.stop() }
        guard case .removed = Self.module(hub).deliver(Self.report(0)) else {
            Issue.record("not treated as a removal")
            return
        }
    }

    @Test func refusedReportsAreNotKept() throws {
        let status = Atomic<Int>(400)
        let hub = try FakeHub { _ in
            status.load(ordering: .relaxed) == 200 ? .json(200, "{}") : .json(status.load(ordering: .relaxed), #"{"error":"API token x is already in use by agent y"}"#)
        }
        defer { hub.stop() }
        let module = Self.module(hub)
        _ = module.deliver(Self.report(0))
        status.store(200, ordering: .relaxed)
        _ = module.deliver(Self.report(1))
        // Only the live report was sent again: the refused one was not buffered.
        #expect(hub.requests.count == 2)
    }

    @Test func unknownCommandsAreAcknowledgedAsFailed() throws {
        let hub = try FakeHub { _ in .json(200, "{}") }
        defer { hub.stop() }
        let module = Self.module(hub)
        let collector = DockerCollector(client: EngineClient(endpoint: DockerEndpoint(transport: .unix(path: "/nonexistent"),
                                                                                      source: "t")),
                                        podman: false, options: .init(), logger: TestSupport.logger())
        #expect(module.handle(DockerCommand(id: "c1", type: "reboot"), collector: collector) == .handled)
        #expect(module.handle(DockerCommand(id: "c2", type: "update_container", payload: [:]), collector: collector) == .handled)
        #expect(module.handle(DockerCommand(id: "c3", type: "stop"), collector: collector) == .stopModule)
        let acks = hub.requests.map { ($0.path, $0.text) }
        #expect(acks.count == 3)
        #expect(acks[0].0 == "/api/agents/docker/commands/c1/ack" && acks[0].1.contains(#""status":"failed""#))
        #expect(acks[1].1.contains("needs containerId"))
        #expect(acks[2].1.contains(#""status":"completed""#) && acks[2].1.contains(#""hostId":"agent-1""#))
    }
}
