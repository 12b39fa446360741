import PulseCommon
import Testing

@Suite struct FilesystemFilterTests {
    @Test(arguments: [
        ("ext4", "/", false), ("xfs", "/data", false), ("zfs", "/tank", false), ("btrfs", "/home", false),
        ("tmpfs", "/run", true), ("devtmpfs", "/dev", true), ("proc", "/proc", true), ("overlay", "/", true),
        ("squashfs", "/snap/core/1", true), ("nfs4", "/mnt/share", true), ("fuse.sshfs", "/mnt/x", true),
        ("ext4", "/run/media/usb", true), ("ext4", "/running", false), ("vfat", "/boot/efi", true),
        ("ext4", "/var/lib/docker/overlay2", true), ("ext4", "/srv/containers/abc/overlay2/x/merged", true),
        ("iso9660", "/media/cdrom", true), ("cifs", "/mnt/win", true),
    ])
    func skipRules(_ type: String, _ mountpoint: String, _ skipped: Bool) {
        #expect(FilesystemFilter.shouldSkip(type: type, mountpoint: mountpoint) == skipped)
    }
}
