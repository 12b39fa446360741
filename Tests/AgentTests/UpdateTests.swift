import Foundation
import PulseCommon
import Testing
@testable import PulseAgent

/// Version ordering, the update decision, binary checks, and the settings schema shared with the hub.
@Suite struct UpdateTests {
    @Test(arguments: [
        ("1.0.0", "1.0.1"), ("1.0.9", "1.0.10"), ("1.9.0", "1.10.0"), ("1.0.0-rc.1", "1.0.0"), ("1.0.0-alpha", "1.0.0-alpha.1"),
        ("1.0.0-alpha.1", "1.0.0-alpha.beta"), ("1.0.0-alpha.beta", "1.0.0-beta"), ("1.0.0-beta.2", "1.0.0-beta.11"),
        ("1.0.0-beta.11", "1.0.0-rc.1"), ("v4.9.9", "5.0.0"), ("5", "5.0.1"), ("5.0.0-rc.9", "5.0.0-rc.10"),
    ])
    func versionsOrder(_ older: String, _ newer: String) throws {
        let low = try #require(SemanticVersion(older)), high = try #require(SemanticVersion(newer))
        #expect(low < high && !(high < low))
        #expect(AgentUpdater.shouldUpdate(current: older, offered: newer))
        #expect(!AgentUpdater.shouldUpdate(current: newer, offered: older), "never a downgrade")
    }

    @Test func equalAndMalformedVersions() {
        #expect(SemanticVersion("1.2.3+build.5") == SemanticVersion("v1.2.3"), "build metadata is ignored")
        #expect(!AgentUpdater.shouldUpdate(current: "1.2.3", offered: "1.2.3+other"))
        #expect(!AgentUpdater.shouldUpdate(current: "dev", offered: "9.9.9"))
        #expect(!AgentUpdater.shouldUpdate(current: "1.0.0", offered: "dev"))
        for bad in ["", "1..2", "1.2.3.4", "a.b.c", "1.2.3-", "1.2.3-rc..1", "1.2.3-rc_1", "-1.0.0", "1.0.0 ", "99999999999.0.0"] {
            #expect(SemanticVersion(bad) == nil || bad == "1.0.0 ", "\(bad)")
        }
        #expect(!AgentUpdater.shouldUpdate(current: "1.0.0", offered: "<script>"))
    }

    @Test func downloadedBinariesAreChecked() {
        let elf: [UInt8] = [0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]
        let checksum = Crypto.sha256(elf).hexString
        #expect(AgentUpdater.problem(body: elf, announcedChecksum: checksum) == nil)
        #expect(AgentUpdater.problem(body: elf, announcedChecksum: checksum.uppercased()) == nil)
        #expect(AgentUpdater.problem(body: elf, announcedChecksum: nil)?.contains("no X-Checksum-Sha256") == true)
        #expect(AgentUpdater.problem(body: elf, announcedChecksum: "abc")?.contains("no X-Checksum-Sha256") == true)
        #expect(AgentUpdater.problem(body: elf + [0], announcedChecksum: checksum)?.contains("checksum mismatch") == true)
        let script = Array("#!/bin/sh\n".utf8)
        #expect(AgentUpdater.problem(body: script, announcedChecksum: Crypto.sha256(script).hexString)?.contains("not an ELF") == true)
    }

    @Test func updateMarkerIsReadOnce() throws {
        let directory = NSTemporaryDirectory() + "pulse-marker-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try Data("0.0.9\n".utf8).write(to: URL(fileURLWithPath: directory + "/.pulse-update-info"))
        #expect(AgentUpdater.takeUpdatedFrom(executablePath: directory + "/pulse-agent") == "0.0.9")
        #expect(AgentUpdater.takeUpdatedFrom(executablePath: directory + "/pulse-agent") == nil)
        try Data("$(rm -rf /)".utf8).write(to: URL(fileURLWithPath: directory + "/.pulse-update-info"))
        #expect(AgentUpdater.takeUpdatedFrom(executablePath: directory + "/pulse-agent") == nil, "junk is ignored")
    }

    @Test func everySchemaKeyIsUnderstood() {
        // What the hub accepts in a profile, the agent recognises (applied live, or logged as needing a restart).
        for (key, kind) in AgentSettingsSchema.keys {
            let value: JSONValue
            switch kind {
            case .bool: value = .bool(true)
            case .choice(let options): value = .string(options[0])
            case .duration: value = .string("30s")
            case .address: value = .string("10.0.0.1")
            case .stringList: value = .array([.string("x")])
            }
            let parsed = RemoteSettings.parse([key: value])
            #expect(parsed.ignored[key] == nil, "the agent ignores \(key): \(parsed.ignored[key] ?? "")")
        }
    }
}
