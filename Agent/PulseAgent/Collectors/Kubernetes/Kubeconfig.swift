#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import PulseCommon

/// Why the Kubernetes module cannot work.
public struct KubernetesError: Error, CustomStringConvertible, Sendable, Equatable {
    public var status: Int?
    public var message: String
    public init(status: Int? = nil, _ message: String) {
        self.status = status
        self.message = message
    }
    public var description: String { message }
}

/// Where the API server is and how to authenticate to it.
public struct KubernetesTarget: Sendable, Equatable {
    public var server: String
    public var context: String
    public var clusterName: String?
    public var namespace: String?
    public var inCluster = false
    public var insecureSkipVerify = false
    public var caFile: String?
    public var caPEM: [UInt8]?
    public var token: String?
    public var clientCertificateFile: String?
    public var clientCertificatePEM: [UInt8]?
    public var clientKeyFile: String?
    public var clientKeyPEM: [UInt8]?

    public init(server: String, context: String) {
        self.server = server
        self.context = context
    }

    /// The cluster id (agent-protocol 1.2): SHA-256 hex of `server|context|name` with name = context, as the
    /// reference computes it. In a pod every cluster with the default service network would get the same id
    /// (`https://10.96.0.1:443|in-cluster|in-cluster`), so in-cluster the SHA-256 of the cluster's CA certificate
    /// (unique per cluster) is appended: `server|in-cluster|in-cluster|<sha256 of ca.crt>`.
    public var clusterID: String {
        var text = "\(server)|\(context)|\(context)"
        if inCluster, let ca = caPEM, !ca.isEmpty { text += "|" + Crypto.sha256(ca).hexString }
        return Crypto.sha256(Array(text.utf8)).hexString
    }
}

/// kubeconfig files (YAML through libyaml, or JSON) and the in-cluster service account (agent-protocol 3.7).
public enum Kubeconfig {
    /// A kubeconfig document as a JSON value, whichever syntax it is written in.
    public static func parse(_ bytes: [UInt8]) throws(KubernetesError) -> JSONValue {
        let first = bytes.first { ![UInt8(ascii: " "), UInt8(ascii: "\n"), UInt8(ascii: "\r"), UInt8(ascii: "\t")].contains($0) }
        if first == UInt8(ascii: "{") {
            do {
                return try JSONDecoder().decode(JSONValue.self, from: Data(bytes))
            } catch {
                throw KubernetesError("kubeconfig is not valid JSON")
            }
        }
        do {
            return try YAMLParser.parse(bytes)
        } catch {
            throw KubernetesError("kubeconfig is not valid YAML: \(error.description)")
        }
    }

    /// The server, trust and credentials of `context` (else `current-context`). Relative file paths are relative
    /// to `directory`, the kubeconfig's folder. `readFile` reads token files.
    public static func target(from config: JSONValue, context wanted: String?, directory: String,
                              readFile: ((String) -> [UInt8]?)? = nil) throws(KubernetesError) -> KubernetesTarget {
        let readFile = readFile ?? { try? HostFS.readBytes($0, limit: 1 << 20) }
        guard config.objectValue != nil else { throw KubernetesError("kubeconfig is not a mapping") }
        func named(_ list: String, _ name: String, _ member: String) -> JSONValue? {
            config[list]?.arrayValue?.first { $0["name"]?.scalarText == name }?[member]
        }
        let contextName = wanted ?? config["current-context"]?.scalarText ?? ""
        guard !contextName.isEmpty else {
            throw KubernetesError("kubeconfig has no current-context; pass --kube-context")
        }
        guard let context = named("contexts", contextName, "context") else {
            let known = (config["contexts"]?.arrayValue ?? []).compactMap { $0["name"]?.scalarText }
            throw KubernetesError("context \"\(contextName)\" is not in the kubeconfig (contexts: "
                                  + (known.isEmpty ? "none" : known.joined(separator: ", ")) + ")")
        }
        let clusterName = context["cluster"]?.scalarText ?? ""
        guard let cluster = named("clusters", clusterName, "cluster") else {
            throw KubernetesError("cluster \"\(clusterName)\" of context \"\(contextName)\" is not in the kubeconfig")
        }
        guard let server = cluster["server"]?.scalarText, !server.isEmpty else {
            throw KubernetesError("cluster \"\(clusterName)\" has no server")
        }
        var target = KubernetesTarget(server: trimmed(server), context: contextName)
        target.clusterName = clusterName
        target.namespace = context["namespace"]?.scalarText
        target.insecureSkipVerify = cluster["insecure-skip-tls-verify"]?.boolValue
            ?? (cluster["insecure-skip-tls-verify"]?.scalarText == "true")
        target.caPEM = try base64(cluster["certificate-authority-data"], "certificate-authority-data")
        target.caFile = path(cluster["certificate-authority"], directory)

        let userName = context["user"]?.scalarText ?? ""
        let user = named("users", userName, "user") ?? .object([:])
        target.clientCertificatePEM = try base64(user["client-certificate-data"], "client-certificate-data")
        target.clientCertificateFile = path(user["client-certificate"], directory)
        target.clientKeyPEM = try base64(user["client-key-data"], "client-key-data")
        target.clientKeyFile = path(user["client-key"], directory)
        if let token = user["token"]?.scalarText, !token.isEmpty {
            target.token = token
        } else if let file = path(user["tokenFile"], directory) {
            guard let bytes = readFile(file) else { throw KubernetesError("cannot read tokenFile \(file)") }
            target.token = trimmed(String(decoding: bytes, as: UTF8.self))
        }
        let hasCertificate = target.clientCertificatePEM != nil || target.clientCertificateFile != nil
        if target.token == nil, !hasCertificate {
            if user["exec"] != nil || user["auth-provider"] != nil {
                let command = user["exec"]?["command"]?.scalarText ?? "an auth provider"
                throw KubernetesError("user \"\(userName)\" authenticates through \(command) (exec or auth-provider "
                                      + "plugins are not run by the agent): give it a service-account token "
                                      + "(token: …) or a client certificate")
            }
            if let username = user["username"]?.scalarText, !username.isEmpty {
                throw KubernetesError("user \"\(userName)\" uses basic auth, which the agent does not support")
            }
        }
        return target
    }

    /// The pod's service account: `KUBERNETES_SERVICE_HOST`/`PORT` and the token and CA under
    /// `/var/run/secrets/kubernetes.io/serviceaccount` (read through `fs`).
    public static func inCluster(environment: [String: String], fs: HostFS) -> KubernetesTarget? {
        guard let host = environment["KUBERNETES_SERVICE_HOST"], !host.isEmpty else { return nil }
        let port = environment["KUBERNETES_SERVICE_PORT"].flatMap { $0.isEmpty ? nil : $0 } ?? "443"
        let directory = fs.rootPath("var/run/secrets/kubernetes.io/serviceaccount")
        guard let token = try? fs.read(directory + "/token", limit: 1 << 20) else { return nil }
        let bracketed = host.contains(":") ? "[\(host)]" : host
        var target = KubernetesTarget(server: "https://\(bracketed):\(port)", context: "in-cluster")
        target.inCluster = true
        target.clusterName = "in-cluster"
        target.token = trimmed(token)
        target.caPEM = try? HostFS.readBytes(directory + "/ca.crt", limit: 1 << 20)
        target.namespace = (try? fs.read(directory + "/namespace", limit: 4096)).map(trimmed)
        return target
    }

    private static func base64(_ value: JSONValue?, _ field: String) throws(KubernetesError) -> [UInt8]? {
        guard let text = value?.scalarText, !text.isEmpty else { return nil }
        let compact = text.filter { !$0.isWhitespace }
        guard let data = Data(base64Encoded: compact) else { throw KubernetesError("\(field) is not valid base64") }
        return Array(data)
    }

    private static func path(_ value: JSONValue?, _ directory: String) -> String? {
        guard let text = value?.scalarText, !text.isEmpty else { return nil }
        return text.hasPrefix("/") ? text : directory + "/" + text
    }

    private static func trimmed(_ text: String) -> String { text.trimmingWhitespace() }
}
