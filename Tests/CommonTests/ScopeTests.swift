import PulseCommon
import Testing

@Suite struct ScopeTests {
    @Test func omittedMeansFullAccess() throws {
        #expect(try Scope.normalize(nil) == [.all])
    }

    @Test func deduplicatesAndSorts() throws {
        #expect(try Scope.normalize(["settings:read", " monitoring:read", "settings:read"]) == [.monitoringRead, .settingsRead])
    }

    @Test(arguments: [
        ([String](), Scope.ValidationError.empty),
        (["monitoring:read", " "], .blank),
        (["nope"], .unknown("nope")),
        (["*", "monitoring:read"], .wildcardMixed),
    ])
    func rejects(_ requested: [String], _ expected: Scope.ValidationError) {
        #expect(throws: expected) { try Scope.normalize(requested) }
    }

    @Test func referenceWording() {
        #expect(Scope.ValidationError.empty.description == "select at least one scope or omit the field for full access")
        #expect(Scope.ValidationError.unknown("x").description == "unknown scope \"x\"")
    }

    @Test func grants() {
        #expect([Scope.all].grants(.settingsWrite))
        #expect([Scope]().grants(.settingsWrite))
        #expect([Scope.monitoringRead].grants(.monitoringRead))
        #expect(![Scope.monitoringRead].grants(.monitoringWrite))
        #expect(![Scope.hostAgentReport].grants(.hostAgentManage))
    }
}
