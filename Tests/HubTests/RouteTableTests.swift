import Foundation
import PulseCommon
import Testing
@testable import PulseHub

/// Invariants of the one route table.
@Suite struct RouteTableTests {
    let routes: [Route]

    init() throws {
        let hub = try TestHub()
        routes = hub.routes
    }

    @Test func noDuplicateMethodAndPath() {
        var seen = Set<String>()
        for route in routes {
            let shape = route.segments.map { $0.first == "{" ? "{}" : String($0) }.joined(separator: "/")
            #expect(seen.insert("\(route.method) \(shape)").inserted, "duplicate route \(route.method) \(route.path)")
        }
    }

    @Test func everyProtectedRouteNamesAScope() {
        for route in routes where route.access != .public && route.access != .session {
            #expect(route.scope != nil, "\(route.method) \(route.path) has no scope for token callers")
        }
    }

    @Test func noUndocumentedPublicMutatingRoute() {
        for route in routes where route.access == .public && route.isMutating {
            #expect(Routes.publicMutatingAllowlist.contains("\(route.method) \(route.path)"),
                    "public mutating route \(route.method) \(route.path)")
        }
    }

    @Test func bodiesOnlyWhereExpected() {
        for route in routes {
            if route.method == "POST" || route.method == "PUT" || route.method == "PATCH" {
                #expect(route.bodyLimit.bytes > 0, "\(route.method) \(route.path) accepts no body")
            } else {
                #expect(route.bodyLimit.bytes == 0, "\(route.method) \(route.path) should take no body")
            }
        }
    }

    @Test func ingestionLimitsMatchTheSpec() throws {
        let report = try #require(routes.first { $0.path == "/api/agents/host/report" })
        #expect(report.bodyLimit == .kibibytes(256))
        #expect(report.scope == .hostAgentReport)
    }

    @Test func managementRoutesAreAdminOnly() {
        for route in routes where route.path.hasPrefix("/api/security/tokens") || route.method == "DELETE"
            || route.path == "/api/security/reset-lockout" {
            #expect(route.access == .admin, "\(route.method) \(route.path) should be admin")
        }
    }

    /// The web dashboard's catch-all: one public GET, documented like the table's rows, and no route shares it.
    @Test func appFallbackIsOnePublicGet() throws {
        let hub = try TestHub()
        let fallback = hub.services.appFallback
        #expect(fallback.method == "GET" && fallback.path == "/*" && fallback.access == .public && fallback.scope == nil)
        #expect(!routes.contains { $0.path == fallback.path })
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let text = try String(contentsOf: root.appendingPathComponent("docs/API.md"), encoding: .utf8)
        #expect(text.contains("| GET | `/*` | public | – |"), "docs/API.md does not list the app fallback")
    }

    /// docs/API.md lists every route with its access and scope.
    @Test func documentedInAPIMarkdown() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let text = try String(contentsOf: root.appendingPathComponent("docs/API.md"), encoding: .utf8)
        let rows = text.split(separator: "\n").filter { $0.hasPrefix("|") }
        for route in routes {
            let row = rows.first { $0.contains("| \(route.method) |") && $0.contains("`\(route.path)`") }
            #expect(row != nil, "docs/API.md does not list \(route.method) \(route.path)")
            if let row {
                #expect(row.contains("| \(route.access.rawValue) |"), "docs/API.md access for \(route.path)")
                #expect(row.contains(route.scope.map { "`\($0.rawValue)`" } ?? "| – |"), "docs/API.md scope for \(route.path)")
            }
        }
    }
}
