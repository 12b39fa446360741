import Foundation
#if canImport(Glibc)
import Glibc
#endif
import PulseCommon
import Testing

/// The real agent's docker and Kubernetes modules against the real hub, with fake engines: reports reach
/// `/api/state`, commands go out in report responses and come back as acks, a stop removes the host.
@Suite(.timeLimit(.minutes(3)))
struct ContainerAgentTests {
    static let python: String? = ["/usr/bin/python3", "/usr/local/bin/python3"].first { path in access(path, X_OK) == 0 }
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("AgentTests/Fixtures").path

    static func state(_ hub: HubProcess, token: String) -> [String: Any] {
        guard let response = try? hub.get("/api/state", token: token),
              let object = try? JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any] else { return [:] }
        return object
    }

    static func waitUntil(_ limit: Duration, _ condition: () -> Bool) -> Bool {
        let deadline = ContinuousClock.now.advanced(by: limit)
        while ContinuousClock.now < deadline {
            if condition() { return true }
            usleep(200_000)
        }
        return condition()
    }

    @Test(.enabled(if: python != nil, "needs python3")) func dockerAgentReportsTakesCommandsAndStops() throws {
        let hub = try HubProcess()
        defer { hub.shutdown() }
        try hub.start()
        let agentToken = try hub.createToken(name: "docker agent", scopes: "docker:report")
        let admin = try hub.createToken(name: "admin")

        let socket = hub.root + "/engine.sock"
        let engine = AgentSpoolTests.Child("fake engine", pid: try HubProcess.spawn(
            Self.python!, arguments: [Self.fixtures + "/docker/fake_engine.py", socket,
                                      Self.fixtures + "/docker/engine-scenario.json", "--seconds", "170"],
            environment: ["PATH": "/usr/bin:/bin"], stdoutPath: hub.root + "/engine.out", stderrPath: hub.root + "/engine.err",
            append: false))
        defer { _ = engine.stop(timeout: .seconds(1)) }
        #expect(Self.waitUntil(.seconds(10)) { access(socket, F_OK) == 0 })

        let agentLog = hub.root + "/agent.log"
        let agent = AgentSpoolTests.Child("pulse-agent", pid: try HubProcess.spawn(
            try AgentSpoolTests.agentBinary(),
            arguments: ["--url", hub.baseURL, "--enable-host=false", "--enable-docker", "--interval", "1s",
                        "--docker-timeout", "1s", "--health-addr=", "--spool-dir", hub.root + "/spool",
                        "--remote-config-interval", "0", "--log-format", "text"],
            environment: ["PULSE_TOKEN": agentToken, "DOCKER_HOST": "unix://" + socket, "PATH": "/usr/bin:/bin",
                          "HOME": hub.root],
            stdoutPath: hub.root + "/agent.stdout", stderrPath: agentLog, append: false))
        defer { agent.stop() }
        func log() -> String { (try? String(contentsOfFile: agentLog, encoding: .utf8)) ?? "" }
        func dockerHosts() -> [[String: Any]] { Self.state(hub, token: admin)["dockerHosts"] as? [[String: Any]] ?? [] }

        // 1. Reports arrive: the host with its four containers (the update backup is not reported).
        #expect(Self.waitUntil(.seconds(20)) { (dockerHosts().first?["containers"] as? [Any])?.count == 4 }, "\(log())")
        let host = try #require(dockerHosts().first)
        let hostID = try #require(host["id"] as? String)
        #expect(host["runtime"] as? String == "docker" && host["status"] as? String == "online")
        #expect(host["tokenName"] as? String == "docker agent")
        #expect((host["swarm"] as? [String: Any])?["nodeRole"] as? String == "worker")
        // CPU from the agent's own samples: 10 % for "web" from the second report on.
        #expect(Self.waitUntil(.seconds(10)) {
            ((dockerHosts().first?["containers"] as? [[String: Any]])?.first?["cpuPercent"] as? Double ?? 0) > 9
        })

        // 2. check_updates: queued, delivered with the next report, acknowledged completed.
        let queued = try hub.post("/api/agents/docker/hosts/\(hostID)/check-updates", json: "{}", token: admin)
        #expect(queued.status == 200)
        #expect(Self.waitUntil(.seconds(15)) {
            (dockerHosts().first?["command"] as? [String: Any])?["status"] as? String == "completed"
        }, "\(log())")

        // 3. DELETE on an online host queues stop; the agent acks and its docker module ends; the host goes.
        let delete = try hub.request("DELETE", "/api/agents/docker/hosts/\(hostID)", token: admin)
        #expect((try jsonObject(delete))["message"] as? String == "Stop command queued")
        #expect(Self.waitUntil(.seconds(15)) { dockerHosts().isEmpty }, "\(log())")
        #expect(log().contains("the hub asked this agent to stop reporting containers"))
        #expect((Self.state(hub, token: admin)["removedDockerHosts"] as? [Any])?.isEmpty == true)
        #expect(agent.stop() == 0)
    }

    @Test(.enabled(if: python != nil && access("/usr/bin/openssl", X_OK) == 0, "needs python3 and openssl"))
    func kubernetesAgentReportsAPagedCluster() throws {
        let hub = try HubProcess()
        defer { hub.shutdown() }
        try hub.start()
        let agentToken = try hub.createToken(name: "k8s agent", scopes: "kubernetes:report")
        let admin = try hub.createToken(name: "admin")

        // A self-signed server certificate doubles as the CA the fake API loads.
        let certs = hub.root + "/certs"
        try FileManager.default.createDirectory(atPath: certs, withIntermediateDirectories: true)
        let openssl = try HubProcess.spawn("/usr/bin/openssl", arguments: [
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", certs + "/server.key", "-out", certs + "/server.crt",
            "-days", "2", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
            environment: ["PATH": "/usr/bin:/bin"], stdoutPath: "/dev/null", stderrPath: "/dev/null", append: false)
        #expect(HubProcess.waitForExit(openssl, timeout: .seconds(30)).flatMap(HubProcess.exitCode) == 0)
        try FileManager.default.copyItem(atPath: certs + "/server.crt", toPath: certs + "/ca.crt")
        let port = try HubProcess.freeLoopbackPort()
        let api = AgentSpoolTests.Child("fake kubernetes", pid: try HubProcess.spawn(
            Self.python!, arguments: [Self.fixtures + "/kubernetes/fake_kube_api.py", "--port", String(port), "--certs", certs,
                                      "--objects", Self.fixtures + "/kubernetes/objects.json", "--token", "sa-token",
                                      "--log", hub.root + "/kube.log", "--seconds", "170"],
            environment: ["PATH": "/usr/bin:/bin"], stdoutPath: hub.root + "/kube.out", stderrPath: hub.root + "/kube.err",
            append: false))
        defer { _ = api.stop(timeout: .seconds(1)) }

        let ca = try Data(contentsOf: URL(fileURLWithPath: certs + "/ca.crt")).base64EncodedString()
        let kubeconfig = """
        apiVersion: v1
        kind: Config
        current-context: test
        clusters:
        - name: fake
          cluster: {server: "https://127.0.0.1:\(port)", certificate-authority-data: \(ca)}
        contexts:
        - name: test
          context: {cluster: fake, user: sa}
        users:
        - name: sa
          user: {token: sa-token}
        """
        try kubeconfig.write(toFile: hub.root + "/kubeconfig.yaml", atomically: true, encoding: .utf8)
        let agentLog = hub.root + "/agent.log"
        let agent = AgentSpoolTests.Child("pulse-agent", pid: try HubProcess.spawn(
            try AgentSpoolTests.agentBinary(),
            arguments: ["--url", hub.baseURL, "--enable-host=false", "--enable-kubernetes", "--kubeconfig",
                        hub.root + "/kubeconfig.yaml", "--kube-exclude-namespace", "kube-*", "--interval", "1s",
                        "--health-addr=", "--spool-dir", hub.root + "/spool", "--remote-config-interval", "0",
                        "--log-format", "text"],
            environment: ["PULSE_TOKEN": agentToken, "PATH": "/usr/bin:/bin", "HOME": hub.root],
            stdoutPath: hub.root + "/agent.stdout", stderrPath: agentLog, append: false))
        defer { agent.stop() }
        func log() -> String { (try? String(contentsOfFile: agentLog, encoding: .utf8)) ?? "" }
        func clusters() -> [[String: Any]] { Self.state(hub, token: admin)["kubernetesClusters"] as? [[String: Any]] ?? [] }

        #expect(Self.waitUntil(.seconds(30)) { !clusters().isEmpty }, "\(log())")
        let cluster = try #require(clusters().first)
        #expect(cluster["version"] as? String == "v1.29.2+k3s1" && cluster["context"] as? String == "test")
        #expect((cluster["nodes"] as? [Any])?.count == 3)
        let pods = (cluster["pods"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
        #expect(pods.sorted() == ["api-1", "init-fail", "pending-1", "terminated-1"])  // kube-system excluded
        #expect(agent.stop() == 0)
    }
}
