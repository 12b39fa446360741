import PulseCommon
import Testing
@testable import PulseAgent

/// `/proc/diskstats`, mountinfo, the filesystem filters and disk usage assembly.
struct StorageParserTests {
    let fs = TestSupport.hostTree

    // MARK: /proc/diskstats

    @Test func diskStatsFromFixtureMatchNodeExporter() throws {
        let all = try DiskStats.parse(TestSupport.hostFS.read(TestSupport.hostFS.procPath("diskstats")))
        #expect(all.count == 51)
        let disks = all.filter { DiskStats.isWholeDisk($0.device) }
        #expect(disks.map(\.device).sorted() == ["fd0", "mmcblk0", "nvme0n1", "sda", "sdb", "sdc", "sr0", "vda"])

        let byName = Dictionary(uniqueKeysWithValues: disks.map { ($0.device, $0) })
        // node_disk_*_total{device="sda"} in node_exporter's e2e output (seconds there, milliseconds here).
        let sda = try #require(byName["sda"])
        #expect(sda.readBytes == 513_713_216_512)
        #expect(sda.writeBytes == 258_916_880_384)
        #expect(sda.readsCompleted == 25_354_637)
        #expect(sda.writesCompleted == 28_444_756)
        #expect(sda.readTimeMs == 18_492_372)
        #expect(sda.writeTimeMs == 63_877_960)
        #expect(sda.ioTimeMs == 9_653_880)
        let nvme = try #require(byName["nvme0n1"])
        #expect(nvme.readBytes == 2_377_714_176 && nvme.writeBytes == 20_199_236_096 && nvme.ioTimeMs == 222_766)
        // Kernels 4.18+ (discard columns) and 5.5+ (flush columns) append fields.
        let sdb = try #require(byName["sdb"])
        #expect(sdb.readBytes == 4_944_782_848 && sdb.writeBytes == 1_010_127_360 && sdb.ioTimeMs == 60_730)
        let sdc = try #require(byName["sdc"])
        #expect(sdc.readBytes == 848_782_848 && sdc.writeBytes == 88_527_360 && sdc.readTimeMs == 14)
        let vda = try #require(byName["vda"])
        #expect(vda.readBytes == 16_727_491_584 && vda.writeBytes == 109_382_369_280 && vda.ioTimeMs == 41_614_592)
    }

    @Test(arguments: [
        ("sda", true), ("sda1", false), ("sdaa", true), ("sdaa12", false), ("vda", true), ("vda2", false),
        ("xvda", true), ("xvda1", false), ("hdc", true), ("hdc3", false), ("nvme0n1", true), ("nvme0n1p1", false),
        ("nvme10n2p15", false), ("mmcblk0", true), ("mmcblk0p1", false), ("zd0", true), ("zd16p1", false),
        ("md0", true), ("md127", true), ("dm-0", false), ("loop0", false), ("ram15", false), ("zram0", false),
        ("sr0", true), ("fd0", true), ("", false),
    ])
    func wholeDiskRules(_ name: String, _ whole: Bool) {
        #expect(DiskStats.isWholeDisk(name) == whole)
    }

    @Test(arguments: ["8 0 sda 1 2 3\n", "8 0 sda 1 2 3 4 5 6 7 8 9 x 11\n", "a 0 sda 1 2 3 4 5 6 7 8 9 10 11\n",
                      "8 0 sda 1 2 3 4 5 6 7 8 9 -1 11\n"])
    func diskStatsRejectsMalformed(_ text: String) {
        #expect(throws: ParseError.self) { try DiskStats.parse(text) }
    }

    @Test func diskStatsEmpty() throws {
        #expect(try DiskStats.parse("").isEmpty)
        #expect(try DiskStats.parse("\n\n").isEmpty)
    }

    // MARK: mountinfo

    @Test func mountInfoFromFixture() throws {
        let mounts = try MountInfo.parse(TestSupport.hostFS.read(TestSupport.hostFS.procPath("1", "mountinfo")))
        #expect(mounts.count == 32)
        let root = try #require(mounts.first { $0.mountpoint == "/" })
        #expect(root == MountInfo(deviceNumber: "259:2", mountpoint: "/", fsType: "ext4", source: "/dev/dm-2"))
        #expect(mounts.contains { $0.mountpoint.contains("[vsanDatastore] bafb9e5a") }, "\\040 is a space")
        #expect(mounts.contains { $0.mountpoint.contains("[vsanDatastore]\tbafb9e5a") }, "\\011 is a tab")
        #expect(mounts.contains { $0.fsType == "fuse.gvfsd-fuse" && $0.source == "gvfsd-fuse" })
    }

    @Test func mountInfoOptionalFieldsAndEscapes() throws {
        let line = "36 35 98:0 /mnt1 /mnt/my\\040disk\\134x rw,noatime master:1 shared:2 - ext3 /dev/root rw\n"
        let mounts = try MountInfo.parse(line)
        #expect(mounts == [MountInfo(deviceNumber: "98:0", mountpoint: "/mnt/my disk\\x", fsType: "ext3",
                                     source: "/dev/root")])
        #expect(MountInfo.unescape("/a\\04") == "/a\\04", "a truncated escape stays literal")
        #expect(MountInfo.unescape("/a\\999") == "/a\\999", "not octal")
    }

    @Test(arguments: ["1 2 3\n", "36 35 98:0 / /mnt rw shared:1 ext3 /dev/root rw\n",
                      "36 35 98:0 / /mnt rw shared:1 x y -\n"])
    func mountInfoRejectsMalformed(_ text: String) {
        #expect(throws: ParseError.self) { try MountInfo.parse(text) }
    }

    // MARK: filters

    @Test(arguments: [
        ("ext4", "/", false), ("xfs", "/data", false), ("tmpfs", "/tmp", true), ("devtmpfs", "/dev", true),
        ("nfs4", "/mnt/nfs/test", true), ("cifs", "/mnt/share", true), ("fuse.sshfs", "/mnt/remote", true),
        ("9p", "/mnt/host", true), ("squashfs", "/media/cdrom", true), ("iso9660", "/media/cd", true),
        ("ext4", "/snap/core/123", true), ("btrfs", "/snapshots", false), ("ext4", "/devel", false),
        ("vfat", "/boot/efi", true), ("vfat", "/boot", false), ("ext4", "/run/media/usb", true),
        ("xfs", "/var/lib/docker", true), ("xfs", "/var/lib/containers/storage", true),
        ("xfs", "/data/containers/storage/overlay2/abc/merged", true), ("ntfs", "/mnt/System Reserved", true),
        ("ext4", "/mnt/.ix-apps/docker/volumes", true), ("ext4", "/mnt/.ix-apps/data", false),
        ("overlay", "/merged", true), ("zfs", "/tank", false), ("EXT4", "/", false), ("TMPFS", "/x", true),
    ])
    func skipRules(_ type: String, _ mountpoint: String, _ skipped: Bool) {
        #expect(FilesystemFilter.shouldSkip(fsType: type, mountpoint: mountpoint) == skipped)
    }

    @Test func exclusionPatterns() {
        let patterns = ExclusionPatterns(["/mnt/backup", "/media/*", "*scratch*", "*.img", "sdb", "", " * ", "**"])
        #expect(patterns.excludes("/mnt/backup"))
        #expect(!patterns.excludes("/mnt/backup2"))
        #expect(patterns.excludes("/media/usb"))
        #expect(patterns.excludes("/srv/scratch/a"))
        #expect(patterns.excludes("/srv/disk.img"))
        #expect(patterns.excludes("/data", "/dev/sdb"), "a device path matches by its bare name")
        #expect(!patterns.excludes("/", "/dev/sda"))
        #expect(!ExclusionPatterns(["", "*"]).excludes("/"), "catch-all patterns are ignored")
        #expect(ExclusionPatterns([]).isEmpty)
    }

    // MARK: disk usage

    static let gib: UInt64 = 1 << 30

    @Test func disksFromFixtureMounts() throws {
        let mounts = try MountInfo.parse(TestSupport.hostFS.read(TestSupport.hostFS.procPath("1", "mountinfo")))
        var statted: [String] = []
        let outcome = DiskUsage.disks(mounts: mounts, exclusions: ExclusionPatterns([])) { mount in
            statted.append(mount.mountpoint)
            switch mount.mountpoint {
            case "/": return FilesystemStats(totalBytes: 100 * Self.gib, freeBytes: 40 * Self.gib,
                                             availableBytes: 35 * Self.gib)
            case "/boot": return FilesystemStats(totalBytes: Self.gib, freeBytes: Self.gib / 2,
                                                 availableBytes: Self.gib / 2)
            default: return FilesystemStats(totalBytes: 50 * Self.gib, freeBytes: 0, availableBytes: 0)
            }
        }
        #expect(Set(statted).count == 4, "only /, /boot and the two kubelet volumes reach statvfs")
        #expect(outcome.statFailures.isEmpty)
        #expect(outcome.disks.count == 3, "the two kubelet mounts of /dev/sda with one size collapse into one")
        let root = outcome.disks[0]
        #expect(root == HostReport.Disk(device: "/dev/dm-2", mountpoint: "/", filesystem: "ext4", type: "ext4",
                                        totalBytes: Int64(100 * Self.gib), usedBytes: Int64(60 * Self.gib),
                                        freeBytes: Int64(35 * Self.gib), usage: 60.0 / 95.0 * 100))
        #expect(outcome.disks[1].mountpoint == "/boot" && outcome.disks[1].usage == 50)
        #expect(outcome.disks[2].device == "/dev/sda" && outcome.disks[2].usage == 100)
    }

    @Test func disksDropFailuresEmptyAndExcluded() {
        let mounts = [
            MountInfo(deviceNumber: "8:1", mountpoint: "/", fsType: "ext4", source: "/dev/sda1"),
            MountInfo(deviceNumber: "8:2", mountpoint: "/broken", fsType: "ext4", source: "/dev/sda2"),
            MountInfo(deviceNumber: "8:3", mountpoint: "/empty", fsType: "ext4", source: "/dev/sda3"),
            MountInfo(deviceNumber: "8:4", mountpoint: "/mnt/backup", fsType: "ext4", source: "/dev/sdb1"),
            MountInfo(deviceNumber: "8:1", mountpoint: "/srv/bind", fsType: "ext4", source: "/dev/sda1"),
            MountInfo(deviceNumber: "0:1", mountpoint: "", fsType: "ext4", source: "/dev/sdc"),
            MountInfo(deviceNumber: "8:5", mountpoint: "/data", fsType: "tmpfs", source: "tmpfs"),
            MountInfo(deviceNumber: "8:6", mountpoint: "/data", fsType: "xfs", source: "/dev/sdd"),
        ]
        let outcome = DiskUsage.disks(mounts: mounts, exclusions: ExclusionPatterns(["/mnt/*"])) { mount in
            switch mount.mountpoint {
            case "/broken": throw SystemCallError(call: "statvfs", errno: 5)
            case "/empty": return FilesystemStats(totalBytes: 0, freeBytes: 0, availableBytes: 0)
            default: return FilesystemStats(totalBytes: 1000, freeBytes: 500, availableBytes: 400)
            }
        }
        #expect(outcome.disks.map(\.mountpoint) == ["/", "/data"], "the bind mount keeps the shorter /")
        #expect(outcome.disks[1].type == "xfs", "the last mount on a mountpoint is the visible one")
        #expect(outcome.statFailures.count == 1 && outcome.statFailures[0].hasPrefix("/broken:"))
    }

    @Test func zfsDatasetsBecomeOnePoolEntry() {
        let mounts = [
            MountInfo(deviceNumber: "0:50", mountpoint: "/tank", fsType: "zfs", source: "tank"),
            MountInfo(deviceNumber: "0:51", mountpoint: "/tank/data", fsType: "zfs", source: "tank/data"),
            MountInfo(deviceNumber: "0:52", mountpoint: "/home", fsType: "zfs", source: "tank/home"),
            MountInfo(deviceNumber: "0:53", mountpoint: "/", fsType: "zfs", source: "rpool/ROOT/debian"),
        ]
        let sizes: [String: UInt64] = ["/tank": 10, "/tank/data": 30, "/home": 20, "/": 7]
        let outcome = DiskUsage.disks(mounts: mounts, exclusions: ExclusionPatterns([])) { mount in
            let total = sizes[mount.mountpoint]! * Self.gib
            return FilesystemStats(totalBytes: total, freeBytes: total / 2, availableBytes: total / 2)
        }
        #expect(outcome.disks.map(\.device) == ["rpool", "tank"])
        let tank = outcome.disks[1]
        #expect(tank.mountpoint == "/home", "the shallowest dataset mountpoint")
        #expect(tank.totalBytes == Int64(30 * Self.gib), "the largest dataset's figures")
        #expect(tank.type == "zfs" && tank.filesystem == "zfs")
        #expect(outcome.disks[0].mountpoint == "/")
    }
}
