import Foundation
import PulseCommon
import Testing
@testable import PulseAgent

@Suite struct ZpoolTests {
    @Test func parsesExactBytesAndSkipsJunk() {
        let pools = ZpoolList.parse("tank\t4000787030016\t1000000000000\t3000787030016\nbad line\nrpool\tx\t1\t2\n\n")
        #expect(pools.count == 1)
        #expect(pools["tank"] == ZpoolList.Pool(size: 4_000_787_030_016, allocated: 1_000_000_000_000, free: 3_000_787_030_016))
        #expect(ZpoolList.parse("").isEmpty)
    }

    @Test func mirrorOrStripeUsesPoolFigures() {
        let disk = HostReport.Disk(device: "tank", mountpoint: "/tank", filesystem: "zfs", type: "zfs",
                                   totalBytes: 4_000_000_000_000, usedBytes: 900_000_000_000, freeBytes: 3_100_000_000_000, usage: 22.5)
        let refined = ZpoolList.refine(disk, with: .init(size: 4_000_000_000_000, allocated: 1_000_000_000_000, free: 3_000_000_000_000))
        #expect(refined.usedBytes == 1_000_000_000_000 && refined.totalBytes == 4_000_000_000_000)
        #expect(refined.usage == 25)
    }

    @Test func raidzKeepsUsableFiguresConsistent() {
        // RAIDZ: datasets see less than the raw pool size; never mix raw ALLOC with usable total.
        let disk = HostReport.Disk(device: "tank", mountpoint: "/tank", filesystem: "zfs", type: "zfs",
                                   totalBytes: 2_600_000_000_000, usedBytes: 600_000_000_000, freeBytes: 2_000_000_000_000, usage: 23.1)
        let refined = ZpoolList.refine(disk, with: .init(size: 4_000_000_000_000, allocated: 1_000_000_000_000, free: 3_000_000_000_000))
        #expect(refined == disk)
    }

    @Test func collectorAsksZpoolOnlyForZFSPools() {
        let runner = FakeCommandRunner(["zpool": { _ in
            .success(CommandResult(termination: .exited(0), stdout: Array("tank\t100\t40\t60\n".utf8)))
        }])
        let context = CollectContext(fs: TestSupport.hostFS, system: TestSupport.system(), now: Date(), logger: TestSupport.logger(),
                                     commands: runner)
        let disks = [HostReport.Disk(device: "tank", mountpoint: "/tank", type: "zfs", totalBytes: 100, usedBytes: 10, freeBytes: 90),
                     HostReport.Disk(device: "/dev/sda1", mountpoint: "/", type: "ext4", totalBytes: 50, usedBytes: 5, freeBytes: 45)]
        let refined = FilesystemCollector.withPoolFigures(disks, context: context, collector: "host.filesystems")
        #expect(refined[0].usedBytes == 40 && refined[0].usage == 40)
        #expect(refined[1] == disks[1])
        #expect(runner.invocations == [["zpool", "list", "-Hp", "-o", "name,size,allocated,free", "tank"]])
        let none = FakeCommandRunner()
        let unchanged = FilesystemCollector.withPoolFigures(disks, context: CollectContext(fs: TestSupport.hostFS, system: TestSupport.system(),
                                                                                        now: Date(), logger: TestSupport.logger(), commands: none),
                                                          collector: "x")
        #expect(unchanged == disks)
    }
}
