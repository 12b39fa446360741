import Foundation
import PulseCommon

/// Indices of the patched numbers, in allocation order.
enum SlotIndex {
    static let uptime = 0
    static let load = 1             // 3 slots: 1, 5, 15 minutes
    static let cpu = 4
    static let memoryUsed = 5
    static let memoryFree = 6
    static let memoryUsage = 7
    static let disks = 8            // 3 per mount: used, free, usage
    /// 7 per device: readBytes, writeBytes, readOps, writeOps, readTimeMs, writeTimeMs, ioTimeMs.
    static let diskIO = 32
    static let network = 60         // 2 per interface: rx, tx
    static let temperatures = 68    // 10
    static let count = 78
}

/// The identity and starting values of simulated host `index`, derived from the index alone, so every run (and
/// every client simulating the same host) agrees. Counters are functions of wall time: base + rate × seconds.
struct HostProfile {
    static let mounts: [(mountpoint: String, device: String, type: String, totalBytes: Int64)] = [
        ("/", "/dev/nvme0n1p3", "ext4", 256_060_514_304),
        ("/boot", "/dev/nvme0n1p2", "ext4", 1_020_702_720),
        ("/boot/efi", "/dev/nvme0n1p1", "vfat", 535_805_952),
        ("/data", "/dev/sda1", "xfs", 3_999_688_294_400),
        ("/home", "/dev/nvme0n1p4", "ext4", 499_963_174_912),
        ("/srv", "/dev/sdb1", "xfs", 1_999_844_147_200),
        ("/var", "/dev/nvme0n1p5", "ext4", 107_374_182_400),
        ("/var/lib/docker", "/dev/nvme1n1p1", "ext4", 999_922_073_600),
    ]
    static let blockDevices = ["nvme0n1", "nvme1n1", "sda", "sdb"]
    static let interfaces = ["docker0", "eno1", "eno2", "wg0"]
    static let sensorNames = ["cpu_package"] + (0..<8).map { "cpu_core_\($0)" } + ["nvme0"]

    let hostname: String
    let machineID: String
    let agentID: String
    let cpuCount: Int
    let reportIP: String
    let macs: [String]
    let addresses: [[String]]
    let uptimeBase: Int64
    let memoryTotal: Int64
    let memoryUsedStart: Int64
    /// The walk stays within 25–65 % and within the start value's digit count, so the field keeps its width.
    let memoryUsedRange: ClosedRange<Int64>
    let diskUsedStart: [Int64]
    /// Growth stops at 95 % full, or before the used bytes would need another digit.
    let diskUsedCap: [Int64]
    let diskGrowthPerSecond: [Double]
    let ioStart: [Int64]
    let ioPerSecond: [Double]
    let networkStart: [Int64]
    let networkPerSecond: [Double]
    let temperatureStart: [Int64]     // tenths of °C
    let cpuStart: Int64               // hundredths of a percent
    let loadStart: [Int64]            // hundredths

    init(index: Int, hostnamePrefix: String, digits: Int) {
        var random = SplitMix64(seed: 0x5055_4C53_4500_0000 ^ UInt64(index))
        let number = String(index)
        hostname = hostnamePrefix + String(repeating: "0", count: max(0, digits - number.count)) + number
        let hex = String(random.next(), radix: 16).leftPadded(16) + String(random.next(), radix: 16).leftPadded(16)
        machineID = hex
        let characters = Array(hex)
        agentID = [0..<8, 8..<12, 12..<16, 16..<20, 20..<32].map { String(characters[$0]) }.joined(separator: "-")
        cpuCount = [4, 8, 8, 16, 32][Int(random.int(0...4))]
        let subnet = Int(random.int(0...255))
        let hostPart = Int(random.int(2...254))
        reportIP = "10.20.\(subnet).\(hostPart)"
        var macs: [String] = []
        for interface in Self.interfaces {
            let prefix = interface == "docker0" ? [0x02, 0x42] : [0x3c, 0xec]
            let bytes = prefix + (0..<4).map { _ in Int(random.int(0...255)) }
            macs.append(bytes.map { String($0, radix: 16).leftPadded(2) }.joined(separator: ":"))
        }
        self.macs = macs
        let linkLocal = "fe80::" + String(random.int(0...0xffff), radix: 16) + ":"
            + String(random.int(0...0xffff), radix: 16)
        addresses = [
            ["172.17.0.1/16"],
            ["10.20.\(subnet).\(hostPart)/24", linkLocal + "/64"],
            ["192.168.\(random.int(0...255)).\(random.int(2...254))/24"],
            ["10.200.\(random.int(0...255)).\(random.int(2...254))/32"],
        ]
        uptimeBase = random.int(10_000_000...39_999_999)
        memoryTotal = [17_179_869_184, 34_359_738_368, 68_719_476_736][Int(random.int(0...2))]
        memoryUsedStart = memoryTotal / 10_000 * random.int(3_000...6_000)
        memoryUsedRange = max(memoryTotal / 4, Self.smallest(digits: memoryUsedStart))
            ... min(memoryTotal / 100 * 65, Self.largest(digits: memoryUsedStart))
        let diskUsedStart = Self.mounts.map { $0.totalBytes / 10_000 * random.int(2_000...8_000) }
        self.diskUsedStart = diskUsedStart
        diskUsedCap = zip(Self.mounts, diskUsedStart).map { min($0.totalBytes / 100 * 95, Self.largest(digits: $1)) }
        diskGrowthPerSecond = Self.mounts.map { _ in Double(random.int(0...200_000)) }
        var ioStart: [Int64] = []
        var ioPerSecond: [Double] = []
        for _ in Self.blockDevices {
            ioStart += [random.int(1_000_000_000_000...4_000_000_000_000),
                        random.int(1_000_000_000_000...4_000_000_000_000),
                        random.int(100_000_000...499_999_999), random.int(100_000_000...499_999_999),
                        random.int(10_000_000...49_999_999), random.int(10_000_000...49_999_999),
                        random.int(10_000_000...49_999_999)]
            ioPerSecond += [Double(random.int(100_000...20_000_000)), Double(random.int(100_000...20_000_000)),
                            Double(random.int(10...800)), Double(random.int(10...800)),
                            Double(random.int(1...60)), Double(random.int(1...60)), Double(random.int(5...300))]
        }
        self.ioStart = ioStart
        self.ioPerSecond = ioPerSecond
        networkStart = Self.interfaces.flatMap { _ in
            [random.int(1_000_000_000_000...4_000_000_000_000), random.int(1_000_000_000_000...4_000_000_000_000)]
        }
        networkPerSecond = Self.interfaces.flatMap { _ in
            [Double(random.int(10_000...12_000_000)), Double(random.int(10_000...12_000_000))]
        }
        temperatureStart = Self.sensorNames.map { _ in random.int(350...650) }
        cpuStart = random.int(200...6000)
        loadStart = (0..<3).map { _ in random.int(5...400) }
    }

    /// The report with sentinels in every changing field, allocated in `SlotIndex` order.
    func makeTemplateReport(into allocator: inout SlotAllocator) -> HostReport {
        let uptime = allocator.integer(width: String(uptimeBase).count)
        let load = (0..<3).map { _ in allocator.decimal(width: 4, decimals: 2) }
        let cpu = allocator.decimal(width: 5, decimals: 2)
        let memoryUsed = allocator.integer(width: String(memoryUsedStart).count)
        let memoryFree = allocator.integer(width: String(memoryTotal - memoryUsedStart).count)
        let memoryUsage = allocator.decimal(width: 5, decimals: 2)
        var disks: [HostReport.Disk] = []
        for (position, mount) in Self.mounts.enumerated() {
            let used = allocator.integer(width: String(diskUsedStart[position]).count)
            let free = allocator.integer(width: String(mount.totalBytes - diskUsedStart[position]).count)
            let usage = allocator.decimal(width: 5, decimals: 2)
            disks.append(HostReport.Disk(device: mount.device, mountpoint: mount.mountpoint, filesystem: mount.type,
                                         type: mount.type, totalBytes: mount.totalBytes, usedBytes: used,
                                         freeBytes: free, usage: usage))
        }
        var diskIO: [HostReport.DiskIO] = []
        for (device, name) in Self.blockDevices.enumerated() {
            let widths = ioStart[(device * 7)..<(device * 7 + 7)].map { String($0).count }
            let values = widths.map { allocator.integer(width: $0) }.map { UInt64($0) }
            diskIO.append(HostReport.DiskIO(device: name, readBytes: values[0], writeBytes: values[1],
                                            readOps: values[2], writeOps: values[3], readTimeMs: values[4],
                                            writeTimeMs: values[5], ioTimeMs: values[6]))
        }
        var network: [HostReport.NetworkInterface] = []
        for (position, name) in Self.interfaces.enumerated() {
            let received = allocator.integer(width: String(networkStart[position * 2]).count)
            let sent = allocator.integer(width: String(networkStart[position * 2 + 1]).count)
            network.append(HostReport.NetworkInterface(name: name, mac: macs[position], addresses: addresses[position],
                                                       rxBytes: UInt64(received), txBytes: UInt64(sent)))
        }
        var temperatures: [String: Double] = [:]
        for name in Self.sensorNames { temperatures[name] = allocator.decimal(width: 4, decimals: 1) }

        return HostReport(
            agent: HostReport.Agent(id: agentID, version: "v5.0.12", type: "unified", intervalSeconds: 30,
                                    hostname: hostname),
            host: HostReport.Host(id: machineID, hostname: hostname, displayName: hostname, machineId: machineID,
                                  platform: "debian", osName: "debian", osVersion: "12.8",
                                  kernelVersion: "6.1.0-28-amd64", architecture: "x86_64", cpuCount: cpuCount,
                                  uptimeSeconds: uptime, loadAverage: load, reportIp: reportIP),
            metrics: HostReport.Metrics(
                cpuUsagePercent: cpu,
                memory: HostReport.Memory(totalBytes: memoryTotal, usedBytes: memoryUsed, freeBytes: memoryFree,
                                          usage: memoryUsage, swapTotalBytes: 4_294_963_200,
                                          swapUsedBytes: 12_845_056)),
            disks: disks, diskIO: diskIO, network: network,
            sensors: HostReport.Sensors(temperatureCelsius: temperatures),
            tags: ["bench"],
            timestamp: ReportTemplate.timestampSentinel)
    }
}

extension HostProfile {
    /// The largest number with as many digits as `value`.
    fileprivate static func largest(digits value: Int64) -> Int64 {
        var limit: Int64 = 1
        while limit <= value { limit *= 10 }
        return limit - 1
    }

    /// The smallest number with as many digits as `value`.
    fileprivate static func smallest(digits value: Int64) -> Int64 { (largest(digits: value) + 1) / 10 }
}

extension String {
    fileprivate func leftPadded(_ width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
