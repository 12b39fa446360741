import Foundation
import PulseCommon
import Testing
@testable import PulseHub

/// Profiles, assignments, per-host config, install scripts and agent binaries, through the router.
@Suite struct FleetTests {
    @Test func settingsSchemaNamesTheProblem() {
        #expect(AgentSettingsSchema.validate(["interval": .string("45s"), "log_level": .string("debug"),
                                              "enable_docker": .bool(true), "disk_exclude": .array([.string("/mnt/*")])]).isEmpty)
        #expect(AgentSettingsSchema.validate(["interval": .number(30)]).isEmpty)
        let problems = AgentSettingsSchema.validate(["intervall": .string("30s"), "interval": .string("soon"),
                                                     "enable_docker": .string("yes"), "proxmox_type": .string("vmware")])
        #expect(problems.map(\.key) == ["enable_docker", "interval", "intervall", "proxmox_type"])
        #expect(problems.first { $0.key == "intervall" }?.message.hasPrefix("unknown setting") == true)
        #expect(AgentSettingsSchema.validate(["interval": .number(0)]).count == 1)
        #expect(AgentSettingsSchema.validate(["interval": .string("48h")]).count == 1)
        #expect(AgentSettingsSchema.validate(["report_ip": .string("10.0.0.1; rm -rf /")]).count == 1)
    }

    @Test func everySchemaKeyIsUnderstoodByTheAgent() throws {
        // The agent's parser is in PulseAgent; here we check the shared list matches the keys the spec names.
        for key in ["enable_docker", "enable_kubernetes", "enable_proxmox", "proxmox_type", "log_level", "interval", "report_ip",
                    "disable_ceph"] {
            #expect(AgentSettingsSchema.keys[key] != nil, "\(key)")
        }
    }

    @Test func profileCRUDWithAndWithoutTrailingSlash() throws {
        let hub = try TestHub()
        let admin = try hub.token([.settingsWrite, .settingsRead])
        #expect(hub.send("GET", "/api/admin/profiles", token: admin).body == Array("[]".utf8))
        let created = hub.send("POST", "/api/admin/profiles/", token: admin, body: #"{"name":"Fast","config":{"interval":"10s"}}"#)
        #expect(created.status == 200)
        let id = try #require(created.object["id"] as? String)
        #expect((created.object["config"] as? [String: Any])?["interval"] as? String == "10s")
        #expect(created.object["created_at"] as? String != nil && created.object["updated_at"] as? String != nil)
        let listed = try #require(try JSONSerialization.jsonObject(with: Data(hub.send("GET", "/api/admin/profiles/", token: admin).body)) as? [[String: Any]])
        #expect(listed.count == 1 && listed[0]["name"] as? String == "Fast")

        let bad = hub.send("PUT", "/api/admin/profiles/\(id)", token: admin, body: #"{"name":"Fast","config":{"interval":"10s","colour":"blue"}}"#)
        #expect(bad.status == 422 && bad.object["code"] as? String == "invalid_settings")
        #expect((bad.object["error"] as? String)?.contains("colour") == true)
        let wrongType = hub.send("POST", "/api/admin/profiles", token: admin, body: #"{"name":"x","config":{"enable_docker":"yes"}}"#)
        #expect(wrongType.status == 422 && (wrongType.object["details"] as? [String: Any])?["enable_docker"] != nil)
        #expect(hub.send("POST", "/api/admin/profiles", token: admin, body: #"{"config":{}}"#).status == 400)
        #expect(hub.send("POST", "/api/admin/profiles", token: admin, body: #"{"name":"x","config":[1]}"#).status == 422)

        let updated = hub.send("PUT", "/api/admin/profiles/\(id)", token: admin, body: #"{"name":"Faster","config":{"interval":5}}"#)
        #expect(updated.status == 200 && updated.object["name"] as? String == "Faster")
        #expect(hub.send("PUT", "/api/admin/profiles/nope", token: admin, body: #"{"name":"x"}"#).status == 404)
        #expect(hub.send("DELETE", "/api/admin/profiles/\(id)", token: admin).status == 200)
        #expect(hub.send("DELETE", "/api/admin/profiles/\(id)", token: admin).status == 404)
        #expect(hub.send("GET", "/api/admin/profiles", token: try hub.token([.monitoringRead])).status == 403)
        let events = try hub.audit.query(AuditQuery()).events.map(\.event)
        #expect(events.contains("profile_created") && events.contains("profile_updated") && events.contains("profile_deleted"))
    }

    @Test func assignmentsNeedAnExistingProfileAndHost() throws {
        let hub = try TestHub()
        let admin = try hub.token([.all])
        let agent = try hub.token([.hostAgentReport])
        let report = hub.send("POST", "/api/agents/host/report", token: agent, body: reportJSON(hostname: "web-1"))
        let hostID = try #require(report.object["hostId"] as? String)
        let versionBefore = try #require(report.object["configVersion"] as? String)
        let profile = try #require(hub.send("POST", "/api/admin/profiles", token: admin,
                                            body: #"{"name":"p","config":{"interval":"15s","log_level":"debug"}}"#).object["id"] as? String)
        let unknownProfile = hub.send("POST", "/api/admin/profiles/assignments", token: admin, body: #"{"agent_id":"\#(hostID)","profile_id":"nope"}"#)
        #expect(unknownProfile.status == 422 && unknownProfile.object["code"] as? String == "unknown_profile")
        let unknownHost = hub.send("POST", "/api/admin/profiles/assignments", token: admin, body: #"{"agent_id":"ghost","profile_id":"\#(profile)"}"#)
        #expect(unknownHost.status == 422 && unknownHost.object["code"] as? String == "unknown_agent")
        #expect(hub.send("POST", "/api/admin/profiles/assignments", token: admin, body: #"{"agent_id":"\#(hostID)"}"#).status == 400)
        let assigned = hub.send("POST", "/api/admin/profiles/assignments/", token: admin,
                                body: #"{"agent_id":"\#(hostID)","profile_id":"\#(profile)"}"#)
        #expect(assigned.status == 200 && assigned.object["profile_id"] as? String == profile)

        // The agent's own token reads the settings; the version in the next report response changed.
        let config = hub.send("GET", "/api/agents/host/\(hostID)/config", token: agent)
        #expect(config.status == 200)
        let settings = try #require((config.object["config"] as? [String: Any])?["settings"] as? [String: Any])
        #expect(settings["interval"] as? String == "15s")
        let next = hub.send("POST", "/api/agents/host/report", token: agent,
                            body: reportJSON(hostname: "web-1", timestamp: "2026-12-04T15:01:00Z"))
        let versionAfter = try #require(next.object["configVersion"] as? String)
        #expect(versionAfter != versionBefore && versionAfter == config.object["configVersion"] as? String)

        // Another host's token may not read it; a manage token may; unknown hosts are 404.
        let other = try hub.token([.hostAgentReport])
        #expect(hub.send("POST", "/api/agents/host/report", token: other, body: reportJSON(hostname: "db-1", id: "m-2", agentID: "a-2")).status == 200)
        #expect(hub.send("GET", "/api/agents/host/\(hostID)/config", token: other).status == 403)
        #expect(hub.send("GET", "/api/agents/host/\(hostID)/config", token: try hub.token([.hostAgentReport, .hostAgentManage])).status == 200)
        #expect(hub.send("GET", "/api/agents/host/ghost/config", token: admin).status == 404)

        // PATCH commandsEnabled: admin with host-agent:manage; null clears it; the version moves again.
        #expect(hub.send("PATCH", "/api/agents/host/\(hostID)/config", token: agent, body: #"{"commandsEnabled":true}"#).status == 403)
        #expect(hub.send("PATCH", "/api/agents/host/\(hostID)/config", token: admin, body: #"{}"#).status == 400)
        #expect(hub.send("PATCH", "/api/agents/host/\(hostID)/config", token: admin, body: #"{"commandsEnabled":true}"#).status == 200)
        let withCommands = hub.send("POST", "/api/agents/host/report", token: agent,
                                    body: reportJSON(hostname: "web-1", timestamp: "2026-12-04T15:02:00Z"))
        #expect((withCommands.object["config"] as? [String: Any])?["commandsEnabled"] as? Bool == true)
        #expect(withCommands.object["configVersion"] as? String != versionAfter)
        #expect(try hub.store.allHosts().first { $0.id == hostID }?.commandsEnabledOverride == true, "persisted at once")
        #expect(hub.send("PATCH", "/api/agents/host/\(hostID)/config", token: admin, body: #"{"commandsEnabled":null}"#).status == 200)
        #expect(hub.registry.host(id: hostID)?.commandsEnabledOverride == nil)

        // Deleting the profile drops the assignment.
        #expect(hub.send("DELETE", "/api/admin/profiles/\(profile)", token: admin).status == 200)
        #expect(hub.send("GET", "/api/admin/profiles/assignments", token: admin).body == Array("[]".utf8))
        #expect(hub.send("DELETE", "/api/admin/profiles/assignments/\(hostID)", token: admin).status == 204, "idempotent")
        // Unlink: admin + manage; unknown host 404.
        #expect(hub.send("POST", "/api/agents/host/unlink", token: admin, body: #"{"hostId":"\#(hostID)"}"#).status == 200)
        #expect(hub.send("POST", "/api/agents/host/unlink", token: admin, body: #"{"hostId":"ghost"}"#).status == 404)
    }

    @Test func installCommandMintsAReportOnlyToken() throws {
        let hub = try TestHub()
        let admin = try hub.token([.settingsWrite])
        let response = hub.send("POST", "/api/agent-install-command", token: admin, body: "", headers: ["Host": "hub.example:7655"])
        #expect(response.status == 200)
        let token = try #require(response.object["token"] as? String)
        #expect((response.object["command"] as? String)?.contains("--url http://hub.example:7655 --token \(token)") == true)
        #expect(hub.tokens.authenticate(token)?.scopes == [.hostAgentReport])
        // A read-only token cannot mint one (the reference let any authenticated caller mint a manage token).
        #expect(hub.send("POST", "/api/agent-install-command", token: try hub.token([.monitoringRead])).status == 403)
        let hostile = hub.send("POST", "/api/agent-install-command", token: admin, headers: ["Host": "evil.example; rm -rf /"])
        #expect((hostile.object["command"] as? String)?.contains("rm -rf") == false)
    }

    // MARK: Downloads

    func downloadHub() throws -> (TestHub, String, String) {
        let root = NSTemporaryDirectory() + "pulse-dl-" + UUID().uuidString
        let bin = root + "/bin", installers = root + "/installers"
        try FileManager.default.createDirectory(atPath: bin, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: installers, withIntermediateDirectories: true)
        try Data("#!/usr/bin/env bash\necho install \"$@\"\n".utf8).write(to: URL(fileURLWithPath: installers + "/install.sh"))
        try Data("param([string]$Url)\nWrite-Host install\n".utf8).write(to: URL(fileURLWithPath: installers + "/install.ps1"))
        var binary = [UInt8](repeating: 0, count: 10_000)
        binary.replaceSubrange(0..<4, with: [0x7f, 0x45, 0x4c, 0x46])
        for index in 4..<binary.count { binary[index] = UInt8(index % 251) }
        try Data(binary).write(to: URL(fileURLWithPath: bin + "/pulse-agent-linux-amd64"))
        let hub = try TestHub(environment: ["PULSE_BIN_DIR": bin, "PULSE_INSTALLERS_DIR": installers])
        return (hub, bin, Crypto.sha256(binary).hexString)
    }

    @Test func installScriptsAreServedLocally() throws {
        let (hub, _, _) = try downloadHub()
        for path in ["/install.sh", "/api/install/install.sh", "/install-host-agent.sh", "/install-docker-agent.sh"] {
            let response = hub.send("GET", path)
            #expect(response.status == 200, "\(path)")
            #expect(response.header("Content-Type")?.hasPrefix("text/x-shellscript") == true)
            #expect(response.header("Cache-Control") == "no-cache, no-store, must-revalidate" && response.header("Pragma") == "no-cache")
            #expect(String(decoding: response.body, as: UTF8.self).hasPrefix("#!/usr/bin/env bash\necho install"))
        }
        #expect(hub.send("GET", "/install.ps1").header("Content-Type")?.hasPrefix("text/plain") == true)
        let uninstall = String(decoding: hub.send("GET", "/uninstall-host-agent.sh").body, as: UTF8.self)
        #expect(uninstall.hasPrefix("#!/usr/bin/env bash\nPULSE_DEFAULT_ACTION=uninstall\necho install"))
        #expect(String(decoding: hub.send("GET", "/uninstall-host-agent.ps1").body, as: UTF8.self).hasPrefix("$PulseDefaultAction = 'uninstall'\n"))
        #expect(hub.send("HEAD", "/install.sh").status == 200)
        // Per-address limit: 60 a minute.
        var statuses: [Int] = []
        for _ in 0..<62 {
            statuses.append(hub.router.respond(to: HTTPRequest(method: "GET", path: "/install.sh", clientAddress: "198.51.100.60")).status)
        }
        #expect(statuses.filter { $0 == 429 }.count == 2)
    }

    @Test func agentBinariesWithChecksumsAliasesAndRanges() throws {
        let (hub, bin, checksum) = try downloadHub()
        for arch in ["linux-amd64", "amd64", "x86_64", "AMD64"] {
            let response = hub.send("GET", "/download/pulse-agent", query: [("arch", arch)])
            #expect(response.status == 200, "\(arch)")
            #expect(response.header("X-Checksum-Sha256") == checksum)
            #expect(response.file == FileBody(path: bin + "/pulse-agent-linux-amd64", offset: 0, length: 10_000))
        }
        #expect(String(decoding: hub.send("GET", "/download/pulse-host-agent.sha256", query: [("platform", "linux"), ("arch", "amd64")]).body,
                       as: UTF8.self) == checksum + "\n")
        #expect(hub.send("GET", "/download/pulse-docker-agent", query: [("arch", "x86_64")]).status == 200)
        let ranged = hub.send("GET", "/download/pulse-agent", headers: ["Range": "bytes=100-199"], query: [("arch", "amd64")])
        #expect(ranged.status == 206 && ranged.header("Content-Range") == "bytes 100-199/10000")
        #expect(ranged.file?.offset == 100 && ranged.file?.length == 100)
        #expect(hub.send("GET", "/download/pulse-agent", headers: ["Range": "bytes=-10"], query: [("arch", "amd64")]).file?.offset == 9_990)
        #expect(hub.send("GET", "/download/pulse-agent", headers: ["Range": "bytes=20000-"], query: [("arch", "amd64")]).status == 416)
        let etag = try #require(hub.send("GET", "/download/pulse-agent", query: [("arch", "amd64")]).header("ETag"))
        #expect(hub.send("GET", "/download/pulse-agent", headers: ["If-None-Match": etag], query: [("arch", "amd64")]).status == 304)

        let missing = hub.send("GET", "/download/pulse-agent", query: [("arch", "arm64")])
        #expect(missing.status == 404 && missing.header("Location") == nil, "never a redirect to the internet")
        #expect((missing.object["error"] as? String)?.contains("Available architectures: linux-amd64") == true)
        #expect(hub.send("GET", "/download/pulse-agent").status == 404, "no generic pulse-agent in the bin dir")
        for hostile in ["../../etc/passwd", "amd64;rm", String(repeating: "a", count: 100)] {
            #expect(hub.send("GET", "/download/pulse-agent", query: [("arch", hostile)]).status == 400, "\(hostile)")
        }
        #expect(hub.send("GET", "/download/pulse-host-agent", query: [("platform", "linux/.."), ("arch", "amd64")]).status == 400)

        // A replaced binary gets a new checksum (cache keyed by size and mtime).
        try Data([0x7f, 0x45, 0x4c, 0x46, 1, 2, 3]).write(to: URL(fileURLWithPath: bin + "/pulse-agent-linux-amd64"))
        #expect(hub.send("GET", "/download/pulse-agent", query: [("arch", "amd64")]).header("X-Checksum-Sha256")
                == Crypto.sha256([0x7f, 0x45, 0x4c, 0x46, 1, 2, 3]).hexString)
    }

    @Test func rangeParsing() {
        #expect(DownloadHandlers.parseRange("bytes=0-0", size: 10) == .partial(0, 0))
        #expect(DownloadHandlers.parseRange("bytes=5-", size: 10) == .partial(5, 9))
        #expect(DownloadHandlers.parseRange("bytes=5-100", size: 10) == .partial(5, 9))
        #expect(DownloadHandlers.parseRange("bytes=-3", size: 10) == .partial(7, 9))
        #expect(DownloadHandlers.parseRange("bytes=10-", size: 10) == .unsatisfiable)
        #expect(DownloadHandlers.parseRange("bytes=1-2,4-5", size: 10) == .full)
        #expect(DownloadHandlers.parseRange("items=1-2", size: 10) == .full)
        #expect(DownloadHandlers.parseRange("bytes=x-2", size: 10) == .full)
        #expect(DownloadHandlers.parseRange("bytes=5-2", size: 10) == .unsatisfiable)
    }
}
