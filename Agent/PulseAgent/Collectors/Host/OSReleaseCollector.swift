import PulseCommon

/// `host.platform`, `host.osName` and `host.osVersion` from `<etc>/os-release`, falling back to
/// `<rootfs>/usr/lib/os-release` as os-release(5) prescribes.
public struct OSReleaseCollector: HostCollector {
    public let name = "host.os"

    public init() {}

    public func collect(_ context: CollectContext, into report: inout HostReport) throws {
        let etcFile = context.fs.etcPath("os-release")
        let path = context.fs.exists(etcFile) ? etcFile : context.fs.rootPath("usr", "lib", "os-release")
        let release = OSRelease.parse(try context.fs.read(path))
        report.host = report.host ?? .init()
        report.host?.platform = release.platform
        report.host?.osName = release.name
        report.host?.osVersion = release.versionID
    }
}
