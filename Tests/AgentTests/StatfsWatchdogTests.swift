import Foundation
import PulseCommon
import Synchronization
import Testing
@testable import PulseAgent

/// `statvfs` with a time limit per mount: a blocking probe stands in for a hung NFS mount.
struct StatfsWatchdogTests {
    /// A probe that blocks on `/hung` until released, and counts calls per path.
    final class BlockingProbe: Sendable {
        let release = StopSignal()
        let calls = Mutex<[String: Int]>([:])
        static let stats = FilesystemStats(totalBytes: 1000, freeBytes: 400, availableBytes: 300)

        func stat(_ path: String) throws -> FilesystemStats {
            calls.withLock { $0[path, default: 0] += 1 }
            if path.hasSuffix("/hung") { release.wait(for: .seconds(30)) }
            if path.hasSuffix("/gone") { throw SystemCallError(call: "statvfs \(path)", errno: ENOENT) }
            return Self.stats
        }

        func count(_ path: String) -> Int { calls.withLock { $0[path] ?? 0 } }
    }

    @Test func aHungPathTimesOutOnceThenIsSkippedUntilItAnswers() throws {
        let probe = BlockingProbe()
        let watchdog = StatfsWatchdog(timeout: .milliseconds(200))
        let stat: @Sendable (String) throws -> FilesystemStats = { try probe.stat($0) }

        #expect(try watchdog.stats("/ok", using: stat) == BlockingProbe.stats)
        let started = ContinuousClock.now
        #expect(throws: StatfsTimeout(path: "/hung", timeout: .milliseconds(200), isNew: true)) {
            try watchdog.stats("/hung", using: stat)
        }
        let waited = started.duration(to: .now)
        #expect(waited >= .milliseconds(200) && waited < .seconds(2), "waited \(waited)")
        #expect(watchdog.hungPaths == ["/hung"])

        // Later calls: skipped at once, without another statvfs; other paths still measured on a new worker.
        let again = ContinuousClock.now
        #expect(throws: StatfsTimeout(path: "/hung", timeout: .milliseconds(200), isNew: false)) {
            try watchdog.stats("/hung", using: stat)
        }
        #expect(again.duration(to: .now) < .milliseconds(100))
        #expect(probe.count("/hung") == 1)
        #expect(try watchdog.stats("/ok", using: stat) == BlockingProbe.stats)
        #expect(throws: StatfsFailure.self) { try watchdog.stats("/gone", using: stat) }

        // The blocked call returns: the path is measured again.
        probe.release.request()
        let deadline = ContinuousClock.now.advanced(by: .seconds(5))
        while !watchdog.hungPaths.isEmpty && ContinuousClock.now < deadline { Thread.sleep(forTimeInterval: 0.01) }
        #expect(watchdog.hungPaths.isEmpty)
        #expect(try watchdog.stats("/hung", using: stat) == BlockingProbe.stats)
        #expect(probe.count("/hung") == 2)
    }

    @Test func theFilesystemCollectorSkipsAHungMountWithOneWarning() throws {
        let directory = try TestSupport.temporaryDirectory()
        defer { TestSupport.remove(directory) }
        try TestSupport.write("""
            21 0 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw
            22 21 0:50 / /mnt/hung rw,relatime shared:2 - ext4 /dev/sdb1 rw
            23 21 8:3 / /srv rw,relatime shared:3 - ext4 /dev/sdc1 rw

            """, to: directory + "/proc/1/mountinfo")
        let fs = HostFS(procfs: directory + "/proc", sysfs: directory, rootfs: "/rootfs")
        let probe = BlockingProbe()
        defer { probe.release.request() }
        let watchdog = StatfsWatchdog(timeout: .milliseconds(200))
        var system = TestSupport.system()
        system.filesystemStats = { try probe.stat($0) }
        let guarded = watchdog.guarding(system)
        let logs = LogLines()
        let context = CollectContext(fs: fs, system: guarded, now: Date(), logger: TestSupport.logger(logs))

        for _ in 0..<3 {
            var report = HostReport()
            try FilesystemCollector().collect(context, into: &report)
            #expect(report.disks?.map(\.mountpoint) == ["/", "/srv"])
        }
        let warnings = logs.all.filter { $0.contains("\"level\":\"warn\"") }
        #expect(warnings.count == 1, "\(warnings)")
        #expect(warnings.first?.contains("\"mountpoint\":\"/mnt/hung\"") == true)
        #expect(probe.count("/rootfs/mnt/hung") == 1, "statvfs is not called again while it hangs")
        #expect(logs.all.contains { $0.contains("still skipping filesystems") && $0.contains("/mnt/hung") })
    }

    @Test func diskUsageSortsTimeoutsApart() {
        let mounts = [MountInfo(deviceNumber: "8:1", mountpoint: "/", fsType: "ext4", source: "/dev/sda1"),
                      MountInfo(deviceNumber: "8:17", mountpoint: "/a", fsType: "ext4", source: "/dev/sdb1"),
                      MountInfo(deviceNumber: "8:33", mountpoint: "/b", fsType: "ext4", source: "/dev/sdc1")]
        let outcome = DiskUsage.disks(mounts: mounts, exclusions: ExclusionPatterns([])) { mount in
            switch mount.mountpoint {
            case "/a": throw StatfsTimeout(path: "/a", timeout: .seconds(2), isNew: true)
            case "/b": throw StatfsTimeout(path: "/b", timeout: .seconds(2), isNew: false)
            default: return FilesystemStats(totalBytes: 10, freeBytes: 5, availableBytes: 5)
            }
        }
        #expect(outcome.disks.map(\.mountpoint) == ["/"])
        #expect(outcome.timedOut == ["/a"] && outcome.stillHung == ["/b"] && outcome.statFailures.isEmpty)
    }
}
