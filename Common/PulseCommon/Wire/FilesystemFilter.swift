/// Which filesystems a host report should not carry (agent-protocol section 3.1): virtual, read-only media,
/// network and container-internal mounts. Applied by the agent and again by the hub.
public enum FilesystemFilter {
    static let virtualTypes: Set<String> = [
        "tmpfs", "devtmpfs", "cgroup", "cgroup2", "sysfs", "proc", "devpts", "securityfs", "debugfs", "tracefs",
        "fusectl", "configfs", "pstore", "hugetlbfs", "mqueue", "bpf", "overlay", "overlayfs", "autofs",
    ]
    static let readOnlyMarkers = ["erofs", "squashfs", "squash-fs", "iso9660", "cdfs", "udf", "cramfs", "romfs"]
    static let networkMarkers = ["fuse", "9p", "nfs", "cifs", "smb"]
    static let skippedPrefixes = ["/dev", "/proc", "/sys", "/run", "/var/lib/docker", "/var/lib/containers", "/snap",
                                  "/mnt/.ix-apps/docker/"]

    /// Whether a mount of this filesystem type at this mountpoint is skipped.
    public static func shouldSkip(type rawType: String, mountpoint: String, totalBytes: Int64 = 0,
                                  usedBytes: Int64 = 0) -> Bool {
        let type = rawType.lowercased()
        if readOnlyMarkers.contains(where: { type.contains($0) }) { return true }
        if type == "overlay", totalBytes > 0, usedBytes >= totalBytes { return true }
        if virtualTypes.contains(type) { return true }
        if networkMarkers.contains(where: { type.contains($0) }) { return true }
        if skippedPrefixes.contains(where: { hasPathPrefix(mountpoint, $0) }) { return true }
        if mountpoint == "/boot/efi" || mountpoint.contains("System Reserved") { return true }
        let containerMarker = mountpoint.contains("/containers/") || mountpoint.contains("/container_tmp/")
        let layerMarker = ["/overlay2/", "/overlay/", "/diff/", "/merged"].contains(where: { mountpoint.contains($0) })
        return containerMarker && layerMarker
    }

    /// `/run` matches `/run` and `/run/user`, not `/running`; prefixes ending in `/` match plainly.
    private static func hasPathPrefix(_ path: String, _ prefix: String) -> Bool {
        if prefix.hasSuffix("/") { return path.hasPrefix(prefix) }
        return path == prefix || path.hasPrefix(prefix + "/")
    }
}
