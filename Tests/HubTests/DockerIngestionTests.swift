import Foundation
import PulseCommon
import Testing
@testable import PulseHub

func dockerReportJSON(hostname: String = "docker-1", agentID: String = "agent-d1", machineID: String? = "machine-d1",
                      timestamp: String = "2026-12-04T15:00:00Z", containers: String? = nil) -> String {
    let machine = machineID.map { #","machineId":"\#($0)""# } ?? ""
    let list = containers ?? #"[{"id":"c1","name":"web","image":"nginx:1.25","createdAt":"2026-12-04T10:00:00Z","state":"running","status":"Up 5 hours","cpuPercent":12.5,"memoryUsageBytes":1048576,"memoryLimitBytes":4194304,"memoryPercent":25,"uptimeSeconds":18000,"restartCount":0,"exitCode":0,"networkIo":{"rxBytes":1000,"txBytes":2000},"blockIo":{"readBytes":4096,"writeBytes":8192}}]"#
    return #"{"agent":{"id":"\#(agentID)","version":"0.1.0","type":"unified","intervalSeconds":30},"host":{"hostname":"\#(hostname)"\#(machine),"runtime":"Podman","dockerVersion":"4.3.1","totalCpu":2,"cpuUsagePercent":20,"memory":{"totalBytes":1000,"usedBytes":400,"usage":40},"disks":[{"mountpoint":"/","usage":55}]},"containers":\#(list),"timestamp":"\#(timestamp)"}"#
}

/// Docker ingestion, identity, the command queue and host management (hub-api 3.2).
@Suite struct DockerIngestionTests {
    static let now = RFC3339.parse("2026-12-04T15:00:10Z")!

    func hub() throws -> (TestHub, String, String) {
        let hub = try TestHub()
        return (hub, try hub.token([.dockerReport], name: "docker agent"), try hub.token([.all], name: "admin"))
    }

    func send(_ hub: TestHub, _ method: String, _ path: String, token: String, body: String? = nil,
              query: [(String, String)] = []) -> HTTPResponse {
        hub.send(method, path, token: token, body: body, query: query)
    }

    @Test func reportAppearsInStateWithContainersAndMetrics() throws {
        let (hub, agent, admin) = try hub()
        let response = send(hub, "POST", "/api/agents/docker/report", token: agent, body: dockerReportJSON())
        #expect(response.status == 200)
        #expect(response.object["success"] as? Bool == true)
        #expect(response.object["hostId"] as? String == "agent-d1")
        #expect(response.object["containers"] as? Int == 1)
        #expect(response.object["commands"] == nil)

        let state = send(hub, "GET", "/api/state", token: admin).object
        let hosts = try #require(state["dockerHosts"] as? [[String: Any]])
        #expect(hosts.count == 1)
        let host = try #require(hosts.first)
        #expect(host["runtime"] as? String == "podman")
        #expect(host["tokenName"] as? String == "docker agent")
        #expect((host["containers"] as? [[String: Any]])?.first?["name"] as? String == "web")
        #expect((state["connectionHealth"] as? [String: Bool])?["docker-agent-d1"] != nil)

        try hub.metrics.flush()
        let samples = try hub.metrics.history(resourceType: "dockerContainer", resourceID: "c1", metric: nil,
                                              start: 0, end: 4_000_000_000, maxPoints: 100)
        #expect(samples["cpu"]?.first?.value == 12.5)
        #expect(samples["memory"]?.first?.value == 25)
        let host2 = try hub.metrics.history(resourceType: "dockerHost", resourceID: "agent-d1", metric: nil,
                                            start: 0, end: 4_000_000_000, maxPoints: 100)
        #expect(host2["cpu"]?.first?.value == 20 && host2["disk"]?.first?.value == 55)

        // A second report 30 s later turns the container counters into rates.
        _ = send(hub, "POST", "/api/agents/docker/report", token: agent, body: dockerReportJSON(
            timestamp: "2026-12-04T15:00:30Z",
            containers: #"[{"id":"c1","name":"web","image":"nginx","state":"running","networkIo":{"rxBytes":4000,"txBytes":2000}}]"#))
        try hub.metrics.flush()
        let rates = try hub.metrics.history(resourceType: "dockerContainer", resourceID: "c1", metric: "netin",
                                            start: 0, end: 4_000_000_000, maxPoints: 100)
        #expect(rates["netin"]?.first?.value == 100)
    }

    @Test func missingHostnameAndMalformedBodies() throws {
        let (hub, agent, _) = try hub()
        #expect(send(hub, "POST", "/api/agents/docker/report", token: agent, body: #"{"host":{}}"#).object["code"] as? String == "invalid_report")
        #expect(send(hub, "POST", "/api/agents/docker/report", token: agent, body: "{").object["code"] as? String == "invalid_json")
        #expect(send(hub, "POST", "/api/agents/docker/report", token: agent,
                     body: #"{"host":{"hostname":"x"},"containers":"nope"}"#).status == 400)
        let big = String(repeating: "x", count: 513 * 1024)
        #expect(send(hub, "POST", "/api/agents/docker/report", token: agent, body: big).status == 413)
        // The host-agent scope is not enough.
        let hostToken = try hub.token([.hostAgentReport])
        #expect(send(hub, "POST", "/api/agents/docker/report", token: hostToken, body: dockerReportJSON()).status == 403)
    }

    @Test func oneTokenOneAgent() throws {
        let (hub, agent, _) = try hub()
        #expect(send(hub, "POST", "/api/agents/docker/report", token: agent, body: dockerReportJSON()).status == 200)
        let second = send(hub, "POST", "/api/agents/docker/report", token: agent,
                          body: dockerReportJSON(hostname: "docker-2", agentID: "agent-d2", machineID: "m2"))
        #expect(second.status == 400)
        #expect((second.object["error"] as? String)?.contains("already in use by agent agent-d1") == true)
        let other = try hub.token([.dockerReport])
        #expect(send(hub, "POST", "/api/agents/docker/report", token: other,
                     body: dockerReportJSON(hostname: "docker-2", agentID: "agent-d2", machineID: "m2")).status == 200)
        #expect(hub.services.dockerHosts.all().count == 2)
    }

    @Test func identityFollowsMachineAndHostnameWhenTheAgentIDChanges() throws {
        let (hub, agent, _) = try hub()
        _ = send(hub, "POST", "/api/agents/docker/report", token: agent, body: dockerReportJSON())
        // Same machine and hostname, new agent id (reinstall): the same host. The token stays bound to it.
        let again = send(hub, "POST", "/api/agents/docker/report", token: agent,
                         body: dockerReportJSON(agentID: "agent-new", timestamp: "2026-12-04T15:01:00Z"))
        #expect(again.status == 200)
        #expect(again.object["hostId"] as? String == "agent-d1")
        #expect(hub.services.dockerHosts.all().count == 1)
        #expect(hub.services.dockerHosts.agent(id: "agent-d1")?.agentID == "agent-new")
        // A colliding id from another token gets a suffix.
        let other = try hub.token([.dockerReport])
        let clash = send(hub, "POST", "/api/agents/docker/report", token: other,
                         body: dockerReportJSON(hostname: "elsewhere", agentID: "agent-d1", machineID: "m9"))
        let id = try #require(clash.object["hostId"] as? String)
        #expect(id.hasPrefix("agent-d1-") && id.count == "agent-d1-".count + 8)
    }

    @Test func removalBlocksForADayUntilAllowed() throws {
        let (hub, agent, admin) = try hub()
        _ = send(hub, "POST", "/api/agents/docker/report", token: agent, body: dockerReportJSON(timestamp: RFC3339.format(Date())))
        // Online: DELETE queues a stop instead of removing.
        let queued = send(hub, "DELETE", "/api/agents/docker/hosts/agent-d1", token: admin)
        #expect(queued.object["message"] as? String == "Stop command queued")
        let forced = send(hub, "DELETE", "/api/agents/docker/hosts/agent-d1", token: admin, query: [("force", "true")])
        #expect(forced.object["message"] as? String == "Docker host removed")
        let refused = send(hub, "POST", "/api/agents/docker/report", token: agent, body: dockerReportJSON())
        #expect(refused.status == 400)
        #expect((refused.object["error"] as? String)?.contains("was removed at") == true)
        let state = send(hub, "GET", "/api/state", token: admin).object
        #expect((state["removedDockerHosts"] as? [[String: Any]])?.first?["id"] as? String == "agent-d1")
        #expect(send(hub, "DELETE", "/api/agents/docker/hosts/agent-d1", token: admin).status == 404)
        #expect(send(hub, "DELETE", "/api/agents/docker/hosts/agent-d1", token: admin,
                     query: [("mode", "force")]).object["message"] as? String == "Docker host already removed")
        #expect(send(hub, "POST", "/api/agents/docker/hosts/agent-d1/allow-reenroll", token: admin, body: "{}").status == 200)
        #expect(send(hub, "POST", "/api/agents/docker/report", token: agent, body: dockerReportJSON()).status == 200)
        let events = try hub.audit.query({ var q = AuditQuery(); q.event = "docker_host_removed"; return q }()).events
        #expect(events.count == 1)
    }

    @Test func hideUnhidePendingUninstallAndDisplayName() throws {
        let (hub, agent, admin) = try hub()
        _ = send(hub, "POST", "/api/agents/docker/report", token: agent, body: dockerReportJSON())
        #expect(send(hub, "DELETE", "/api/agents/docker/hosts/agent-d1", token: admin, query: [("hide", "true")]).status == 200)
        #expect(hub.services.dockerHosts.agent(id: "agent-d1")?.hidden == true)
        #expect(send(hub, "PUT", "/api/agents/docker/hosts/agent-d1/unhide", token: admin, body: "{}").object["hidden"] as? Bool == false)
        _ = send(hub, "DELETE", "/api/agents/docker/hosts/agent-d1", token: admin, query: [("hide", "true")])
        _ = send(hub, "PUT", "/api/agents/docker/hosts/agent-d1/pending-uninstall", token: admin, body: "{}")
        #expect(hub.services.dockerHosts.agent(id: "agent-d1")?.pendingUninstall == true)
        // A report un-hides and clears pending-uninstall.
        _ = send(hub, "POST", "/api/agents/docker/report", token: agent, body: dockerReportJSON(timestamp: "2026-12-04T15:02:00Z"))
        let host = try #require(hub.services.dockerHosts.agent(id: "agent-d1"))
        #expect(!host.hidden && !host.pendingUninstall)
        let renamed = send(hub, "PUT", "/api/agents/docker/hosts/agent-d1/display-name", token: admin,
                           body: #"{"displayName":"Build box"}"#)
        #expect(renamed.object["customDisplayName"] as? String == "Build box")
        let state = send(hub, "GET", "/api/state", token: admin).object
        #expect((state["dockerHosts"] as? [[String: Any]])?.first?["displayName"] as? String == "Build box")
        #expect(send(hub, "PUT", "/api/agents/docker/hosts/nope/unhide", token: admin, body: "{}").status == 404)
        // A docker:report token cannot manage.
        #expect(send(hub, "PUT", "/api/agents/docker/hosts/agent-d1/unhide", token: agent, body: "{}").status == 403)
    }

    @Test func commandQueueDeliversOnceAndAcceptsAckAliases() throws {
        let (hub, agent, admin) = try hub()
        _ = send(hub, "POST", "/api/agents/docker/report", token: agent, body: dockerReportJSON())
        let queued = send(hub, "POST", "/api/agents/docker/containers/update", token: admin,
                          body: #"{"hostId":"agent-d1","containerName":"web"}"#)
        #expect(queued.status == 200)
        let command = try #require(queued.object["command"] as? [String: Any])
        let id = try #require(command["id"] as? String)
        #expect((command["payload"] as? [String: Any])?["containerId"] as? String == "c1")
        #expect(send(hub, "POST", "/api/agents/docker/containers/update", token: admin,
                     body: #"{"hostId":"agent-d1","containerName":"ghost"}"#).status == 404)

        let first = send(hub, "POST", "/api/agents/docker/report", token: agent, body: dockerReportJSON(timestamp: "2026-12-04T15:00:30Z"))
        let delivered = try #require((first.object["commands"] as? [[String: Any]])?.first)
        #expect(delivered["id"] as? String == id && delivered["type"] as? String == "update_container")
        let second = send(hub, "POST", "/api/agents/docker/report", token: agent, body: dockerReportJSON(timestamp: "2026-12-04T15:01:00Z"))
        #expect(second.object["commands"] == nil)

        for (status, canonical) in [("ack", "acknowledged"), ("progress", "in_progress"), ("", "acknowledged"),
                                    ("success", "completed")] {
            let ack = send(hub, "POST", "/api/agents/docker/commands/\(id)/ack", token: agent,
                           body: #"{"hostId":"agent-d1","status":"\#(status)","message":"step"}"#)
            #expect(ack.status == 200, "\(status)")
            #expect((ack.object["command"] as? [String: Any])?["status"] as? String == canonical)
        }
        #expect(send(hub, "POST", "/api/agents/docker/commands/\(id)/ack", token: agent,
                     body: #"{"hostId":"agent-d1","status":"exploded"}"#).status == 400)
        #expect(send(hub, "POST", "/api/agents/docker/commands/nope/ack", token: agent,
                     body: #"{"hostId":"agent-d1","status":"ack"}"#).status == 404)
        #expect(send(hub, "POST", "/api/agents/docker/commands/\(id)/ack", token: agent,
                     body: #"{"hostId":"someone-else","status":"ack"}"#).status == 403)
        let state = send(hub, "GET", "/api/state", token: admin).object
        let shown = (state["dockerHosts"] as? [[String: Any]])?.first?["command"] as? [String: Any]
        #expect(shown?["status"] as? String == "completed")
        #expect(try hub.audit.query({ var q = AuditQuery(); q.event = "docker_command_completed"; return q }()).events.count == 1)
    }

    @Test func completedStopRemovesTheHostWithoutBlock() throws {
        let (hub, agent, admin) = try hub()
        _ = send(hub, "POST", "/api/agents/docker/report", token: agent, body: dockerReportJSON(timestamp: RFC3339.format(Date())))
        _ = send(hub, "DELETE", "/api/agents/docker/hosts/agent-d1", token: admin)
        let response = send(hub, "POST", "/api/agents/docker/report", token: agent, body: dockerReportJSON(timestamp: RFC3339.format(Date())))
        let command = try #require((response.object["commands"] as? [[String: Any]])?.first)
        #expect(command["type"] as? String == "stop")
        let id = try #require(command["id"] as? String)
        #expect(send(hub, "POST", "/api/agents/docker/commands/\(id)/ack", token: agent,
                     body: #"{"hostId":"agent-d1","status":"complete","message":"Agent shutting down"}"#).status == 200)
        #expect(hub.services.dockerHosts.agent(id: "agent-d1") == nil)
        #expect(hub.services.dockerHosts.removals().isEmpty)
        #expect(send(hub, "POST", "/api/agents/docker/report", token: agent, body: dockerReportJSON()).status == 200)
    }

    @Test func checkUpdatesQueuesOnce() throws {
        let (hub, agent, admin) = try hub()
        _ = send(hub, "POST", "/api/agents/docker/report", token: agent, body: dockerReportJSON())
        let one = send(hub, "POST", "/api/agents/docker/hosts/agent-d1/check-updates", token: admin, body: "{}")
        let two = send(hub, "POST", "/api/agents/docker/hosts/agent-d1/check-updates", token: admin, body: "{}")
        #expect((one.object["command"] as? [String: Any])?["id"] as? String == (two.object["command"] as? [String: Any])?["id"] as? String)
        #expect(send(hub, "POST", "/api/agents/docker/hosts/nope/check-updates", token: admin, body: "{}").status == 404)
    }

    @Test func hostsCommandsAndBlocksSurviveARestart() throws {
        let first = try TestHub()
        first.removesDirectory = false
        let agent = try first.token([.dockerReport])
        let admin = try first.token([.all])
        _ = send(first, "POST", "/api/agents/docker/report", token: agent, body: dockerReportJSON())
        let other = try first.token([.dockerReport])
        _ = send(first, "POST", "/api/agents/docker/report", token: other, body: dockerReportJSON(hostname: "gone", agentID: "gone-agent", machineID: "mg"))
        _ = send(first, "DELETE", "/api/agents/docker/hosts/gone-agent", token: admin, query: [("force", "true")])
        _ = send(first, "POST", "/api/agents/docker/hosts/agent-d1/check-updates", token: admin, body: "{}")
        _ = send(first, "PUT", "/api/agents/docker/hosts/agent-d1/display-name", token: admin, body: #"{"displayName":"Kept"}"#)
        first.services.flushManagedAgents()
        let directory = first.directory

        let second = try TestHub(directory: directory)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let host = try #require(second.services.dockerHosts.agent(id: "agent-d1"))
        #expect(host.customDisplayName == "Kept")
        #expect(host.report.containers?.first?.name == "web")
        #expect(second.services.dockerHosts.removals().first?.id == "gone-agent")
        let response = send(second, "POST", "/api/agents/docker/report", token: agent, body: dockerReportJSON(timestamp: "2026-12-04T16:00:00Z"))
        #expect((response.object["commands"] as? [[String: Any]])?.first?["type"] as? String == "check_updates")
        #expect(send(second, "POST", "/api/agents/docker/report", token: other,
                     body: dockerReportJSON(hostname: "gone", agentID: "gone-agent", machineID: "mg")).status == 400)
    }
}

/// Kubernetes ingestion and cluster management (hub-api 3.3).
@Suite struct KubernetesIngestionTests {
    static func report(id: String? = "cluster-a", agentID: String = "agent-k1", name: String = "prod",
                       timestamp: String = "2026-12-04T15:00:00Z") -> String {
        let idField = id.map { #""id":"\#($0)","# } ?? ""
        return #"{"agent":{"id":"\#(agentID)","version":"0.1.0","type":"unified","intervalSeconds":30},"cluster":{\#(idField)"name":"\#(name)","server":"https://k:6443","context":"\#(name)","version":"v1.29.1"},"nodes":[{"uid":"n1","name":"node-1","ready":true,"capacity":{},"allocatable":{}},{"uid":"n2","name":"node-2","ready":false,"capacity":{},"allocatable":{}}],"pods":[{"uid":"p1","name":"crash","namespace":"default","createdAt":"2026-12-04T14:00:00Z","phase":"Running"}],"deployments":[],"timestamp":"\#(timestamp)"}"#
    }

    @Test func ingestionStateMetricsAndRules() throws {
        let hub = try TestHub()
        let token = try hub.token([.kubernetesReport])
        let admin = try hub.token([.all])
        let response = hub.send("POST", "/api/agents/kubernetes/report", token: token, body: Self.report())
        #expect(response.status == 200)
        #expect(response.object["clusterId"] as? String == "cluster-a")
        #expect(response.object["nodes"] as? Int == 2 && response.object["pods"] as? Int == 1)
        let state = hub.send("GET", "/api/state", token: admin).object
        let cluster = try #require((state["kubernetesClusters"] as? [[String: Any]])?.first)
        #expect(cluster["name"] as? String == "prod" && cluster["version"] as? String == "v1.29.1")
        try hub.metrics.flush()
        let series = try hub.metrics.history(resourceType: "kubernetesCluster", resourceID: "cluster-a", metric: nil,
                                             start: 0, end: 4_000_000_000, maxPoints: 10)
        #expect(series["nodes"]?.first?.value == 2 && series["nodesReady"]?.first?.value == 1)
        #expect(hub.send("GET", "/api/metrics-store/history", token: admin,
                         query: [("resourceType", "kubernetesCluster"), ("resourceId", "cluster-a")]).status == 200)

        // No cluster id: the agent id; nothing at all: the hash of server|context|name.
        let other = try hub.token([.kubernetesReport])
        let fallback = hub.send("POST", "/api/agents/kubernetes/report", token: other, body: Self.report(id: nil, agentID: "agent-k2"))
        #expect(fallback.object["clusterId"] as? String == "agent-k2")
        // One token, one agent.
        let clash = hub.send("POST", "/api/agents/kubernetes/report", token: token, body: Self.report(id: "cluster-b", agentID: "agent-k9"))
        #expect(clash.status == 400)
        // Removal block, then allow-reenroll.
        #expect(hub.send("DELETE", "/api/agents/kubernetes/clusters/cluster-a", token: admin).status == 200)
        #expect(hub.send("POST", "/api/agents/kubernetes/report", token: token, body: Self.report()).status == 400)
        let removed = hub.send("GET", "/api/state", token: admin).object["removedKubernetesClusters"] as? [[String: Any]]
        #expect(removed?.first?["id"] as? String == "cluster-a")
        #expect(hub.send("POST", "/api/agents/kubernetes/clusters/cluster-a/allow-reenroll", token: admin, body: "{}").status == 200)
        #expect(hub.send("POST", "/api/agents/kubernetes/report", token: token, body: Self.report()).status == 200)
        #expect(hub.send("DELETE", "/api/agents/kubernetes/clusters/cluster-a", token: admin, query: [("hide", "true")]).status == 200)
        #expect(hub.services.clusters.agent(id: "cluster-a")?.hidden == true)
        #expect(hub.send("PUT", "/api/agents/kubernetes/clusters/cluster-a/display-name", token: admin,
                         body: #"{"displayName":"Prod EU"}"#).status == 200)
        #expect(hub.services.clusters.agent(id: "cluster-a")?.customDisplayName == "Prod EU")
        #expect(hub.send("PUT", "/api/agents/kubernetes/clusters/cluster-a/unhide", token: admin, body: "{}").status == 200)
        #expect(hub.send("PUT", "/api/agents/kubernetes/clusters/cluster-a/pending-uninstall", token: admin, body: "{}").status == 200)
        let empty = try hub.token([.kubernetesReport])
        #expect(hub.send("POST", "/api/agents/kubernetes/report", token: empty,
                         body: #"{"cluster":{},"nodes":[]}"#).object["code"] as? String == "invalid_report")
    }
}
