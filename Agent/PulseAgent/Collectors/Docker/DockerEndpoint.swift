#if canImport(Glibc)
import Glibc
#endif
import PulseCommon

/// Which container engine the agent looks for (`--docker-runtime`).
public enum DockerRuntimePreference: String, Sendable, Equatable, CaseIterable {
    case auto, docker, podman

    /// `auto`, `default` or empty → auto; `docker`; `podman`; anything else is `nil` (a configuration error).
    public init?(flag: String) {
        switch flag.trimmingWhitespace().lowercased() {
        case "", "auto", "default": self = .auto
        case "docker": self = .docker
        case "podman": self = .podman
        default: return nil
        }
    }
}

/// Where a container engine listens and how to reach it.
public struct DockerEndpoint: Sendable, Equatable, CustomStringConvertible {
    public enum Transport: Sendable, Equatable {
        /// HTTP over a unix socket.
        case unix(path: String)
        /// HTTP or HTTPS over TCP (`tcp://host:port`); TLS files from `DOCKER_CERT_PATH`.
        case tcp(host: String, port: Int, tls: TLS?)
    }

    /// `DOCKER_CERT_PATH` files; `verify` is `DOCKER_TLS_VERIFY`.
    public struct TLS: Sendable, Equatable {
        public var caFile: String?
        public var certificateFile: String?
        public var keyFile: String?
        public var verify: Bool
    }

    public var transport: Transport
    /// Where the candidate came from (`DOCKER_HOST`, `podman socket`, …), for logs.
    public var source: String

    public init(transport: Transport, source: String) {
        self.transport = transport
        self.source = source
    }

    public var description: String {
        switch transport {
        case .unix(let path): return "unix://\(path)"
        case .tcp(let host, let port, let tls): return "\(tls == nil ? "tcp" : "tcp+tls")://\(host):\(port)"
        }
    }

    /// Whether the address itself names podman (`podman` or `libpod` in it).
    public var namesPodman: Bool {
        let text = description.lowercased()
        return text.contains("podman") || text.contains("libpod")
    }

    /// The base URL requests go to (the host part is ignored for unix sockets).
    public var baseURL: String {
        switch transport {
        case .unix: return "http://localhost"
        case .tcp(let host, let port, let tls):
            let bracketed = host.contains(":") ? "[\(host)]" : host
            return "\(tls == nil ? "http" : "https")://\(bracketed):\(port)"
        }
    }

    /// Parses `unix:///path`, a bare `/path`, `tcp://host:port` (or `http(s)://`); `nil` for other schemes (ssh,
    /// npipe) and malformed text.
    public static func parse(_ text: String, source: String, environment: [String: String] = [:]) -> DockerEndpoint? {
        let value = text.trimmingWhitespace()
        if value.hasPrefix("/") { return DockerEndpoint(transport: .unix(path: value), source: source) }
        if value.hasPrefix("unix://") {
            let path = String(value.dropFirst("unix://".count))
            guard path.hasPrefix("/") else { return nil }
            return DockerEndpoint(transport: .unix(path: path), source: source)
        }
        let schemes = ["tcp://": false, "http://": false, "https://": true]
        guard let (scheme, https) = schemes.first(where: { value.lowercased().hasPrefix($0.key) }) else { return nil }
        var rest = value.dropFirst(scheme.count)
        if let slash = rest.firstIndex(of: "/") { rest = rest[..<slash] }
        var host = String(rest)
        var port = 2375
        if host.hasPrefix("["), let close = host.firstIndex(of: "]") {
            let after = host[host.index(after: close)...]
            if after.hasPrefix(":") { port = Int(after.dropFirst()) ?? -1 }
            host = String(host[host.index(after: host.startIndex)..<close])
        } else if let colon = host.lastIndex(of: ":") {
            port = Int(host[host.index(after: colon)...]) ?? -1
            host = String(host[..<colon])
        }
        guard !host.isEmpty, (1...65_535).contains(port) else { return nil }
        let certPath = environment["DOCKER_CERT_PATH"].flatMap { $0.isEmpty ? nil : $0 }
        let verify = EnvValue.bool(environment["DOCKER_TLS_VERIFY"]) ?? false
        var tls: TLS?
        if https || certPath != nil || verify {
            let directory = certPath ?? ((environment["HOME"] ?? "/root") + "/.docker")
            tls = TLS(caFile: directory + "/ca.pem", certificateFile: directory + "/cert.pem",
                      keyFile: directory + "/key.pem", verify: verify)
            if !https, port == 2375, !value.contains(":\(port)") { port = 2376 }
        }
        return DockerEndpoint(transport: .tcp(host: host, port: port, tls: tls), source: source)
    }

    /// The candidates in the order they are tried (agent-protocol 3.6): `DOCKER_HOST`, `CONTAINER_HOST`,
    /// `PODMAN_HOST`, the podman sockets (rootless, then system), `/var/run/docker.sock`. `podman` puts the podman
    /// ones first; `docker` leaves them out. Duplicates are dropped; unparseable variables are reported.
    public static func candidates(preference: DockerRuntimePreference, environment: [String: String],
                                  uid: UInt32) -> (endpoints: [DockerEndpoint], problems: [String]) {
        var problems: [String] = []
        func fromEnvironment(_ name: String) -> [DockerEndpoint] {
            guard let value = environment[name]?.trimmingWhitespace(), !value.isEmpty else { return [] }
            guard let endpoint = parse(value, source: name, environment: environment) else {
                problems.append("\(name)=\(value) is not a unix:// or tcp:// address; ignored")
                return []
            }
            return [endpoint]
        }
        let general = fromEnvironment("DOCKER_HOST") + fromEnvironment("CONTAINER_HOST")
        let podmanSockets = ["/run/user/\(uid)/podman/podman.sock", "/run/podman/podman.sock",
                             "/var/run/podman/podman.sock"].map {
            DockerEndpoint(transport: .unix(path: $0), source: "podman socket")
        }
        let podman = fromEnvironment("PODMAN_HOST") + podmanSockets
        let docker = [DockerEndpoint(transport: .unix(path: "/var/run/docker.sock"), source: "docker socket")]
        let ordered: [DockerEndpoint]
        switch preference {
        case .auto: ordered = general + podman + docker
        case .podman: ordered = podman + general + docker
        case .docker: ordered = general + docker
        }
        var seen = Set<String>()
        return (ordered.filter { seen.insert($0.description).inserted }, problems)
    }

    /// Why a unix socket cannot be used, or `nil` when a connection succeeds. `ENOENT` means "not there".
    public static func probeUnixSocket(_ path: String) -> Int32? {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return errno }
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else { return ENAMETOOLONG }
        withUnsafeMutableBytes(of: &address.sun_path) { buffer in
            for (index, byte) in bytes.enumerated() { buffer[index] = byte }
            buffer[bytes.count] = 0
        }
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        return result == 0 ? nil : errno
    }

    /// The message for a socket the agent may not open, saying how to fix it.
    public static func permissionHint(path: String, uid: UInt32) -> String {
        "permission denied on \(path): the agent (uid \(uid)) may not use the engine's socket. Run it as root, or "
            + "add its user to the socket's group (for Docker: usermod -aG docker <user>, then restart the agent), "
            + "or for rootless Podman set PODMAN_HOST=unix:///run/user/\(uid)/podman/podman.sock and enable "
            + "podman.socket for that user (systemctl --user enable --now podman.socket)"
    }
}
