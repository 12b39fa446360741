import Foundation
import Glibc
import PulseCommon
import Testing
@testable import PulseAgent

/// kubeconfig shapes (kubectl, k3s, EKS, JSON), in-cluster config, the problem filters and the report.
@Suite struct KubeconfigTests {
    static let directory = TestSupport.fixtures + "/kubernetes"

    static func target(_ file: String, context: String? = nil) throws -> KubernetesTarget {
        let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: directory + "/" + file)))
        return try Kubeconfig.target(from: Kubeconfig.parse(bytes), context: context, directory: directory)
    }

    @Test func kubectlCurrentContextWithTokenAndCA() throws {
        let target = try Self.target("kubectl.yaml")
        #expect(target.server == "https://10.0.0.10:6443" && target.context == "prod-admin@prod")
        #expect(target.namespace == "monitoring" && target.caPEM == Array("CA-PEM".utf8))
        #expect(target.token?.hasPrefix("eyJhbGciOi") == true && !target.insecureSkipVerify)
        // The reference's cluster id: sha256(server|context|context).
        #expect(target.clusterID == Crypto.sha256(Array("https://10.0.0.10:6443|prod-admin@prod|prod-admin@prod".utf8)).hexString)
        let lab = try Self.target("kubectl.yaml", context: "lab")
        #expect(lab.server == "https://lab.local:6443" && lab.insecureSkipVerify)
        #expect(lab.clientCertificateFile == Self.directory + "/certs/client.crt")
        #expect(lab.clientKeyFile == "/etc/lab/client.key")
        #expect(throws: KubernetesError.self) { try Self.target("kubectl.yaml", context: "missing") }
    }

    @Test func k3sClientCertificateData() throws {
        let target = try Self.target("k3s.yaml")
        #expect(target.server == "https://127.0.0.1:6443" && target.context == "default")
        #expect(String(decoding: target.clientCertificatePEM ?? [], as: UTF8.self).contains("BEGIN CERTIFICATE"))
        #expect(String(decoding: target.clientKeyPEM ?? [], as: UTF8.self).contains("PRIVATE KEY"))
        #expect(target.token == nil && (target.caPEM?.count ?? 0) > 0)
    }

    @Test func eksExecPluginIsExplainedAndATokenUserWorks() throws {
        do {
            _ = try Self.target("eks.yaml")
            Issue.record("accepted an exec user")
        } catch {
            let message = (error as? KubernetesError)?.message ?? ""
            #expect(message.contains("aws") && message.contains("token"))
        }
        let sa = try Self.target("eks.yaml", context: "pulse")
        #expect(sa.token == "12345678901234567890")  // a long unquoted number stays text
        #expect(sa.server.hasSuffix(".eks.amazonaws.com"))
    }

    @Test func jsonKubeconfigWithTokenFile() throws {
        let target = try Self.target("kubeconfig.json")
        #expect(target.server == "https://json.example:443" && target.insecureSkipVerify && target.token == "file-token")
    }

    @Test func malformedKubeconfigs() {
        #expect(throws: KubernetesError.self) { try Kubeconfig.parse(Array("{not json".utf8)) }
        #expect(throws: KubernetesError.self) { try Kubeconfig.parse(Array("a: [".utf8)) }
        #expect(throws: KubernetesError.self) {
            try Kubeconfig.target(from: .array([]), context: nil, directory: "/")
        }
        #expect(throws: KubernetesError.self) {
            try Kubeconfig.target(from: Kubeconfig.parse(Array("apiVersion: v1\nclusters: []".utf8)), context: nil, directory: "/")
        }
        let badBase64 = "current-context: c\ncontexts: [{name: c, context: {cluster: k, user: u}}]\nclusters: [{name: k, cluster: {server: 'https://k', certificate-authority-data: '@@@'}}]\nusers: [{name: u, user: {token: t}}]"
        #expect(throws: KubernetesError.self) {
            try Kubeconfig.target(from: Kubeconfig.parse(Array(badBase64.utf8)), context: nil, directory: "/")
        }
    }

    @Test func inClusterIDsDifferPerClusterCA() throws {
        let root = try TestSupport.temporaryDirectory()
        defer { TestSupport.remove(root) }
        let secrets = root + "/var/run/secrets/kubernetes.io/serviceaccount"
        try FileManager.default.createDirectory(atPath: secrets, withIntermediateDirectories: true)
        try "sa-token\n".write(toFile: secrets + "/token", atomically: true, encoding: .utf8)
        try "CA one".write(toFile: secrets + "/ca.crt", atomically: true, encoding: .utf8)
        try "monitoring".write(toFile: secrets + "/namespace", atomically: true, encoding: .utf8)
        let environment = ["KUBERNETES_SERVICE_HOST": "10.96.0.1", "KUBERNETES_SERVICE_PORT": "443"]
        let fs = HostFS(rootfs: root)
        let one = try #require(Kubeconfig.inCluster(environment: environment, fs: fs))
        #expect(one.server == "https://10.96.0.1:443" && one.context == "in-cluster" && one.token == "sa-token")
        #expect(one.namespace == "monitoring")
        try "CA two".write(toFile: secrets + "/ca.crt", atomically: true, encoding: .utf8)
        let two = try #require(Kubeconfig.inCluster(environment: environment, fs: fs))
        // The reference gives every cluster on the default service network the same id; these differ.
        #expect(one.clusterID != two.clusterID)
        #expect(one.clusterID != Crypto.sha256(Array("https://10.96.0.1:443|in-cluster|in-cluster".utf8)).hexString)
        #expect(Kubeconfig.inCluster(environment: [:], fs: fs) == nil)
    }
}

@Suite struct KubernetesMapperTests {
    static let objects: JSONValue = {
        let data = try! Data(contentsOf: URL(fileURLWithPath: TestSupport.fixtures + "/kubernetes/objects.json"))
        return try! JSONDecoder().decode(JSONValue.self, from: data)
    }()

    static func report(_ configure: (inout KubernetesMapper.Options) -> Void = { _ in })
        -> (nodes: [KubernetesReport.Node], pods: [KubernetesReport.Pod], deployments: [KubernetesReport.Deployment]) {
        var options = KubernetesMapper.Options()
        configure(&options)
        return KubernetesMapper.report(nodes: objects["nodes"]?.arrayValue ?? [], pods: objects["pods"]?.arrayValue ?? [],
                                       deployments: objects["deployments"]?.arrayValue ?? [], options: options)
    }

    @Test func nodesReadyRolesAndResources() {
        let nodes = Self.report().nodes
        #expect(nodes.map(\.name) == ["control-1", "worker-2", "worker-3"])
        #expect(nodes.map(\.ready) == [true, false, true])
        #expect(nodes[0].roles == ["control-plane", "master"])
        #expect(nodes[1].roles == ["worker"] && nodes[1].unschedulable == true)
        #expect(nodes[1].capacity == KubernetesReport.Resources(cpuCores: 4, memoryBytes: 17_179_869_184, pods: 110))
        #expect(nodes[1].allocatable?.cpuCores == 3)  // 3500m truncated
        #expect(nodes[0].capacity?.memoryBytes == Int64(8_225_206_272))
        #expect(nodes[2].capacity == KubernetesReport.Resources())
        #expect(KubernetesMapper.quantity("1.5Gi") == 1_610_612_736 && KubernetesMapper.quantity("129e6") == 129_000_000)
        #expect(KubernetesMapper.quantity("abc") == nil && KubernetesMapper.quantity("12Zi") == nil)
    }

    @Test func onlyProblemPodsByDefault() {
        let pods = Self.report().pods
        #expect(pods.map { "\($0.namespace ?? "")/\($0.name ?? "")" }
                == ["batch/init-fail", "batch/terminated-1", "kube-system/coredns-x", "shop/api-1", "shop/pending-1"])
        let api = pods[3]
        #expect(api.restarts == 8 && api.ownerKind == "ReplicaSet" && api.ownerName == "api-rs")
        #expect(api.containers?.first?.state == "waiting" && api.containers?.first?.reason == "CrashLoopBackOff")
        #expect(api.containers?.last?.image == "envoy" && api.labels == ["app": "api"])
        #expect(pods[4].reason == "Unschedulable")
        let all = Self.report { $0.includeAllPods = true }.pods
        #expect(all.count == 6 && !all.contains { $0.name == "job-done" })
    }

    @Test func namespaceFiltersAndCap() {
        let included = Self.report { $0.namespaces = NamespaceFilter(include: ["sh?p", "kube-*"], exclude: ["kube-system"]) }
        #expect(Set(included.pods.map(\.namespace)) == ["shop"])
        #expect(included.deployments.map(\.name) == ["api"])
        let capped = Self.report { $0.includeAllPods = true; $0.maxPods = 2 }
        #expect(capped.pods.map(\.name) == ["init-fail", "terminated-1"])
        #expect(NamespaceFilter.matches("*", "") && NamespaceFilter.matches("a*b?c", "axxbyc"))
        #expect(!NamespaceFilter.matches("a*b", "ac") && NamespaceFilter(exclude: ["*"]).allows("x") == false)
    }

    @Test func onlyProblemDeploymentsByDefault() {
        let deployments = Self.report().deployments
        #expect(deployments.map(\.name) == ["coredns", "api"])
        #expect(deployments[1].desiredReplicas == 2 && deployments[1].readyReplicas == 1 && deployments[1].updatedReplicas == 2)
        #expect(Self.report { $0.includeAllDeployments = true }.deployments.count == 4)
    }

    @Test func hostileObjectsDoNotCrash() {
        let junk: [JSONValue] = [.null, .string("x"), .array([]), .object(["metadata": .number(1), "status": .string("s")])]
        let report = KubernetesMapper.report(nodes: junk, pods: junk, deployments: junk, options: .init())
        #expect(report.nodes.count == 4 && report.nodes.allSatisfy { $0.ready == false })
    }
}

/// The client against a fake API server over HTTPS with a test CA: bearer and client-certificate auth, paging.
@Suite(.serialized) struct KubernetesClientTests {
    static let enabled = FakeProcess.python != nil && FileManager.default.isExecutableFile(atPath: "/usr/bin/openssl")

    final class Server {
        let root: String
        let port: Int
        let process: FakeProcess
        var log: String { root + "/requests.log" }

        init() throws {
            root = try TestSupport.temporaryDirectory()
            try Self.makeCertificates(root)
            port = Int(try LoopbackPort.free())
            process = try FakeProcess(python: "kubernetes/fake_kube_api.py",
                                      ["--port", String(port), "--certs", root, "--objects",
                                       TestSupport.fixtures + "/kubernetes/objects.json", "--token", "good-token",
                                       "--log", root + "/requests.log", "--seconds", "120"])
        }

        deinit {
            process.stop()
            TestSupport.remove(root)
        }

        func pem(_ name: String) throws -> [UInt8] { Array(try Data(contentsOf: URL(fileURLWithPath: root + "/" + name))) }

        var requests: [[String: Any]] {
            let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            return text.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        }

        /// A CA, a server certificate for 127.0.0.1 and a client certificate (CN=pulse-agent) signed by it.
        static func makeCertificates(_ root: String) throws {
            func openssl(_ arguments: [String]) throws {
                let process = Process()
                process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
                process.arguments = arguments
                process.currentDirectoryURL = URL(fileURLWithPath: root)
                process.standardOutput = FileHandle.nullDevice
                process.standardError = FileHandle.nullDevice
                try process.run()
                process.waitUntilExit()
                guard process.terminationStatus == 0 else { throw FakeProcessError(message: "openssl \(arguments[0]) failed") }
            }
            try "subjectAltName=IP:127.0.0.1,DNS:localhost\n".write(toFile: root + "/san.ext", atomically: true, encoding: .utf8)
            try openssl(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.crt", "-days", "2",
                         "-subj", "/CN=pulse-test-ca"])
            for (name, subject, ext) in [("server", "/CN=127.0.0.1", true), ("client", "/CN=pulse-agent", false)] {
                try openssl(["req", "-newkey", "rsa:2048", "-nodes", "-keyout", "\(name).key", "-out", "\(name).csr",
                             "-subj", subject])
                try openssl(["x509", "-req", "-in", "\(name).csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
                             "-out", "\(name).crt", "-days", "2"] + (ext ? ["-extfile", "san.ext"] : []))
            }
        }
    }

    static func failure(_ body: () throws(KubernetesError) -> Void) -> KubernetesError? {
        do {
            try body()
            return nil
        } catch {
            return error
        }
    }

    static func target(_ server: Server) throws -> KubernetesTarget {
        var target = KubernetesTarget(server: "https://127.0.0.1:\(server.port)", context: "test")
        target.caPEM = try server.pem("ca.crt")
        return target
    }

    @Test(.enabled(if: enabled, "needs python3 and openssl")) func bearerTokenPagingAndReport() throws {
        let server = try Server()
        var target = try Self.target(server)
        target.token = "good-token"
        let collector = KubernetesCollector(client: KubernetesClient(target: target, pageSize: 2),
                                            identity: AgentIdentity(agentID: "agent-1", hostname: "h", machineID: nil),
                                            options: .init(), intervalSeconds: 30)
        try collector.connect()
        #expect(collector.version == "v1.29.2+k3s1")
        let report = try collector.collect(now: Date(timeIntervalSince1970: 1_796_396_400))
        #expect(report.nodes?.count == 3 && report.pods?.count == 5 && report.deployments?.count == 2)
        #expect(report.cluster?.id == target.clusterID && report.cluster?.version == "v1.29.2+k3s1")
        #expect(report.agent?.id == "agent-1" && report.agent?.intervalSeconds == 30)
        let paths = server.requests.compactMap { $0["path"] as? String }
        // 7 pods minus the succeeded one over pages of 2: 3 pages, each with the field selector.
        let podPages = paths.filter { $0.hasPrefix("/api/v1/pods?") }
        #expect(podPages.count == 3)
        #expect(podPages.allSatisfy { $0.contains("fieldSelector=status.phase%21%3DSucceeded") && $0.contains("limit=2") })
        #expect(podPages.contains { $0.contains("continue=c4") })
        #expect(server.requests.allSatisfy { $0["bearer"] as? Bool == true })
    }

    @Test(.enabled(if: enabled, "needs python3 and openssl")) func clientCertificateAuth() throws {
        let server = try Server()
        var target = try Self.target(server)
        target.clientCertificatePEM = try server.pem("client.crt")
        target.clientKeyPEM = try server.pem("client.key")
        let client = KubernetesClient(target: target)
        #expect(try client.get("/version")["gitVersion"]?.stringValue == "v1.29.2+k3s1")
        #expect(server.requests.last?["cn"] as? String == "pulse-agent")
        // The same with files, as a kubeconfig's client-certificate / client-key name them.
        var files = try Self.target(server)
        files.caPEM = nil
        files.caFile = server.root + "/ca.crt"
        files.clientCertificateFile = server.root + "/client.crt"
        files.clientKeyFile = server.root + "/client.key"
        #expect(try KubernetesClient(target: files).list("/api/v1/nodes").count == 3)
    }

    @Test(.enabled(if: enabled, "needs python3 and openssl")) func wrongTokenUnknownCAAndTimeouts() throws {
        let server = try Server()
        var target = try Self.target(server)
        target.token = "wrong"
        let wrongToken = Self.failure { () throws(KubernetesError) in _ = try KubernetesClient(target: target).get("/version") }
        #expect(wrongToken?.status == 401 && wrongToken?.message.contains("check the token") == true)
        var untrusted = target
        untrusted.caPEM = nil
        untrusted.token = "good-token"
        let unknownCA = Self.failure { () throws(KubernetesError) in _ = try KubernetesClient(target: untrusted).get("/version") }
        #expect(unknownCA?.message.contains("certificate-authority") == true)
        // A port that accepts and never answers (a listening socket nobody serves) times out.
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        listen(fd, 4)
        var bound = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &bound) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        let silent = KubernetesTarget(server: "https://127.0.0.1:\(UInt16(bigEndian: bound.sin_port))", context: "x")
        let started = ContinuousClock.now
        #expect(throws: KubernetesError.self) { try KubernetesClient(target: silent, timeout: .seconds(1)).get("/version") }
        #expect(started.duration(to: .now) < .seconds(5))
    }
}
