import Foundation
import PulseCommon
import Testing

@Suite struct RFC3339Tests {
    @Test(arguments: [
        ("1970-01-01T00:00:00Z", 0.0),
        ("2026-12-04T15:00:00Z", 1_796_396_400.0),
        ("2026-12-04T15:00:00.5Z", 1_796_396_400.5),
        ("2026-12-04T17:00:00+02:00", 1_796_396_400.0),
        ("2026-12-04T10:30:00-04:30", 1_796_396_400.0),
        ("2024-02-29T12:00:00.000000001Z", 1_709_208_000.000000001),
        ("1999-12-31T23:59:59z", 946_684_799.0),
    ])
    func parses(_ text: String, _ expected: Double) throws {
        let date = try #require(RFC3339.parse(text))
        #expect(abs(date.timeIntervalSince1970 - expected) < 1e-6)
    }

    @Test(arguments: ["", "2026-12-04", "2026-12-04T15:00:00", "2026-13-04T15:00:00Z", "2026-12-04T25:00:00Z",
                      "2026-12-04T15:00:00.Z", "2026-12-04T15:00:00Zjunk", "abcd-ef-ghTij:kl:mnZ", "2026-12-04T15:00:00+0200"])
    func rejects(_ text: String) {
        #expect(RFC3339.parse(text) == nil)
    }

    @Test func formatsUTCWithTrimmedFraction() {
        #expect(RFC3339.format(Date(timeIntervalSince1970: 1_796_396_400)) == "2026-12-04T15:00:00Z")
        #expect(RFC3339.format(Date(timeIntervalSince1970: 1_796_396_400.25)) == "2026-12-04T15:00:00.25Z")
        #expect(RFC3339.format(Date(timeIntervalSince1970: -1)) == "1969-12-31T23:59:59Z")
        #expect(RFC3339.format(Date(timeIntervalSince1970: 951_782_400)) == "2000-02-29T00:00:00Z")
    }

    @Test func roundTripsToTheMicrosecond() throws {
        for seconds in stride(from: 0.0, to: 2_000_000_000, by: 123_456_789.123456) {
            let date = Date(timeIntervalSince1970: seconds)
            let parsed = try #require(RFC3339.parse(RFC3339.format(date)))
            #expect(abs(parsed.timeIntervalSince1970 - seconds) < 1e-6)
        }
    }
}
