import Foundation
import PulseCommon
import Synchronization
import Testing
@testable import PulseAgent

/// The host module with a spool: replay order, permanent rejections, auth failures, budgets and stopping.
struct ReplayTests {
    typealias ScriptedTransport = DeliveryTests.ScriptedTransport

    static let refused = DeliveryFailure(status: nil, message: "connection refused", retryable: true)
    static let invalid = DeliveryFailure(status: 400, message: "invalid_report", retryable: false)
    static let forbidden = DeliveryFailure(status: 403, message: "missing_scope", retryable: false)

    static func module(_ transport: ScriptedTransport, _ spool: ReportSpool, metrics: AgentMetrics = AgentMetrics(),
                       stop: StopSignal = StopSignal(), logs: LogLines? = nil, replayLimit: Int = 500,
                       inFlight: InFlightReport = InFlightReport()) -> HostModule {
        let builder = HostReportBuilder(
            metadata: .init(identity: AgentIdentity(agentID: "a", hostname: "h", machineID: nil), version: "0.1.0",
                            intervalSeconds: 1, tags: [], reportIP: nil),
            collectors: [], fs: TestSupport.hostFS, system: TestSupport.system(), logger: TestSupport.logger())
        return HostModule(makeBuilder: { _ in builder }, settings: nil,
                          fixed: RuntimeSettings(interval: .seconds(30), logLevel: .debug), transport: transport,
                          undelivered: spool, stop: stop, logger: TestSupport.logger(logs),
                          retry: RetryPolicy(base: .milliseconds(1), cap: .milliseconds(4)), metrics: metrics,
                          inFlight: inFlight, replayLimit: replayLimit, clock: { Date() }, jitter: { 1 })
    }

    static func spool(_ sequences: [Int64]) -> ReportSpool {
        let spool = ReportSpool.inMemory(bounds: SpoolBounds(), logger: TestSupport.logger())
        for sequence in sequences { spool.keep(SpoolTests.report(sequence), failure: refused) }
        return spool
    }

    @Test func spooledReportsGoOutOldestFirstBeforeTheLiveOne() {
        let transport = ScriptedTransport([])
        let spool = Self.spool([3, 1, 2])
        let metrics = AgentMetrics(spool: spool)
        Self.module(transport, spool, metrics: metrics).deliver(SpoolTests.report(4), before: .now.advanced(by: .seconds(5)))
        #expect(transport.sent.map(\.sequenceId) == ["1", "2", "3", "4"])
        #expect(spool.isEmpty)
        let state = metrics.snapshot
        #expect(state.sent == 4 && state.replayed == 3 && state.ready)
    }

    @Test func aHubOutageSpoolsTheLiveReportAfterTheBacklog() {
        let transport = ScriptedTransport(Array(repeating: .failure(Self.refused), count: 100))
        let spool = Self.spool([1])
        Self.module(transport, spool).deliver(SpoolTests.report(2), before: .now.advanced(by: .milliseconds(200)))
        // While replay fails (the first half of the interval) the live report is not tried; then it is, and it
        // is spooled behind the backlog.
        let replayAttempts = transport.sent.prefix { $0.sequenceId == "1" }.count
        #expect(replayAttempts >= 3, "sent: \(transport.sent.map(\.sequenceId))")
        #expect(spool.oldest(limit: 10).map(\.sequenceId) == ["1", "2"])
    }

    @Test func aPermanentlyRejectedSpooledReportIsDeletedWithAWarning() {
        let transport = ScriptedTransport([.success(nil), .failure(Self.invalid), .success(nil), .success(nil)])
        let spool = Self.spool([1, 2, 3])
        let logs = LogLines()
        let metrics = AgentMetrics(spool: spool)
        Self.module(transport, spool, metrics: metrics, logs: logs)
            .deliver(SpoolTests.report(4), before: .now.advanced(by: .seconds(5)))
        #expect(transport.sent.map(\.sequenceId) == ["1", "2", "3", "4"])
        #expect(spool.isEmpty)
        #expect(logs.all.contains { $0.contains("spooled report rejected by the hub; deleted") && $0.contains("\"sequenceId\":\"2\"") })
        #expect(metrics.snapshot.rejected == 1 && metrics.snapshot.replayed == 2)
    }

    @Test func anAuthFailureStopsReplayForTheCycleAndKeepsTheReports() {
        let transport = ScriptedTransport([.failure(Self.forbidden), .failure(Self.forbidden)])
        let spool = Self.spool([1, 2])
        let logs = LogLines()
        Self.module(transport, spool, logs: logs).deliver(SpoolTests.report(3), before: .now.advanced(by: .seconds(5)))
        #expect(transport.sent.map(\.sequenceId) == ["1", "3"], "replay stops at the 403; the live report is tried")
        #expect(spool.oldest(limit: 10).map(\.sequenceId) == ["1", "2"], "nothing deleted, the live one not spooled")
        #expect(logs.all.contains { $0.contains("spool replay stopped for this cycle") && $0.contains("\"status\":\"403\"") })
    }

    @Test func aLongBacklogDrainsOverSeveralCycles() {
        let transport = ScriptedTransport([])
        let spool = Self.spool(Array(1...10))
        let module = Self.module(transport, spool, replayLimit: 4)
        for live: Int64 in 11...13 {
            module.replayBudget = 4
            module.deliver(SpoolTests.report(live), before: .now.advanced(by: .seconds(5)))
        }
        #expect(transport.sent.map { Int($0.sequenceId ?? "") ?? 0 } == [1, 2, 3, 4, 11, 5, 6, 7, 8, 12, 9, 10, 13])
        #expect(spool.isEmpty)
    }

    @Test func replayStopsAtItsTimeBudget() {
        let transport = ScriptedTransport([])
        let spool = Self.spool(Array(1...50))
        transport.onSend = { _ in Thread.sleep(forTimeInterval: 0.01) }
        // Half of a 100 ms cycle is available for replay: about 5 of the 50 go out, then the live report.
        Self.module(transport, spool).deliver(SpoolTests.report(51), before: .now.advanced(by: .milliseconds(100)))
        let replayed = transport.sent.count - 1
        #expect(replayed >= 2 && replayed <= 10, "replayed \(replayed)")
        #expect(transport.sent.last?.sequenceId == "51")
        #expect(spool.statistics.reports == 50 - replayed)
    }

    @Test func theResponseConfigIsRecorded() {
        let transport = ScriptedTransport([.success(HostReportResponse(success: true, hostId: "h", lastSeen: Date(),
                                                                       platform: "", osName: "", osVersion: "",
                                                                       config: .init(commandsEnabled: true)))])
        let spool = Self.spool([])
        let metrics = AgentMetrics(spool: spool)
        let settings = LiveSettings(local: RuntimeSettings(interval: .seconds(30), logLevel: .info),
                                    logger: TestSupport.logger(), metrics: metrics)
        let builder = HostReportBuilder(
            metadata: .init(identity: AgentIdentity(agentID: "a", hostname: "h", machineID: nil), version: "0.1.0",
                            intervalSeconds: 1, tags: [], reportIP: nil),
            collectors: [], fs: TestSupport.hostFS, system: TestSupport.system(), logger: TestSupport.logger())
        let module = HostModule(makeBuilder: { _ in builder }, settings: settings, transport: transport, spool: spool,
                                stop: StopSignal(), logger: TestSupport.logger(), metrics: metrics,
                                inFlight: InFlightReport())
        module.deliver(SpoolTests.report(1), before: .now.advanced(by: .seconds(5)))
        #expect(settings.commandsEnabled == true)
        #expect(metrics.render().contains("pulse_agent_commands_enabled 1\n"))
    }

    @Test func aStopDuringRetriesSpoolsTheReport() throws {
        let transport = ScriptedTransport(Array(repeating: .failure(Self.refused), count: 1000))
        let spool = Self.spool([])
        let stop = StopSignal()
        transport.onSend = { count in if count == 2 { stop.request() } }
        Self.module(transport, spool, stop: stop).deliver(SpoolTests.report(7), before: .now.advanced(by: .seconds(30)))
        #expect(spool.oldest(limit: 5).map(\.sequenceId) == ["7"])
    }

    @Test func aStopTakesTheInFlightReport() throws {
        let inFlight = InFlightReport()
        let spool = Self.spool([])
        let transport = ScriptedTransport([.success(nil)])
        let taken = Mutex<HostReport?>(nil)
        // The "main thread" takes the report while the send is in progress and spools it; the send then
        // succeeds, so the module removes it from the spool again.
        transport.onSend = { _ in
            let report = inFlight.take()
            taken.withLock { $0 = report }
            if let report { spool.keep(report, failure: .stopping) }
        }
        Self.module(transport, spool, inFlight: inFlight).deliver(SpoolTests.report(5), before: .now.advanced(by: .seconds(5)))
        #expect(taken.withLock { $0?.sequenceId } == "5")
        #expect(spool.isEmpty, "delivered after all: not replayed twice")
        #expect(inFlight.take() == nil)
    }

    /// Reports spooled by one module are replayed by the next one on the same directory (an agent restart).
    @Test func aRestartedAgentReplaysWhatTheLastOneSpooled() throws {
        let directory = try TestSupport.temporaryDirectory()
        defer { TestSupport.remove(directory) }
        do {
            let spool = ReportSpool.open(directory: directory, bounds: SpoolBounds(), logger: TestSupport.logger())
            let down = ScriptedTransport(Array(repeating: .failure(Self.refused), count: 100))
            let module = Self.module(down, spool)
            for live: Int64 in 1...3 { module.deliver(SpoolTests.report(live), before: .now.advanced(by: .milliseconds(20))) }
            #expect(spool.statistics.reports == 3)
        }
        let spool = ReportSpool.open(directory: directory, bounds: SpoolBounds(), logger: TestSupport.logger())
        let up = ScriptedTransport([])
        Self.module(up, spool).deliver(SpoolTests.report(4), before: .now.advanced(by: .seconds(5)))
        #expect(up.sent.map(\.sequenceId) == ["1", "2", "3", "4"])
        #expect(SpoolTests.reportFiles(directory).isEmpty)
    }
}
