/// Which mounts are real, user-visible filesystems (agent-protocol 3.1, the reference's `fsfilters`). The agent
/// applies it before `statvfs`; the hub applies it again to every report it receives.
public enum FilesystemFilter {
    /// Pseudo and in-memory filesystems. The reference's list plus `rpc_pipefs`, `binfmt_misc`, `nsfs`,
    /// `efivarfs` and `selinuxfs`, which it catches only by their usual mountpoints.
    static let virtualTypes: Set<String> = [
        "tmpfs", "devtmpfs", "cgroup", "cgroup2", "sysfs", "proc", "devpts", "securityfs", "debugfs", "tracefs",
        "fusectl", "configfs", "pstore", "hugetlbfs", "mqueue", "bpf", "overlay", "overlayfs", "autofs",
        "rpc_pipefs", "binfmt_misc", "nsfs", "efivarfs", "selinuxfs",
    ]
    /// Read-only image filesystems, matched as substrings (`squashfs`, `fuse.squashfuse`, `erofs`).
    static let readOnlyTypeFragments = ["erofs", "squashfs", "squash-fs", "iso9660", "cdfs", "udf", "cramfs", "romfs"]
    /// Network and FUSE filesystems, matched as substrings: statfs on them can hang or cost a round trip.
    static let remoteTypeFragments = ["fuse", "9p", "nfs", "cifs", "smb"]
    /// Mountpoint trees that never hold user data.
    static let skippedTrees = ["/dev", "/proc", "/sys", "/run", "/var/lib/docker", "/var/lib/containers", "/snap"]

    /// Whether a mount is skipped by its type or mountpoint alone, before any `statvfs` (so a hung NFS server
    /// cannot block the report).
    ///
    /// Mountpoint trees match whole path components: `/snap` and `/snap/core` are skipped, `/snapshots` is not
    /// (the reference compares plain string prefixes and would drop it).
    public static func shouldSkip(fsType: String, mountpoint: String) -> Bool {
        let type = fsType.lowercased()
        if virtualTypes.contains(type) { return true }
        if readOnlyTypeFragments.contains(where: { type.containsBytes($0) }) { return true }
        if remoteTypeFragments.contains(where: { type.containsBytes($0) }) && !isZFS(type) { return true }
        if skippedTrees.contains(where: { isWithin(mountpoint, tree: $0) }) { return true }
        if mountpoint == "/boot/efi" || mountpoint.containsBytes("System Reserved") { return true }
        if mountpoint.hasPrefix("/mnt/.ix-apps/docker/") { return true }
        return isContainerOverlayPath(mountpoint)
    }

    /// ZFS datasets (`zfs`, or ZFS-on-FUSE `fuse.zfs`), aggregated per pool instead of listed per dataset.
    public static func isZFS(_ fsType: String) -> Bool {
        let type = fsType.lowercased()
        return type == "zfs" || type == "fuse.zfs"
    }

    /// A container runtime's layer or rootfs path (`…/containers/…/overlay2/…/merged`).
    static func isContainerOverlayPath(_ mountpoint: String) -> Bool {
        guard mountpoint.containsBytes("/containers/") || mountpoint.containsBytes("/container_tmp/") else { return false }
        return ["/overlay2/", "/overlay/", "/diff/", "/merged"].contains(where: { mountpoint.containsBytes($0) })
    }

    static func isWithin(_ path: String, tree: String) -> Bool {
        path == tree || path.hasPrefix(tree + "/")
    }

    /// The hub's check of a reported disk: the type and mountpoint rules, plus an overlay that is full (a
    /// container's root image). ZFS entries are pools the agent already aggregated and are kept.
    public static func shouldSkip(type: String, mountpoint: String, totalBytes: Int64 = 0, usedBytes: Int64 = 0) -> Bool {
        if isZFS(type) { return false }
        if type.lowercased() == "overlay", totalBytes > 0, usedBytes >= totalBytes { return true }
        return shouldSkip(fsType: type, mountpoint: mountpoint)
    }
}

extension String {
    /// Whether `needle` occurs in the string, compared byte for byte (fast for short ASCII patterns; no Unicode
    /// normalisation, which mount paths and filesystem names do not need).
    public func containsBytes(_ needle: String) -> Bool {
        var haystack = self
        var pattern = needle
        return haystack.withUTF8 { text in
            pattern.withUTF8 { wanted in
                guard !wanted.isEmpty else { return true }
                guard text.count >= wanted.count else { return false }
                let first = wanted[0]
                var index = 0
                let last = text.count - wanted.count
                while index <= last {
                    if text[index] == first {
                        var offset = 1
                        while offset < wanted.count, text[index + offset] == wanted[offset] { offset += 1 }
                        if offset == wanted.count { return true }
                    }
                    index += 1
                }
                return false
            }
        }
    }
}
