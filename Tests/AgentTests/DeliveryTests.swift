import Foundation
import PulseCommon
import Synchronization
import Testing
@testable import PulseAgent

/// Sending, retrying, scheduling and stopping.
struct DeliveryTests {
    /// A transport that answers from a script and counts calls.
    final class ScriptedTransport: ReportTransport {
        var script: [Result<HostReportResponse?, DeliveryFailure>]
        var sent: [HostReport] = []
        var onSend: ((Int) -> Void)?

        init(_ script: [Result<HostReportResponse?, DeliveryFailure>]) { self.script = script }

        func send(_ report: HostReport) throws(DeliveryFailure) -> HostReportResponse? {
            sent.append(report)
            onSend?(sent.count)
            let next = script.isEmpty ? .success(nil) : script.removeFirst()
            return try next.get()
        }
    }

    final class KeepingStore: UndeliveredReportStore {
        var kept: [(HostReport, DeliveryFailure)] = []
        func keep(_ report: HostReport, failure: DeliveryFailure) { kept.append((report, failure)) }
    }

    static let unavailable = DeliveryFailure(status: 503, message: "busy", retryable: true)
    static let refused = DeliveryFailure(status: nil, message: "connection refused", retryable: true)
    static let unauthorised = DeliveryFailure(status: 401, message: "Authentication required", retryable: false)

    func module(_ transport: ScriptedTransport, _ store: KeepingStore, interval: Duration = .seconds(30),
                stop: StopSignal = StopSignal(), logs: LogLines? = nil) -> HostModule {
        let builder = HostReportBuilder(
            metadata: .init(identity: AgentIdentity(agentID: "a", hostname: "h", machineID: nil), version: "0.1.0",
                            intervalSeconds: 1, tags: [], reportIP: nil),
            collectors: [], fs: TestSupport.hostFS, system: TestSupport.system(), logger: TestSupport.logger())
        return HostModule(builder: builder, transport: transport, undelivered: store, interval: interval, stop: stop,
                          logger: TestSupport.logger(logs), retry: RetryPolicy(base: .milliseconds(1), cap: .milliseconds(4)),
                          jitter: { 1 })
    }

    @Test func transientFailuresAreRetriedUntilDelivered() {
        let transport = ScriptedTransport([.failure(Self.refused), .failure(Self.unavailable), .success(nil)])
        let store = KeepingStore()
        let logs = LogLines()
        module(transport, store, logs: logs).deliver(HostReport(sequenceId: "1"), before: .now.advanced(by: .seconds(5)))
        #expect(transport.sent.count == 3)
        #expect(store.kept.isEmpty)
        #expect(logs.all.contains { $0.contains("report delivered after retrying") && $0.contains("\"attempts\":\"3\"") })
    }

    @Test func permanentFailuresAreNotRetriedOrKept() {
        let transport = ScriptedTransport([.failure(Self.unauthorised)])
        let store = KeepingStore()
        let logs = LogLines()
        module(transport, store, logs: logs).deliver(HostReport(), before: .now.advanced(by: .seconds(5)))
        #expect(transport.sent.count == 1)
        #expect(store.kept.isEmpty)
        let line = logs.all.first { $0.contains("report rejected by the hub") }
        #expect(line?.contains("\"status\":\"401\"") == true && line?.contains("Authentication required") == true)
        #expect(line?.contains("\"level\":\"warn\"") == true)
    }

    @Test func retriesStopAtTheNextTickAndTheReportIsHandedOn() {
        let transport = ScriptedTransport(Array(repeating: .failure(Self.unavailable), count: 1000))
        let store = KeepingStore()
        let logs = LogLines()
        let started = ContinuousClock.now
        module(transport, store, logs: logs).deliver(HostReport(sequenceId: "7"), before: .now.advanced(by: .milliseconds(60)))
        #expect(started.duration(to: .now) < .seconds(1))
        #expect(transport.sent.count > 2)
        #expect(store.kept.count == 1 && store.kept.first?.0.sequenceId == "7")
        #expect(logs.all.contains { $0.contains("report not delivered") && $0.contains("\"status\":\"503\"") })
    }

    @Test func retryAfterLongerThanTheIntervalGivesUpAtOnce() {
        let limited = DeliveryFailure(status: 429, message: "rate limited", retryable: true, retryAfter: .seconds(60))
        let transport = ScriptedTransport([.failure(limited)])
        let store = KeepingStore()
        module(transport, store).deliver(HostReport(), before: .now.advanced(by: .seconds(5)))
        #expect(transport.sent.count == 1 && store.kept.count == 1)
    }

    @Test func runReportsImmediatelyThenOnScheduleUntilStopped() {
        let transport = ScriptedTransport([])
        let stop = StopSignal()
        transport.onSend = { count in if count == 3 { stop.request() } }
        let started = ContinuousClock.now
        module(transport, KeepingStore(), interval: .milliseconds(50), stop: stop).run()
        let elapsed = started.duration(to: .now)
        #expect(transport.sent.count == 3)
        #expect(elapsed >= .milliseconds(100) && elapsed < .seconds(2), "reports at 0, 50 and 100 ms")
        let sequence = transport.sent.compactMap { $0.sequenceId.flatMap { Int64($0) } }
        #expect(sequence.count == 3 && sequence == sequence.sorted() && Set(sequence).count == 3)
    }

    @Test func stopInterruptsTheWait() throws {
        let stop = StopSignal()
        let transport = ScriptedTransport([])
        let module = module(transport, KeepingStore(), interval: .seconds(3600), stop: stop)
        let box = UncheckedBox(module)
        let worker = try WorkerThread { box.value.run() }
        Thread.sleep(forTimeInterval: 0.1)
        let started = ContinuousClock.now
        stop.request()
        #expect(worker.join(timeout: .seconds(2)))
        #expect(started.duration(to: .now) < .seconds(1))
    }

    @Test func stopSignalWaits() {
        let stop = StopSignal()
        #expect(!stop.wait(for: .milliseconds(20)))
        stop.request()
        stop.request()
        #expect(stop.isRequested && stop.wait(for: .seconds(10)))
    }

    @Test func retryPolicyBacksOffWithJitterAndACap() {
        let policy = RetryPolicy(base: .seconds(1), cap: .seconds(10))
        #expect(policy.delay(attempt: 1, jitter: 1) == .seconds(1))
        #expect(policy.delay(attempt: 2, jitter: 1) == .seconds(2))
        #expect(policy.delay(attempt: 3, jitter: 0.5) == .seconds(2))
        #expect(policy.delay(attempt: 9, jitter: 1) == .seconds(10))
        #expect(policy.delay(attempt: 500, jitter: 1) == .seconds(10))
        #expect(policy.delay(attempt: 1, jitter: 0) == .milliseconds(500), "jitter is clamped to 0.5…1")
    }

    @Test func sequenceIsMonotonic() {
        let counter = SequenceCounter()
        #expect(counter.next(nowMilliseconds: 1000) == 1000)
        #expect(counter.next(nowMilliseconds: 1000) == 1001)
        #expect(counter.next(nowMilliseconds: 900) == 1002, "a clock stepping back never lowers it")
        #expect(counter.next(nowMilliseconds: 5000) == 5000)
    }
}

/// Moves a non-Sendable value into a thread in a test that hands it over once and never touches it again.
struct UncheckedBox<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
