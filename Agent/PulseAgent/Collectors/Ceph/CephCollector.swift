import PulseCommon

/// `ceph`: cluster health, maps, usage and pools, from `ceph status` and `ceph df` (JSON, 10 s each, run side by
/// side).
///
/// Only when the `ceph` CLI is installed; otherwise the section is omitted with a debug log. A `ceph status`
/// that fails (no keyring, monitors unreachable) fails this collector, so the report builder logs it once at warn;
/// a failing `ceph df` only drops `pools` and the `df` fallbacks.
public struct CephCollector: HostCollector {
    public let name = "ceph"
    let timeout: Duration

    public init(timeout: Duration = .seconds(10)) {
        self.timeout = timeout
    }

    /// `ceph status` did not produce a usable document.
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    public func collect(_ context: CollectContext, into report: inout HostReport) throws {
        guard let ceph = context.commands.locate("ceph") else {
            context.logger.debug("ceph not found; section omitted")
            return
        }
        let results = context.commands.run([
            Command(ceph, ["status", "--format", "json"], timeout: timeout),
            Command(ceph, ["df", "--format", "json"], timeout: timeout),
        ], concurrency: 2)
        guard results.count == 2 else { throw Failure(description: "ceph: no result") }
        let status = try results[0].get()
        guard status.exitStatus == 0 else {
            throw Failure(description: "ceph status: \(status.termination): \(status.standardError.prefix(200))")
        }
        guard let document = JSONCursor.parse(status.stdout), document["health"].exists else {
            throw Failure(description: "ceph status: output is not a status document")
        }
        var df: JSONCursor?
        switch results[1] {
        case .success(let output) where output.exitStatus == 0:
            df = JSONCursor.parse(output.stdout)
        case .success(let output):
            context.logger.debug("ceph df failed", ["status": "\(output.termination)", "stderr": output.standardError])
        case .failure(let error):
            context.logger.debug("ceph df failed", ["error": "\(error)"])
        }
        report.ceph = CephReport.build(status: document, df: df, collectedAt: context.now)
    }
}
