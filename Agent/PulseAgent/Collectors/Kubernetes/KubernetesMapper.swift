#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import PulseCommon

/// Namespace include/exclude with `*` and `?` wildcards; exclude wins, an empty include list means all.
public struct NamespaceFilter: Sendable, Equatable {
    public var include: [String]
    public var exclude: [String]

    public init(include: [String] = [], exclude: [String] = []) {
        self.include = include
        self.exclude = exclude
    }

    public func allows(_ namespace: String) -> Bool {
        if exclude.contains(where: { Self.matches($0, namespace) }) { return false }
        return include.isEmpty || include.contains { Self.matches($0, namespace) }
    }

    /// Glob match of `*` (any run) and `?` (one character).
    static func matches(_ pattern: String, _ text: String) -> Bool {
        let p = Array(pattern), t = Array(text)
        var pi = 0, ti = 0, star = -1, mark = 0
        while ti < t.count {
            if pi < p.count, p[pi] == "?" || p[pi] == t[ti] {
                pi += 1
                ti += 1
            } else if pi < p.count, p[pi] == "*" {
                star = pi
                mark = ti
                pi += 1
            } else if star >= 0 {
                pi = star + 1
                mark += 1
                ti = mark
            } else {
                return false
            }
        }
        while pi < p.count, p[pi] == "*" { pi += 1 }
        return pi == p.count
    }
}

/// Kubernetes API objects → report entries, and the problem filters (agent-protocol 2.3, 3.7). Pure.
public enum KubernetesMapper {
    public struct Options: Sendable, Equatable {
        public var namespaces = NamespaceFilter()
        public var includeAllPods = false
        public var includeAllDeployments = false
        public var maxPods = 200
        public init() {}
    }

    // MARK: Nodes

    public static func node(_ object: JSONValue) -> KubernetesReport.Node {
        let metadata = object["metadata"], status = object["status"], info = status?["nodeInfo"]
        var node = KubernetesReport.Node(uid: metadata?["uid"]?.scalarText ?? "", name: metadata?["name"]?.scalarText ?? "")
        node.ready = (status?["conditions"]?.arrayValue ?? []).contains {
            $0["type"]?.scalarText == "Ready" && $0["status"]?.scalarText == "True"
        }
        if object["spec"]?["unschedulable"]?.boolValue == true { node.unschedulable = true }
        node.kubeletVersion = info?["kubeletVersion"]?.scalarText
        node.containerRuntimeVersion = info?["containerRuntimeVersion"]?.scalarText
        node.osImage = info?["osImage"]?.scalarText
        node.kernelVersion = info?["kernelVersion"]?.scalarText
        node.architecture = info?["architecture"]?.scalarText
        node.capacity = resources(status?["capacity"])
        node.allocatable = resources(status?["allocatable"])
        var roles = Set<String>()
        for (key, value) in metadata?["labels"]?.objectValue ?? [:] {
            if key.hasPrefix("node-role.kubernetes.io/") {
                let role = String(key.dropFirst("node-role.kubernetes.io/".count))
                roles.insert(role.isEmpty ? "master" : role)
            } else if key == "kubernetes.io/role", let role = value.scalarText, !role.isEmpty {
                roles.insert(role)
            }
        }
        if !roles.isEmpty { node.roles = roles.sorted() }
        return node
    }

    static func resources(_ value: JSONValue?) -> KubernetesReport.Resources {
        KubernetesReport.Resources(cpuCores: value?["cpu"]?.scalarText.flatMap { quantity($0) }.map { Int64($0 * 1000) / 1000 },
                                   memoryBytes: value?["memory"]?.scalarText.flatMap { quantity($0) }.map { Int64($0) },
                                   pods: value?["pods"]?.scalarText.flatMap { quantity($0) }.map { Int64($0) })
    }

    /// A Kubernetes quantity (`2`, `1500m`, `16Gi`, `128974848`, `129e6`, `123Mi`) as a number.
    public static func quantity(_ text: String) -> Double? {
        let suffixes: [(String, Double)] = [
            ("Ki", 1024), ("Mi", 1_048_576), ("Gi", 1_073_741_824), ("Ti", 1_099_511_627_776),
            ("Pi", 1_125_899_906_842_624), ("Ei", 1_152_921_504_606_846_976), ("n", 1e-9), ("u", 1e-6),
            ("m", 1e-3), ("k", 1e3), ("M", 1e6), ("G", 1e9), ("T", 1e12), ("P", 1e15), ("E", 1e18),
        ]
        let trimmed = text.trimmingWhitespace()
        for (suffix, factor) in suffixes where trimmed.hasSuffix(suffix) {
            guard let number = Double(trimmed.dropLast(suffix.count)), number.isFinite else { return nil }
            return number * factor
        }
        guard let number = Double(trimmed), number.isFinite else { return nil }
        return number
    }

    // MARK: Pods

    /// Pending, Failed or Unknown; an init container that failed, waits, or is neither ready nor running; a
    /// container that waits, terminated, or is not ready.
    public static func isProblem(pod object: JSONValue) -> Bool {
        let status = object["status"]
        if ["Pending", "Failed", "Unknown"].contains(status?["phase"]?.scalarText ?? "") { return true }
        for container in status?["initContainerStatuses"]?.arrayValue ?? [] {
            let state = container["state"]
            if let terminated = state?["terminated"], (terminated["exitCode"]?.int64Value ?? 0) != 0 { return true }
            if state?["waiting"] != nil { return true }
            if container["ready"]?.boolValue != true, state?["running"] == nil, state?["terminated"] == nil { return true }
        }
        for container in status?["containerStatuses"]?.arrayValue ?? [] {
            let state = container["state"]
            if state?["waiting"] != nil || state?["terminated"] != nil { return true }
            if container["ready"]?.boolValue != true { return true }
        }
        return false
    }

    public static func pod(_ object: JSONValue) -> KubernetesReport.Pod {
        let metadata = object["metadata"], status = object["status"], spec = object["spec"]
        var pod = KubernetesReport.Pod(uid: metadata?["uid"]?.scalarText ?? "", name: metadata?["name"]?.scalarText ?? "",
                                       namespace: metadata?["namespace"]?.scalarText ?? "")
        pod.nodeName = nonEmpty(spec?["nodeName"]?.scalarText)
        pod.phase = nonEmpty(status?["phase"]?.scalarText)
        pod.reason = nonEmpty(status?["reason"]?.scalarText)
        pod.message = nonEmpty(status?["message"]?.scalarText)
        pod.qosClass = nonEmpty(status?["qosClass"]?.scalarText)
        pod.createdAt = metadata?["creationTimestamp"]?.scalarText.flatMap(RFC3339.parse)
            ?? Date(timeIntervalSince1970: -62_135_596_800)
        pod.startTime = status?["startTime"]?.scalarText.flatMap(RFC3339.parse)
        if let labels = stringMap(metadata?["labels"]) { pod.labels = labels }
        let owners = metadata?["ownerReferences"]?.arrayValue ?? []
        if let owner = owners.first(where: { $0["controller"]?.boolValue == true }) ?? owners.first {
            pod.ownerKind = owner["kind"]?.scalarText
            pod.ownerName = owner["name"]?.scalarText
        }
        let images = Dictionary((spec?["containers"]?.arrayValue ?? []).compactMap { container -> (String, String)? in
            guard let name = container["name"]?.scalarText, let image = container["image"]?.scalarText else { return nil }
            return (name, image)
        }, uniquingKeysWith: { first, _ in first })
        var restarts = 0
        let containers = (status?["containerStatuses"]?.arrayValue ?? []).map { entry -> KubernetesReport.PodContainer in
            let name = entry["name"]?.scalarText ?? ""
            let count = Int32(clamping: entry["restartCount"]?.int64Value ?? 0)
            restarts += Int(count)
            var container = KubernetesReport.PodContainer(name: name, image: nonEmpty(entry["image"]?.scalarText) ?? images[name],
                                                          ready: entry["ready"]?.boolValue ?? false,
                                                          restartCount: count > 0 ? count : nil)
            let state = entry["state"]
            if state?["running"] != nil {
                container.state = "running"
            } else if let waiting = state?["waiting"] {
                container.state = "waiting"
                container.reason = nonEmpty(waiting["reason"]?.scalarText)
                container.message = nonEmpty(waiting["message"]?.scalarText)
            } else if let terminated = state?["terminated"] {
                container.state = "terminated"
                container.reason = nonEmpty(terminated["reason"]?.scalarText)
                container.message = nonEmpty(terminated["message"]?.scalarText)
            } else {
                container.state = "unknown"
            }
            return container
        }
        if restarts > 0 { pod.restarts = restarts }
        if !containers.isEmpty { pod.containers = containers }
        return pod
    }

    // MARK: Deployments

    /// Desired > 0 and available, ready or updated short of it.
    public static func isProblem(deployment object: JSONValue) -> Bool {
        let desired = object["spec"]?["replicas"]?.int64Value ?? 1
        let status = object["status"]
        guard desired > 0 else { return false }
        return ["availableReplicas", "readyReplicas", "updatedReplicas"].contains {
            (status?[$0]?.int64Value ?? 0) < desired
        }
    }

    public static func deployment(_ object: JSONValue) -> KubernetesReport.Deployment {
        let metadata = object["metadata"], status = object["status"]
        func count(_ value: JSONValue?) -> Int32? {
            let number = Int32(clamping: value?.int64Value ?? 0)
            return number == 0 ? nil : number
        }
        return KubernetesReport.Deployment(
            uid: metadata?["uid"]?.scalarText ?? "", name: metadata?["name"]?.scalarText ?? "",
            namespace: metadata?["namespace"]?.scalarText ?? "",
            desiredReplicas: count(object["spec"]?["replicas"] ?? .number(1)),
            updatedReplicas: count(status?["updatedReplicas"]), readyReplicas: count(status?["readyReplicas"]),
            availableReplicas: count(status?["availableReplicas"]), labels: stringMap(metadata?["labels"]))
    }

    // MARK: Report

    /// Filters, sorts and caps the lists into a report body (without agent and cluster).
    public static func report(nodes: [JSONValue], pods: [JSONValue], deployments: [JSONValue],
                              options: Options) -> (nodes: [KubernetesReport.Node], pods: [KubernetesReport.Pod],
                                                    deployments: [KubernetesReport.Deployment]) {
        func namespace(_ object: JSONValue) -> String { object["metadata"]?["namespace"]?.scalarText ?? "" }
        let mappedNodes = nodes.map(node).sorted { ($0.name ?? "") < ($1.name ?? "") }
        let mappedPods = pods.filter { options.namespaces.allows(namespace($0)) }
            .filter { object in
                guard object["status"]?["phase"]?.scalarText != "Succeeded" else { return false }
                return options.includeAllPods || isProblem(pod: object)
            }
            .map(pod)
            .sorted { ($0.namespace ?? "", $0.name ?? "") < ($1.namespace ?? "", $1.name ?? "") }
        let mappedDeployments = deployments.filter { options.namespaces.allows(namespace($0)) }
            .filter { options.includeAllDeployments || isProblem(deployment: $0) }
            .map(deployment)
            .sorted { ($0.namespace ?? "", $0.name ?? "") < ($1.namespace ?? "", $1.name ?? "") }
        let cap = options.maxPods > 0 ? options.maxPods : 200
        return (mappedNodes, Array(mappedPods.prefix(cap)), mappedDeployments)
    }

    static func stringMap(_ value: JSONValue?) -> [String: String]? {
        guard let object = value?.objectValue, !object.isEmpty else { return nil }
        return object.compactMapValues(\.scalarText)
    }

    private static func nonEmpty(_ text: String?) -> String? {
        guard let text, !text.isEmpty else { return nil }
        return text
    }
}
