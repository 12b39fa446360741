import Foundation
import PulseCommon
import Testing
@testable import PulseAgent

/// Pure docker parsing: stats, CPU from own samples, container mapping, masking, podman labels, swarm, endpoints.
@Suite struct DockerParserTests {
    static func stats(_ json: String) throws -> ContainerStats {
        ContainerStats(try JSONDecoder().decode(EngineStats.self, from: Data(json.utf8)))
    }

    @Test func memorySubtractsCacheOnV1AndInactiveFileOnV2() throws {
        let v1 = try Self.stats(#"{"memory_stats":{"usage":1000,"limit":4000,"stats":{"cache":300,"inactive_file":100}}}"#)
        #expect(v1.memoryUsage == 700 && v1.memoryLimit == 4000 && v1.memoryPercent == 17.5)
        let v2 = try Self.stats(#"{"memory_stats":{"usage":1000,"limit":0,"stats":{"inactive_file":100}}}"#)
        #expect(v2.memoryUsage == 900 && v2.memoryPercent == 0)
        let bigger = try Self.stats(#"{"memory_stats":{"usage":100,"stats":{"cache":500}}}"#)
        #expect(bigger.memoryUsage == 100)
        let none = try Self.stats("{}")
        #expect(none.memoryUsage == 0 && none.cpuTotal == nil && none.networkRx == nil)
    }

    @Test func blockAndNetworkCounters() throws {
        let stats = try Self.stats(#"{"blkio_stats":{"io_service_bytes_recursive":[{"op":"Read","value":10},{"op":"write","value":20},{"op":"Total","value":30},{"op":"read","value":5}]},"networks":{"eth0":{"rx_bytes":100,"tx_bytes":1},"eth1":{"rx_bytes":50,"tx_bytes":2}}}"#)
        #expect(stats.blockRead == 15 && stats.blockWrite == 20)
        #expect(stats.networkRx == 150 && stats.networkTx == 3)
    }

    @Test func cpuComesFromTheAgentsOwnConsecutiveSamples() {
        var tracker = CPUTracker()
        let t0 = Date(timeIntervalSince1970: 1000)
        let first = ContainerStats(cpuTotal: 1_000_000_000, systemTotal: 100_000_000_000, onlineCPUs: 4, readAt: t0)
        // The first sample has nothing to compare with: 0, never a lifetime average.
        #expect(tracker.percent(id: "a", stats: first, now: t0, hostCPUs: nil) == 0)
        // 3 s of container CPU over 120 s of host CPU on 4 CPUs: 10 %.
        let second = ContainerStats(cpuTotal: 4_000_000_000, systemTotal: 220_000_000_000, onlineCPUs: 4, readAt: t0 + 30)
        #expect(abs(tracker.percent(id: "a", stats: second, now: t0 + 30, hostCPUs: nil) - 10) < 1e-9)
        // Without host CPU time: container CPU over wall time (1.5 s of CPU in 1 s = 150 %).
        let noSystem = ContainerStats(cpuTotal: 5_500_000_000, systemTotal: nil, onlineCPUs: 4, readAt: t0 + 31)
        #expect(abs(tracker.percent(id: "a", stats: noSystem, now: t0 + 31, hostCPUs: nil) - 150) < 1e-6)
        // A restart (counter went back) re-baselines at 0.
        let restarted = ContainerStats(cpuTotal: 10, systemTotal: 230_000_000_000, onlineCPUs: 4, readAt: t0 + 40)
        #expect(tracker.percent(id: "a", stats: restarted, now: t0 + 40, hostCPUs: nil) == 0)
        tracker.prune(keeping: ["b"])
        #expect(tracker.samples.isEmpty)
    }

    @Test func environmentMasking() {
        let masked = ContainerMapper.maskEnvironment(["DB_PASSWORD=hunter2", "api_key=x", "GITHUB_TOKEN=t", "MODE=prod",
                                                      "DATABASE_URL=postgres://u:p@h/db", "PATH=/bin", "NOVALUE",
                                                      "MY_SECRET==x=y", "AUTHOR=me"])
        #expect(masked == ["DB_PASSWORD=***", "api_key=***", "GITHUB_TOKEN=***", "MODE=prod", "DATABASE_URL=***",
                           "PATH=/bin", "NOVALUE", "MY_SECRET=***", "AUTHOR=***"])
    }

    @Test func podmanMetadataFromLabels() {
        let podman = ContainerMapper.podmanMetadata([
            "io.podman.annotations.pod.name": "pod1", "io.podman.annotations.pod.id": "p1",
            "io.podman.annotations.pod.infra": "true", "io.podman.compose.project": "proj",
            "io.podman.compose.service": "svc", "io.podman.compose.working_dir": "/srv",
            "io.podman.compose.config-hash": "abc", "io.containers.autoupdate": "registry",
            "io.containers.autoupdate.restart": "true", "io.containers.userns": "keep-id",
        ])
        #expect(podman == DockerReport.Podman(podName: "pod1", podId: "p1", infra: true, composeProject: "proj",
                                              composeService: "svc", composeWorkdir: "/srv", composeConfigHash: "abc",
                                              autoUpdatePolicy: "registry", autoUpdateRestart: "true",
                                              userNamespace: "keep-id"))
        #expect(ContainerMapper.podmanMetadata(["other": "x"]) == nil)
    }

    @Test func backupContainersAreRecognised() {
        #expect(ContainerMapper.isBackup("web_pulse_backup_20261204_150000"))
        #expect(!ContainerMapper.isBackup("web"))
        #expect(ContainerUpdater.parseStamp("20261204_150000") == RFC3339.parse("2026-12-04T15:00:00Z"))
        #expect(ContainerUpdater.parseStamp("2026_15") == nil)
        #expect(ContainerUpdater.stamp(RFC3339.parse("2026-12-04T15:00:09.5Z")!) == "20261204_150009")
        #expect(ContainerUpdater.text(after: "_pulse_backup_", in: "a_pulse_backup_x") == "x")
    }

    @Test func createBodyKeepsConfigAndSplitsNetworks() throws {
        let inspect = try JSONDecoder().decode(JSONValue.self, from: Data(#"""
        {"Id":"abcdef123456","Config":{"Image":"nginx","Env":["A=1"]},"HostConfig":{"NetworkMode":"frontend","Ulimits":[{"Name":"RLIMIT_NOFILE","Soft":1024,"Hard":1024}]},
         "NetworkSettings":{"Networks":{"backend":{"IPAddress":"1.2.3.4","Aliases":["abcdef123456","api"]},
                                        "frontend":{"Aliases":null,"IPAMConfig":{"IPv4Address":"172.18.0.9"}}}}}
        """#.utf8))
        let (body, extra) = ContainerUpdater.createBody(from: inspect)
        #expect(body["Image"]?.stringValue == "nginx")
        #expect(body["HostConfig"]?["NetworkMode"]?.stringValue == "frontend")
        #expect(body["HostConfig"]?["Ulimits"]?.arrayValue?.first?["Name"]?.stringValue == "nofile")
        let endpoints = body["NetworkingConfig"]?["EndpointsConfig"]?.objectValue
        #expect(endpoints?.keys.sorted() == ["frontend"])
        #expect(endpoints?["frontend"]?["IPAMConfig"]?["IPv4Address"]?.stringValue == "172.18.0.9")
        #expect(extra.count == 1 && extra[0].0 == "backend")
        #expect(extra[0].1["Aliases"]?.arrayValue == [.string("api")])
        #expect(extra[0].1["IPAddress"] == nil)
        let none = try JSONDecoder().decode(JSONValue.self, from: Data(#"{"Config":{},"HostConfig":{"NetworkMode":"none"},"NetworkSettings":{"Networks":{"none":{}}}}"#.utf8))
        #expect(ContainerUpdater.createBody(from: none).body["NetworkingConfig"] == nil)
        #expect(ContainerUpdater.pullError(Array(#"{"status":"Pulling"}"#.utf8 + [10] + #"{"error":"denied"}"#.utf8)) == "denied")
    }

    @Test func swarmInfoAndLabelFallback() throws {
        let info = EngineSwarmInfo(NodeID: "n1", LocalNodeState: "active", ControlAvailable: true, Error: "",
                                   Cluster: EngineSwarmCluster(ID: "c1", Spec: .init(Name: "prod")))
        #expect(SwarmMapper.swarm(info) == DockerReport.Swarm(nodeId: "n1", nodeRole: "manager", localState: "active",
                                                              controlAvailable: true, clusterId: "c1",
                                                              clusterName: "prod", scope: "node"))
        #expect(SwarmMapper.swarm(EngineSwarmInfo(NodeID: "", LocalNodeState: "inactive", ControlAvailable: false)) == nil)
        #expect(SwarmMapper.swarm(EngineSwarmInfo(LocalNodeState: "error", Error: "boom"))?.error == "boom")

        func container(_ id: String, _ task: String, _ slot: Int, state: String) -> DockerReport.Container {
            DockerReport.Container(id: id, name: "c-\(id)", image: "img", createdAt: Date(timeIntervalSince1970: 0),
                                   state: state, labels: ["com.docker.swarm.service.id": "s1",
                                                          "com.docker.swarm.service.name": "web",
                                                          "com.docker.swarm.task.id": task,
                                                          "com.docker.swarm.task.name": "web.\(slot).\(task)",
                                                          "com.docker.stack.namespace": "shop"])
        }
        let derived = SwarmMapper.derived(from: [container("b", "t2", 2, state: "exited"), container("a", "t1", 1, state: "running"),
                                                 DockerReport.Container(id: "x", name: "plain")])
        #expect(derived.tasks.map(\.id) == ["t1", "t2"])
        #expect(derived.tasks.map(\.slot) == [1, 2])
        #expect(derived.services.count == 1)
        #expect(derived.services[0].desiredTasks == 2 && derived.services[0].runningTasks == 1)
        #expect(derived.services[0].stack == "shop" && derived.services[0].image == "img")
    }

    @Test func swarmAPIKeepsOnlyServicesRunningHere() throws {
        let services = try JSONDecoder().decode([EngineService].self, from: Data(#"""
        [{"ID":"s1","Spec":{"Name":"web","Labels":{"com.docker.stack.namespace":"shop"},"Mode":{"Replicated":{"Replicas":3}},
          "TaskTemplate":{"ContainerSpec":{"Image":"nginx"}}},"Endpoint":{"Ports":[{"Protocol":"tcp","TargetPort":80,"PublishedPort":8080,"PublishMode":"ingress"}]},
          "ServiceStatus":{"RunningTasks":3,"DesiredTasks":3},"CreatedAt":"2026-12-01T00:00:00Z"},
         {"ID":"s2","Spec":{"Name":"batch","Mode":{"GlobalJob":{}}}}]
        """#.utf8))
        let tasks = try JSONDecoder().decode([EngineTask].self, from: Data(#"""
        [{"ID":"t1","ServiceID":"s1","Slot":1,"NodeID":"n1","DesiredState":"running","Status":{"State":"running","ContainerStatus":{"ContainerID":"c1"}},"CreatedAt":"2026-12-02T00:00:00Z"},
         {"ID":"t2","ServiceID":"s2","NodeID":"n1","Status":{"State":"complete","Err":""}}]
        """#.utf8))
        let mapped = SwarmMapper.tasks(tasks, services: services, containerNames: ["c1": "web.1.t1"])
        #expect(mapped.map(\.serviceName) == ["batch", "web"])
        #expect(mapped[1].containerName == "web.1.t1" && mapped[1].containerId == "c1")
        let kept = SwarmMapper.services(services, tasks: mapped, nodeScope: true)
        #expect(kept.map(\.id) == ["s1"])
        #expect(kept[0].mode == "replicated" && kept[0].desiredTasks == 3 && kept[0].stack == "shop")
        #expect(kept[0].endpointPorts?.first?.publishedPort == 8080)
        #expect(SwarmMapper.services(services, tasks: mapped, nodeScope: false).map(\.mode) == ["global-job", "replicated"])
    }

    @Test func endpointCandidatesFollowTheSpecOrder() {
        let environment = ["DOCKER_HOST": "unix:///custom/docker.sock", "CONTAINER_HOST": "unix:///custom/container.sock",
                           "PODMAN_HOST": "unix:///custom/podman.sock"]
        let auto = DockerEndpoint.candidates(preference: .auto, environment: environment, uid: 1000).endpoints.map(\.description)
        #expect(auto == ["unix:///custom/docker.sock", "unix:///custom/container.sock", "unix:///custom/podman.sock",
                         "unix:///run/user/1000/podman/podman.sock", "unix:///run/podman/podman.sock",
                         "unix:///var/run/podman/podman.sock", "unix:///var/run/docker.sock"])
        let podman = DockerEndpoint.candidates(preference: .podman, environment: environment, uid: 0).endpoints.map(\.description)
        #expect(podman.first == "unix:///custom/podman.sock" && podman.last == "unix:///var/run/docker.sock")
        let docker = DockerEndpoint.candidates(preference: .docker, environment: [:], uid: 0).endpoints.map(\.description)
        #expect(docker == ["unix:///var/run/docker.sock"])
        let bad = DockerEndpoint.candidates(preference: .auto, environment: ["DOCKER_HOST": "ssh://me@host"], uid: 0)
        #expect(bad.problems.count == 1 && !bad.endpoints.contains { $0.source == "DOCKER_HOST" })
        #expect(DockerRuntimePreference(flag: "default") == .auto && DockerRuntimePreference(flag: "lxc") == nil)
    }

    @Test func tcpEndpointsAndTLS() {
        let plain = DockerEndpoint.parse("tcp://10.0.0.5:2375", source: "t")
        #expect(plain?.baseURL == "http://10.0.0.5:2375")
        let tls = DockerEndpoint.parse("tcp://docker.example:2376", source: "t",
                                       environment: ["DOCKER_CERT_PATH": "/certs", "DOCKER_TLS_VERIFY": "1"])
        #expect(tls?.baseURL == "https://docker.example:2376")
        if case .tcp(_, _, let options)? = tls?.transport {
            #expect(options?.caFile == "/certs/ca.pem" && options?.certificateFile == "/certs/cert.pem" && options?.verify == true)
        } else {
            Issue.record("not tcp")
        }
        #expect(DockerEndpoint.parse("tcp://[::1]:2375", source: "t")?.baseURL == "http://[::1]:2375")
        #expect(DockerEndpoint.parse("tcp://host:99999", source: "t") == nil)
        #expect(DockerEndpoint.parse("unix://relative", source: "t") == nil)
        #expect(DockerEndpoint.parse("unix:///run/podman/podman.sock", source: "t")?.namesPodman == true)
        #expect(EngineClient.negotiate("1.45") == "1.43" && EngineClient.negotiate("1.41") == "1.41")
        #expect(EngineClient.negotiate("banana") == nil)
        #expect(DockerEndpoint.permissionHint(path: "/var/run/docker.sock", uid: 999).contains("usermod -aG docker"))
    }

    @Test func malformedEngineDocumentsAreNamedNotFatal() {
        #expect(throws: EngineError.self) { try EngineClient.decode(EngineInfo.self, Array("not json".utf8), what: "/info") }
        do {
            _ = try EngineClient.decode([EngineContainerSummary].self, Array(#"[{"Id":5}]"#.utf8), what: "list")
            Issue.record("decoded")
        } catch {
            #expect(error.message.contains("unexpected value at [0].Id"))
        }
        // Oversized or deeply wrong documents: a list of the wrong shape.
        #expect(throws: EngineError.self) { try EngineClient.decode([EngineContainerSummary].self, Array(#"{"Id":"x"}"#.utf8), what: "list") }
    }
}
