import PulseCommon
import Testing
@testable import PulseAgent

/// The host filesystem roots and the readers' fallbacks.
struct HostFSTests {
    @Test func pathsJoinUnderTheirRoots() {
        let fs = HostFS(procfs: "/host/proc/", sysfs: "/host/sys", rootfs: "/host/")
        #expect(fs.etc == "/host/etc")
        #expect(fs.procPath("1", "mountinfo") == "/host/proc/1/mountinfo")
        #expect(fs.sysPath("class", "net", "eth0", "speed") == "/host/sys/class/net/eth0/speed")
        #expect(fs.rootPath("/boot") == "/host/boot")
        #expect(fs.rootPath("/") == "/host")
        #expect(HostFS().rootPath("/boot/efi") == "/boot/efi")
        #expect(HostFS().rootPath("/") == "/")
        #expect(HostFS().etcPath("os-release") == "/etc/os-release")
        #expect(HostFS(procfs: "/proc/", sysfs: "/sys", rootfs: "/").isHostRoot)
        #expect(!fs.isHostRoot)
    }

    @Test func readsAreBoundedAndErrorsSayWhy() throws {
        let directory = try TestSupport.temporaryDirectory()
        defer { TestSupport.remove(directory) }
        try TestSupport.write(String(repeating: "x", count: 100_000), to: directory + "/big")
        let fs = HostFS(procfs: directory, sysfs: directory, rootfs: directory)
        #expect(try fs.read(directory + "/big").count == 100_000)
        #expect(try fs.read(directory + "/big", limit: 10) == "xxxxxxxxxx")
        do {
            _ = try fs.read(directory + "/missing")
            Issue.record("expected a failure")
        } catch {
            #expect(error.isNotFound)
            #expect(error.description.hasPrefix("open \(directory)/missing: "))
        }
        try TestSupport.write("a", to: directory + "/sub/b")
        #expect(try fs.list(directory) == ["big", "sub"])
        #expect(throws: HostFSError.self) { try fs.list(directory + "/nope") }
        #expect(fs.exists(directory + "/sub/b") && !fs.exists(directory + "/sub/c"))
    }

    @Test func mountinfoFallsBackToSelf() throws {
        let directory = try TestSupport.temporaryDirectory()
        defer { TestSupport.remove(directory) }
        try TestSupport.write("21 0 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n",
                              to: directory + "/proc/self/mountinfo")
        let fs = HostFS(procfs: directory + "/proc", sysfs: directory, rootfs: directory + "/root")
        let stats = FilesystemStats(totalBytes: 1000, freeBytes: 250, availableBytes: 200)
        let context = TestSupport.context(fs: fs, system: TestSupport.system(stats: [directory + "/root": stats]))
        var report = HostReport()
        try FilesystemCollector().collect(context, into: &report)
        #expect(report.disks == [HostReport.Disk(device: "/dev/sda1", mountpoint: "/", filesystem: "ext4",
                                                 type: "ext4", totalBytes: 1000, usedBytes: 750, freeBytes: 200,
                                                 usage: 750.0 / 950.0 * 100)])
        #expect(throws: HostFSError.self) {
            try FilesystemCollector().collect(TestSupport.context(fs: HostFS(procfs: directory)), into: &report)
        }
    }

    @Test func osReleaseFallsBackToUsrLib() throws {
        let directory = try TestSupport.temporaryDirectory()
        defer { TestSupport.remove(directory) }
        try TestSupport.write("ID=alpine\nNAME=\"Alpine Linux\"\nVERSION_ID=3.19.1\n",
                              to: directory + "/usr/lib/os-release")
        let context = TestSupport.context(fs: HostFS(procfs: directory, sysfs: directory, rootfs: directory))
        var report = HostReport()
        try OSReleaseCollector().collect(context, into: &report)
        #expect(report.host?.platform == "alpine" && report.host?.osName == "Alpine Linux")
        #expect(report.host?.osVersion == "3.19.1")
    }

    @Test func kernelFallsBackToUname() throws {
        let directory = try TestSupport.temporaryDirectory()
        defer { TestSupport.remove(directory) }
        let context = TestSupport.context(fs: HostFS(procfs: directory, sysfs: directory, rootfs: directory))
        var report = HostReport()
        try KernelCollector().collect(context, into: &report)
        #expect(report.host?.kernelVersion == "9.9.9-uname" && report.host?.architecture == "x86_64")
    }

    @Test func diskIORespectsExclusions() throws {
        var report = HostReport()
        try DiskIOCollector(exclusions: ExclusionPatterns(["sd*", "/dev/vda"]))
            .collect(TestSupport.context(), into: &report)
        #expect(report.diskIO?.map(\.device) == ["fd0", "mmcblk0", "nvme0n1", "sr0"])
    }

    @Test func liveProbesAnswerOnThisMachine() throws {
        let system = SystemProbes.live(for: HostFS())
        #expect(system.uname()?.machine.isEmpty == false)
        #expect(try system.filesystemStats("/").totalBytes > 0)
        #expect(throws: (any Error).self) { try system.filesystemStats("/nonexistent/pulse-agent-test") }
        let addresses = try #require(try system.interfaceAddresses?())
        #expect(addresses.values.joined().allSatisfy { $0.contains("/") }, "CIDR form")
        #expect(SystemProbes.live(for: HostFS(procfs: "/host/proc")).interfaceAddresses == nil)
    }
}
