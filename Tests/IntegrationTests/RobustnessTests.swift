import Foundation
import PulseCommon
import Testing

/// A deterministic generator (SplitMix64), so a failing body can be reproduced from its index.
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Random, truncated, mutated, deeply nested and numerically extreme host-report bodies.
struct FuzzBodies {
    static let limit = 256 * 1024
    private var rng: SeededGenerator
    private let valid: [UInt8]

    init(seed: UInt64, valid: String) {
        rng = SeededGenerator(seed: seed)
        self.valid = Array(valid.utf8)
    }

    /// The `index`-th body and a label for failure messages.
    mutating func body(_ index: Int) -> (label: String, bytes: [UInt8]) {
        if index % 250 == 125 { return ("oversized", oversized()) }
        switch index % 7 {
        case 0: return ("random bytes", randomBytes())
        case 1:
            let cut = Int.random(in: 0..<valid.count, using: &rng)
            return ("report truncated at \(cut)", Array(valid[..<cut]))
        case 2: return ("random JSON", Array(randomJSON(depth: 0).utf8))
        case 3: return ("report-shaped JSON", Array(reportShaped().utf8))
        case 4: return deepNesting(index)
        case 5: return ("huge numbers", Array(hugeNumbers().utf8))
        default: return ("mutated report", mutated())
        }
    }

    private mutating func randomBytes() -> [UInt8] {
        let count = Int.random(in: 0...2048, using: &rng)
        return (0..<count).map { _ in UInt8.random(in: 0...255, using: &rng) }
    }

    private mutating func oversized() -> [UInt8] {
        let count = Self.limit + Int.random(in: 1...65_536, using: &rng)
        return Array(#"{"host":{"hostname":"big"},"tags":[""#.utf8) + [UInt8](repeating: UInt8(ascii: "x"), count: count)
            + Array(#""]}"#.utf8)
    }

    private mutating func mutated() -> [UInt8] {
        var bytes = valid
        for _ in 0..<Int.random(in: 1...8, using: &rng) {
            let position = Int.random(in: 0..<bytes.count, using: &rng)
            switch Int.random(in: 0..<3, using: &rng) {
            case 0: bytes[position] = UInt8.random(in: 0...255, using: &rng)
            case 1: bytes.remove(at: position)
            default: bytes.insert(Array(#"{}[]":,0-e.\"#.utf8).randomElement(using: &rng)!, at: position)
            }
        }
        return bytes
    }

    private mutating func deepNesting(_ index: Int) -> (String, [UInt8]) {
        let depth = 10_000
        switch (index / 7) % 5 {
        case 0: return ("[ x 10000", [UInt8](repeating: UInt8(ascii: "["), count: depth))
        case 1:
            return ("balanced [] x 10000", [UInt8](repeating: UInt8(ascii: "["), count: depth)
                        + [UInt8](repeating: UInt8(ascii: "]"), count: depth))
        case 2:
            return ("nested objects x 10000", Array(String(repeating: #"{"a":"#, count: depth).utf8) + Array("1".utf8)
                        + [UInt8](repeating: UInt8(ascii: "}"), count: depth))
        case 3:
            return ("deep ceph value", Array(#"{"host":{"hostname":"deep"},"ceph":"#.utf8)
                        + [UInt8](repeating: UInt8(ascii: "["), count: depth)
                        + [UInt8](repeating: UInt8(ascii: "]"), count: depth) + Array("}".utf8))
        default:
            return ("deep tags", Array(#"{"host":{"hostname":"deep"},"tags":"#.utf8)
                        + [UInt8](repeating: UInt8(ascii: "["), count: depth) + Array("}".utf8))
        }
    }

    private mutating func hugeNumbers() -> String {
        let candidates = [
            "1e400", "-1e400", "1e-400", "99999999999999999999999999999999", "-99999999999999999999999999999999",
            "18446744073709551616", "9223372036854775808", "-9223372036854775809", "1.7976931348623157e309",
            String(repeating: "9", count: 5000), "0." + String(repeating: "0", count: 5000) + "1", "-0", "1E+2",
            "3.14", "-1", "0", "1e", "--1", "01", ".5", "Infinity", "NaN",
        ]
        func pick(_ rng: inout SeededGenerator) -> String { candidates.randomElement(using: &rng)! }
        return """
        {"host":{"hostname":"numbers","cpuCount":\(pick(&rng)),"uptimeSeconds":\(pick(&rng)),\
        "loadAverage":[\(pick(&rng)),\(pick(&rng)),\(pick(&rng))]},\
        "metrics":{"cpuUsagePercent":\(pick(&rng)),"memory":{"totalBytes":\(pick(&rng)),"usedBytes":\(pick(&rng)),\
        "usage":\(pick(&rng))}},"diskIO":[{"device":"sda","readBytes":\(pick(&rng))}],\
        "sensors":{"temperatureCelsius":{"cpu_package":\(pick(&rng))},"smart":[{"device":"sda","temperature":\(pick(&rng))}]},\
        "agent":{"id":"n","intervalSeconds":\(pick(&rng))}}
        """
    }

    private mutating func reportShaped() -> String {
        var fields: [String] = []
        let hostname: String = Int.random(in: 0..<4, using: &rng) == 0 ? randomJSON(depth: 3) : "\"fuzz-\(Int.random(in: 0..<50, using: &rng))\""
        fields.append(#""host":{"hostname":\#(hostname),"cpuCount":\#(randomJSON(depth: 3))}"#)
        for key in ["agent", "metrics", "disks", "diskIO", "network", "sensors", "raid", "ceph", "tags", "timestamp", "sequenceId"]
        where Bool.random(using: &rng) {
            fields.append("\"\(key)\":\(randomJSON(depth: 2))")
        }
        fields.shuffle(using: &rng)
        return "{" + fields.joined(separator: ",") + "}"
    }

    private mutating func randomJSON(depth: Int) -> String {
        let keys = ["agent", "host", "hostname", "id", "metrics", "memory", "disks", "sensors", "smart", "tags",
                    "timestamp", "sequenceId", "cpuCount", "loadAverage", "temperatureCelsius", "", "é", "a\\u0000b"]
        switch Int.random(in: 0..<(depth >= 3 ? 6 : 9), using: &rng) {
        case 0: return "null"
        case 1: return Bool.random(using: &rng) ? "true" : "false"
        case 2: return ["0", "-1", "42", "3.5", "1e3", "-2.5E-3", "1e999", "12345678901234567890"].randomElement(using: &rng)!
        case 3: return randomString()
        case 4:
            return ["\"2026-01-02T03:04:05.123456789Z\"", "\"2026-13-45T99:99:99Z\"", "\"0001-01-01T00:00:00Z\"",
                    "\"2026-01-02T03:04:05+01:00\"", "\"yesterday\""].randomElement(using: &rng)!
        case 5: return ["{", "}", "[", "]", ",", ":", "\"", "{\"a\":", "[1,", "tru", "nul", ""].randomElement(using: &rng)!
        case 6, 7:
            let count = Int.random(in: 0...4, using: &rng)
            return "[" + (0..<count).map { _ in randomJSON(depth: depth + 1) }.joined(separator: ",") + "]"
        default:
            let count = Int.random(in: 0...5, using: &rng)
            return "{" + (0..<count).map { _ in
                "\"\(keys.randomElement(using: &rng)!)\":\(randomJSON(depth: depth + 1))"
            }.joined(separator: ",") + "}"
        }
    }

    private mutating func randomString() -> String {
        let pieces = ["a", "Z", "9", " ", "-", ".", "\\\"", "\\\\", "\\n", "\\t", "\\u00e9", "\\ud800", "\\uDFFF",
                      "\\x", "\u{1}", "\n", "é", "🙂", "/", "\\/"]
        let count = Int.random(in: 0...12, using: &rng)
        return "\"" + (0..<count).map { _ in pieces.randomElement(using: &rng)! }.joined() + "\""
    }
}

@Suite("Robustness", .timeLimit(.minutes(2)))
struct RobustnessTests {
    @Test("1,000 random, truncated and hostile bodies never cause a 5xx or a dropped connection")
    func fuzzReportEndpoint() throws {
        let hub = try HubProcess()
        defer { hub.shutdown() }
        let token = try hub.createToken(name: "agent", scopes: "host-agent:report")
        try hub.start()

        let started = ContinuousClock.now
        var bodies = FuzzBodies(seed: 0x5EED_2026_0001, valid: Fixture.report())
        let decoder = WireJSON.decoder()
        var counts: [Int: Int] = [:]
        var failures = 0
        for index in 0..<1000 {
            let (label, bytes) = bodies.body(index)
            let decodesLocally = (try? decoder.decode(HostReport.self, from: Data(bytes))) != nil
            let response: HTTPClientResponse
            do {
                response = try hub.request("POST", "/api/agents/host/report", token: token, body: bytes, timeout: .seconds(10))
            } catch {
                Issue.record("body #\(index) (\(label), \(bytes.count) bytes): transport error \(error)")
                failures += 1
                if failures >= 5 { break }
                continue
            }
            counts[response.status, default: 0] += 1
            let acceptable: Bool
            if bytes.count > FuzzBodies.limit {
                acceptable = response.status == 413
            } else if decodesLocally {
                acceptable = response.status == 200 || response.status == 400
            } else {
                acceptable = response.status == 400
            }
            if !acceptable {
                let detail = "\(response.status) \(response.text.prefix(300))"
                Issue.record("body #\(index) (\(label), \(bytes.count) bytes, decodes locally: \(decodesLocally)): \(detail)")
                failures += 1
                if failures >= 5 { break }
            }
        }
        let elapsed = ContinuousClock.now - started
        #expect(failures > 0 || counts.values.reduce(0, +) == 1000, "status counts: \(counts)")
        #expect(counts[200, default: 0] > 0 && counts[413, default: 0] > 0, "status counts: \(counts)")
        #expect(counts[400, default: 0] > 500, "status counts: \(counts)")
        #expect(counts.keys.allSatisfy { $0 < 500 }, "status counts: \(counts)")
        #expect(elapsed < .seconds(30), "fuzzing took \(elapsed)")

        // The hub is unharmed.
        try HostReportTests.expectAccepted(try hub.report(Fixture.report(), token: token))
        #expect(try hub.get("/api/health").status == 200)
    }
}
