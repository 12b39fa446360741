import Foundation
import PulseCommon
import Testing

/// libyaml → JSONValue, including hostile input.
@Suite struct YAMLParserTests {
    @Test func scalarsFollowTheCoreSchema() throws {
        let value = try YAMLParser.parse("""
        a: 1
        b: -2.5
        c: true
        d: "true"
        e: ~
        f:
        g: 'single'
        h: v1.2.3
        i: 0x1F
        j: 12345678901234567890
        k: |
          line one
          line two
        l: [1, two, {three: 3}]
        m: {x: null}
        """)
        #expect(value["a"] == .number(1) && value["b"] == .number(-2.5))
        #expect(value["c"] == .bool(true) && value["d"] == .string("true"))
        #expect(value["e"] == .null && value["f"] == .null)
        #expect(value["g"] == .string("single") && value["h"] == .string("v1.2.3"))
        #expect(value["i"] == .number(31))
        #expect(value["j"] == .string("12345678901234567890"))
        #expect(value["k"] == .string("line one\nline two\n"))
        #expect(value["l"] == .array([.number(1), .string("two"), .object(["three": .number(3)])]))
        #expect(value["m"]?["x"] == .null)
        #expect(value["a"]?.scalarText == "1")
    }

    @Test func anchorsAndAliasesExpand() throws {
        let value = try YAMLParser.parse("""
        base: &base {server: "https://x", port: 6443}
        copy: *base
        list: [&one 1, *one]
        """)
        #expect(value["copy"] == value["base"])
        #expect(value["list"] == .array([.number(1), .number(1)]))
    }

    @Test func jsonIsYAML() throws {
        let value = try YAMLParser.parse(#"{"a": [1, 2], "b": {"c": "d"}}"#)
        #expect(value["a"]?.arrayValue?.count == 2 && value["b"]?["c"] == .string("d"))
        #expect(try YAMLParser.parse("") == .null)
    }

    @Test func billionLaughsIsRefused() {
        var text = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n"
        for level in 1...9 {
            text += "a\(level): &a\(level) [" + Array(repeating: "*a\(level - 1)", count: 10).joined(separator: ", ") + "]\n"
        }
        #expect(throws: YAMLError.self) { try YAMLParser.parse(text) }
        do {
            _ = try YAMLParser.parse(text)
        } catch {
            #expect(error.description.contains("nodes"))
        }
    }

    @Test func depthAndSizeLimits() {
        let deep = String(repeating: "[", count: 100) + String(repeating: "]", count: 100)
        #expect(throws: YAMLError.self) { try YAMLParser.parse(deep) }
        var limits = YAMLParser.Limits()
        limits.maxBytes = 10
        #expect(throws: YAMLError.self) { try YAMLParser.parse("key: a longer value", limits: limits) }
    }

    @Test func malformedInputNamesTheLine() {
        do {
            _ = try YAMLParser.parse("a: [1, 2\nb: c")
            Issue.record("parsed")
        } catch {
            #expect(error.description.contains("line"))
        }
        #expect(throws: YAMLError.self) { try YAMLParser.parse("a: *missing") }
        #expect(throws: YAMLError.self) { try YAMLParser.parse("? [complex, key]\n: value") }
        #expect(throws: YAMLError.self) { try YAMLParser.parse("\t- tab indented: [") }
    }
}
