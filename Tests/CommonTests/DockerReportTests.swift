import Foundation
import PulseCommon
import Testing

/// The docker and Kubernetes wire types decode what a Pulse 5 agent sends and tolerate missing fields.
@Suite struct DockerReportWireTests {
    @Test func decodesAPulse5DockerReport() throws {
        let json = #"""
        {"agent":{"id":"a","version":"v5.0.12","type":"unified","intervalSeconds":30},
         "host":{"hostname":"h","name":"h","machineId":"m","os":"Ubuntu","runtime":"docker","runtimeVersion":"24.0.7",
                 "dockerVersion":"24.0.7","totalCpu":8,"totalMemoryBytes":1,"uptimeSeconds":2,
                 "swarm":{"nodeId":"n","nodeRole":"manager","localState":"active","controlAvailable":true,"scope":"node"},
                 "cpuUsagePercent":1.5,"loadAverage":[1,2,3],"memory":{"totalBytes":10,"usedBytes":5}},
         "containers":[{"id":"c","name":"web","image":"nginx","imageDigest":"sha256:1","createdAt":"2026-12-04T10:00:00Z",
                        "state":"running","status":"Up","health":"healthy","cpuPercent":1,"memoryUsageBytes":2,
                        "memoryLimitBytes":3,"memoryPercent":4,"uptimeSeconds":5,"restartCount":6,"exitCode":0,
                        "startedAt":"2026-12-04T10:00:01.5Z","ports":[{"privatePort":80,"publicPort":8080,"protocol":"tcp","ip":"0.0.0.0"}],
                        "labels":{"a":"b"},"env":["A=***"],"networks":[{"name":"bridge","ipv4":"172.17.0.2"}],
                        "blockIo":{"readBytes":1,"writeBytes":2},"mounts":[{"type":"bind","source":"/a","destination":"/b","rw":false}],
                        "podman":{"podName":"p","infra":false},
                        "updateStatus":{"updateAvailable":true,"currentDigest":"sha256:a","latestDigest":"sha256:b","lastChecked":"2026-12-04T10:00:00Z"}}],
         "services":[{"id":"s","name":"web","mode":"replicated","desiredTasks":3,"endpointPorts":[{"protocol":"tcp","targetPort":80,"publishedPort":8080,"publishMode":"ingress"}],
                      "updateStatus":{"state":"completed","completedAt":"2026-12-04T10:00:00Z"}}],
         "tasks":[{"id":"t","serviceId":"s","slot":1,"createdAt":"0001-01-01T00:00:00Z","currentState":"running"}],
         "timestamp":"2026-12-04T10:00:00Z","futureField":1}
        """#
        let report = try WireJSON.decoder().decode(DockerReport.self, from: Data(json.utf8))
        #expect(report.host?.swarm?.nodeRole == "manager")
        #expect(report.containers?.first?.updateStatus?.updateAvailable == true)
        #expect(report.containers?.first?.podman?.podName == "p")
        #expect(report.services?.first?.endpointPorts?.first?.publishedPort == 8080)
        #expect(report.tasks?.first?.createdAt != nil)
        let again = try WireJSON.decoder().decode(DockerReport.self, from: WireJSON.encoder().encode(report))
        #expect(again.containers == report.containers)
        // Only what the hub needs is required.
        let minimal = try WireJSON.decoder().decode(DockerReport.self, from: Data(#"{"host":{"hostname":"x"}}"#.utf8))
        #expect(minimal.containers == nil && minimal.host?.hostname == "x")
        #expect(throws: (any Error).self) {
            try WireJSON.decoder().decode(DockerReport.self, from: Data(#"{"containers":[{"cpuPercent":"high"}]}"#.utf8))
        }
    }

    @Test func emptyContainersEncodeAsAnArray() throws {
        let text = String(decoding: try WireJSON.encoder(sorted: true).encode(DockerReport()), as: UTF8.self)
        #expect(text == #"{"containers":[]}"#)
    }

    @Test func ackStatusAliases() {
        let cases: [(String?, String?)] = [(nil, "acknowledged"), ("", "acknowledged"), ("ACK", "acknowledged"),
                                           ("progress", "in_progress"), ("in_progress", "in_progress"),
                                           ("success", "completed"), ("complete", "completed"), ("completed", "completed"),
                                           ("fail", "failed"), ("error", "failed"), ("failed", "failed"), ("nope", nil)]
        for (raw, canonical) in cases { #expect(DockerCommandAck.canonicalStatus(raw) == canonical, "\(raw ?? "nil")") }
    }

    @Test func decodesAPulse5KubernetesReport() throws {
        let json = #"""
        {"agent":{"id":"a","version":"v5.0.12","intervalSeconds":30},"cluster":{"id":"abc","name":"prod","server":"https://k","context":"prod","version":"v1.29.0"},
         "nodes":[{"uid":"n","name":"node","ready":true,"capacity":{"cpuCores":4,"memoryBytes":1,"pods":110},"allocatable":{},"roles":["worker"]}],
         "pods":[{"uid":"p","name":"pod","namespace":"ns","createdAt":"2026-12-04T10:00:00Z","restarts":3,"containers":[{"name":"c","ready":false,"restartCount":3,"state":"waiting","reason":"CrashLoopBackOff"}]}],
         "deployments":[{"uid":"d","name":"dep","namespace":"ns","desiredReplicas":2,"readyReplicas":1}],"timestamp":"2026-12-04T10:00:00Z"}
        """#
        let report = try WireJSON.decoder().decode(KubernetesReport.self, from: Data(json.utf8))
        #expect(report.nodes?.first?.capacity?.cpuCores == 4 && report.pods?.first?.containers?.first?.restartCount == 3)
        #expect(report.deployments?.first?.readyReplicas == 1)
    }
}
