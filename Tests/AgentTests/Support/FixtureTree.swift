import Foundation
@testable import PulseAgent

/// A fixture tree with its symbolic links restored, in a temporary directory.
///
/// sysfs is full of directory links, many pointing back at an ancestor (`hwmonN/device` → the device that
/// contains `hwmonN`). SwiftPM follows directory links when it gathers a target's resources, with no cycle
/// check, so the committed fixtures hold no links at all: each tree lists them in `symlinks.txt`
/// (`path -> target`, as `readlink` shows them) and tests recreate them in a copy.
final class FixtureTree {
    /// The copy's root, removed again when the value goes away.
    let root: String

    init(_ name: String) throws {
        let source = TestSupport.fixtures + "/" + name
        root = try TestSupport.temporaryDirectory() + "/" + name
        let manager = FileManager.default
        try manager.copyItem(atPath: source, toPath: root)
        let manifest = (try? String(contentsOfFile: source + "/symlinks.txt", encoding: .utf8)) ?? ""
        for line in manifest.split(separator: "\n") {
            let parts = line.components(separatedBy: " -> ")
            guard parts.count == 2 else { continue }
            let path = root + "/" + parts[0]
            try manager.createDirectory(atPath: (path as NSString).deletingLastPathComponent,
                                        withIntermediateDirectories: true)
            try manager.createSymbolicLink(atPath: path, withDestinationPath: parts[1])
        }
    }

    deinit {
        TestSupport.remove((root as NSString).deletingLastPathComponent)
    }

    /// The tree as `--path.procfs`, `--path.sysfs` and `--path.rootfs`.
    var fs: HostFS {
        HostFS(procfs: root + "/proc", sysfs: root + "/sys", rootfs: root)
    }
}
