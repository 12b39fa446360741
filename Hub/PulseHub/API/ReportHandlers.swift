import Foundation
import PulseCommon

/// `GET /api/admin/reports/generate` (hub-api section 8): a CSV or PDF report of one resource, or of the fleet.
public struct ReportHandlers: Sendable {
    /// Called after each report is generated, with the request, its context (principal, address, request id) and
    /// the size of the report in bytes.
    public typealias GeneratedHook = @Sendable (_ request: ReportRequest, _ context: RequestContext, _ bytes: Int) -> Void

    let builder: ReportBuilder
    /// Every generated report is audited: `HubServices` passes `auditHook(_:)`; `generate` is the one call site.
    let onGenerated: GeneratedHook?

    public init(builder: ReportBuilder, onGenerated: GeneratedHook? = nil) {
        self.builder = builder
        self.onGenerated = onGenerated
    }

    public func generate(_ context: RequestContext) throws -> HTTPResponse {
        let started = ContinuousClock.now
        let request: ReportRequest
        do {
            request = try ReportRequest.parse(context.request.queryValue, now: context.now)
        } catch {
            throw APIError.badRequest(error.code, error.message)
        }
        let content: ReportContent
        do {
            content = try builder.build(request, now: context.now)
        } catch ReportError.unknownResource {
            throw APIError.notFound("resource_not_found", "No \(request.resourceType) with this id is known to the hub")
        } catch ReportError.unknownMetric(let available) {
            let list = available.prefix(40).joined(separator: ", ")
            throw APIError.badRequest("unknown_metric", "This resource has no metric \(request.metric ?? ""); it has: \(list)")
        } catch let error as SQLiteError where error.isBusy {
            throw APIError.unavailable("metrics store busy, retry later")
        }
        let body: [UInt8]
        switch (content, request.format) {
        case (.resource(let data), .csv): body = CSVReportWriter.write(data)
        case (.fleet(let data), .csv): body = CSVReportWriter.write(data)
        case (.resource(let data), .pdf): body = try PDFReportRenderer.render(data)
        case (.fleet(let data), .pdf): body = try PDFReportRenderer.render(data)
        }
        // The single call site of the audit hook, after a report was produced.
        onGenerated?(request, context, body.count)
        let elapsed = ContinuousClock.now - started
        context.logger.info("report generated", [
            "resourceType": request.resourceType, "resourceId": request.resourceID, "format": request.format.rawValue,
            "bytes": String(body.count), "ms": String(elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000),
            "requestId": context.requestID,
        ])
        let filename = Self.filename(resourceID: request.resourceID, date: context.now, format: request.format)
        return HTTPResponse(status: 200, headers: [
            ("Content-Type", request.format.contentType),
            ("Content-Disposition", "attachment; filename=\"\(filename)\""),
        ], body: body)
    }

    /// Records `report_generated` in the audit log: who, from where, and `<type> <id> <format> <start>/<end> <n> bytes`.
    public static func auditHook(_ audit: AuditLog) -> GeneratedHook {
        { request, context, bytes in
            let period = RFC3339.format(Date(timeIntervalSince1970: Double(request.start))) + "/"
                + RFC3339.format(Date(timeIntervalSince1970: Double(request.end)))
            audit.record("report_generated", user: context.principal?.displayName, ip: context.clientIP,
                         path: context.request.path,
                         details: "\(request.resourceType) \(request.resourceID) \(request.format.rawValue) \(period) \(bytes) bytes",
                         now: context.now)
        }
    }

    /// `report-<id>-<YYYYMMDD>.<ext>`, the id reduced to `[A-Za-z0-9._-]` (others become `_`, at most 64
    /// characters) so the header can neither be broken nor name a path.
    static func filename(resourceID: String, date: Date, format: ReportFormat) -> String {
        var safe = String(String.UnicodeScalarView(resourceID.unicodeScalars.prefix(64).map { scalar in
            let allowed = scalar.isASCII && (scalar.properties.isAlphabetic || ("0"..."9").contains(scalar)
                                             || scalar == "." || scalar == "-" || scalar == "_")
            return allowed ? scalar : "_"
        }))
        if safe.isEmpty { safe = "resource" }
        let day = ReportDates.compactDate(Int64(date.timeIntervalSince1970.rounded(.down)))
        return "report-\(safe)-\(day).\(format.rawValue)"
    }
}
