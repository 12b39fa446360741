#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif
import PulseAgent
import PulseCommon

/// `--docker N`: the docker module's cost with N podman containers (`podman system service` on a temp socket,
/// a busybox image imported from Debian's static busybox, containers running `sleep` with network mode none),
/// in process (CPU per collection from `getrusage`, report size) and as the real `pulse-agent` reporting every
/// second to a loopback sink (CPU per report and RSS from `/proc/<pid>`). Everything it starts is removed.
extension Entry {
    struct Podman {
        let root: String
        let socket: String
        let image: String
        let prefix: String
        let configuration: String
        var servicePID: pid_t = 0

        var environment: [String: String] {
            ["CONTAINERS_CONF": configuration, "PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "HOME": "/root"]
        }

        /// Runs the podman CLI (output to a file: conmon inherits descriptors); its exit status.
        @discardableResult
        func cli(_ arguments: [String]) -> Int32 {
            guard let pid = ProcessProbe.spawn("/usr/bin/podman", arguments, environment: environment) else { return -1 }
            var status: Int32 = 0
            while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
            return (status & 0x7f) == 0 ? (status >> 8) & 0xff : -1
        }
    }

    static func dockerRows(_ options: Options) -> [Row] {
        let name = "docker collection, \(options.docker) podman containers"
        guard access("/usr/bin/podman", X_OK) == 0, access("/bin/busybox", X_OK) == 0 else {
            return [Row(what: name, samples: 0, note: "needs podman, runc and busybox-static (scripts/setup-deps.sh test)")]
        }
        var template = Array("/tmp/pulse-docker-bench-XXXXXX".utf8CString)
        guard let root = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }).map({ String(cString: $0) }) else {
            return [Row(what: name, samples: 0, note: "mkdtemp failed")]
        }
        let tag = String(getpid())
        var podman = Podman(root: root, socket: root + "/podman.sock", image: "localhost/pulse-bench-busybox:\(tag)",
                            prefix: "pulse-bench-\(tag)-", configuration: options.podmanConfiguration)
        defer {
            for index in 0..<options.docker { podman.cli(["rm", "-f", "-t", "0", podman.prefix + String(index)]) }
            podman.cli(["rmi", "-f", podman.image])
            if podman.servicePID > 0 { ProcessProbe.stop(podman.servicePID) }
            _ = system("rm -rf '\(root)'")
        }
        // The image: busybox and a few links.
        _ = system("mkdir -p '\(root)/rootfs/bin' && cp /bin/busybox '\(root)/rootfs/bin/' && "
                   + "ln -s busybox '\(root)/rootfs/bin/sh' && ln -s busybox '\(root)/rootfs/bin/sleep' && "
                   + "tar -C '\(root)/rootfs' -cf '\(root)/rootfs.tar' .")
        guard podman.cli(["import", root + "/rootfs.tar", podman.image]) == 0 else {
            return [Row(what: name, samples: 0, note: "podman import failed (CONTAINERS_CONF \(podman.configuration))")]
        }
        for index in 0..<options.docker {
            podman.cli(["run", "-d", "--name", podman.prefix + String(index), "--network", "none", "--label",
                        "bench=\(index)", "-e", "API_TOKEN=secret", podman.image, "sleep", "3600"])
        }
        guard let service = ProcessProbe.spawn("/usr/bin/podman", ["system", "service", "--time=0", "unix://" + podman.socket],
                                               environment: podman.environment) else {
            return [Row(what: name, samples: 0, note: "cannot start podman system service")]
        }
        podman.servicePID = service
        let endpoint = DockerEndpoint(transport: .unix(path: podman.socket), source: "bench")
        let client = EngineClient(endpoint: endpoint, timeout: .seconds(10))
        var ready = false
        for _ in 0..<200 where !ready {
            ready = (try? client.ping()) != nil
            if !ready { sleep(.milliseconds(100)) }
        }
        guard ready else { return [Row(what: name, samples: 0, note: "podman service did not answer")] }

        // 1. In process.
        let logger = Logger(level: .error, format: .text, component: "bench")
        let collector = DockerCollector(client: client, podman: true, options: .init(), logger: logger)
        var samples: [Double] = []
        var walls: [Double] = []
        var last: DockerCollector.Snapshot?
        for cycle in 0..<(options.dockerCycles + 2) {
            let before = ProcessProbe.selfCPUSeconds()
            let started = ContinuousClock.now
            last = try? collector.collect(now: Date())
            let wall = started.duration(to: .now)
            if cycle >= 2 {  // the first cycles warm the connection and the CPU baselines
                samples.append((ProcessProbe.selfCPUSeconds() - before) * 1000)
                walls.append(Double(wall.milliseconds))
            }
            sleep(options.pause)
        }
        let reported = last?.containers.filter { $0.name?.hasPrefix(podman.prefix) == true }.count ?? 0
        let size = last.map { (try? WireJSON.encoder().encode(DockerReport(containers: $0.containers)).count) ?? 0 } ?? 0
        let memory = ProcessProbe.memory(pid: nil)
        var rows = [Row(what: name + " (in process)", samples: samples.count, cpuMeanMs: mean(samples),
                        cpuP95Ms: percentile(samples, 0.95), rssMB: memory.map { Double($0.rss) / 1_048_576 },
                        payloadBytes: size,
                        note: "\(reported) containers reported; wall per collection mean \(format(mean(walls) ?? 0)) ms, "
                            + "p95 \(format(percentile(walls, 0.95) ?? 0)) ms (list, then inspect + stats, 8 at once)")]

        // 2. The agent process, docker module only.
        let neighbour = CommandLine.arguments[0].split(separator: "/").dropLast().joined(separator: "/")
        let prefix = CommandLine.arguments[0].hasPrefix("/") ? "/" : ""
        guard let binary = options.agent ?? ProcessProbe.executable([prefix + neighbour + "/pulse-agent"]),
              let sink = ReportSink() else {
            rows.append(Row(what: "pulse-agent process, docker module", samples: 0, note: "binary or sink missing"))
            return rows
        }
        defer { sink.stop() }
        guard let pid = ProcessProbe.spawn(binary, ["--url", "http://127.0.0.1:\(sink.port)", "--interval", "1s",
                                                    "--enable-host=false", "--enable-docker", "--health-addr=",
                                                    "--spool-dir", root + "/spool", "--remote-config-interval", "0",
                                                    "--log-level", "error"],
                                           environment: ["PULSE_TOKEN": "bench", "PATH": "/usr/bin:/bin",
                                                         "DOCKER_HOST": "unix://" + podman.socket]) else {
            rows.append(Row(what: "pulse-agent process, docker module", samples: 0, note: "cannot start \(binary)"))
            return rows
        }
        defer { ProcessProbe.stop(pid) }
        sleep(.seconds(4))
        let cpuBefore = ProcessProbe.cpuSeconds(pid: pid) ?? 0
        let reportsBefore = sink.count
        sleep(.seconds(options.seconds))
        let cpu = (ProcessProbe.cpuSeconds(pid: pid) ?? 0) - cpuBefore
        let reports = sink.count - reportsBefore
        let agentMemory = ProcessProbe.memory(pid: pid)
        rows.append(Row(what: "pulse-agent process, docker module (collect + POST, 1 s interval)", samples: reports,
                        cpuMeanMs: reports > 0 ? cpu * 1000 / Double(reports) : nil, cpuP95Ms: nil,
                        rssMB: agentMemory.map { Double($0.rss) / 1_048_576 }, payloadBytes: nil,
                        note: "\(options.seconds) s window, /proc ticks of 10 ms; peak RSS "
                            + "\(agentMemory.map { format(Double($0.peak) / 1_048_576) } ?? "?") MB; includes the host "
                            + "figures the docker report carries"))
        return rows
    }
}
