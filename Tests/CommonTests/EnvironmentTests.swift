import PulseCommon
import Testing

@Suite struct EnvironmentTests {
    @Test(arguments: [("1", true), ("TRUE", true), ("yes", true), ("y", true), ("On", true), ("0", false),
                      ("false", false), ("nope", false)])
    func booleans(_ text: String, _ expected: Bool) {
        #expect(EnvValue.bool(text) == expected)
    }

    @Test func unsetBooleanIsNil() {
        #expect(EnvValue.bool(nil) == nil)
        #expect(EnvValue.bool("  ") == nil)
    }

    @Test(arguments: [("30s", 30_000), ("1m", 60_000), ("1m30s", 90_000), ("500ms", 500), ("2h", 7_200_000),
                      ("30", 30_000), ("1.5", 1_500), ("0", 0)])
    func durations(_ text: String, _ milliseconds: Int64) {
        #expect(EnvValue.duration(text) == .milliseconds(milliseconds))
    }

    @Test(arguments: ["", "abc", "30x", "-5", "s", "1m-", "nan"])
    func invalidDurations(_ text: String) {
        #expect(EnvValue.duration(text) == nil)
    }

    @Test func lists() {
        #expect(EnvValue.list(" a, b ,,c ") == ["a", "b", "c"])
        #expect(EnvValue.list(nil).isEmpty)
    }

    @Test func dotEnv() {
        let parsed = EnvValue.parseDotEnv("""
        # comment
        export API_TOKEN=abc
        PULSE_AUTH_USER='admin'
        PULSE_AUTH_PASS="$2b$12$hash # not a comment"
        LOG_LEVEL=debug # trailing comment
        BAD LINE
        =novalue
        """)
        #expect(parsed.map(\.0) == ["API_TOKEN", "PULSE_AUTH_USER", "PULSE_AUTH_PASS", "LOG_LEVEL"])
        #expect(parsed.map(\.1) == ["abc", "admin", "$2b$12$hash # not a comment", "debug"])
    }
}

@Suite struct TrimmingTests {
    @Test(arguments: [("  a b  ", "a b"), ("DENY\r\n", "DENY"), ("\r\n\t x\r\n", "x"), ("", ""), (" \r\n ", "")])
    func trims(_ text: String, _ expected: String) {
        #expect(text.trimmingWhitespace() == expected)
    }
}
