import CSystemd
import Foundation

/// Readiness, stopping and watchdog notifications to systemd through libsystemd; silent when not under systemd
/// (`NOTIFY_SOCKET` unset). The only file that imports libsystemd.
public struct SystemdNotifier: Sendable {
    public init() {}

    /// Tells systemd the service is ready.
    public func ready(status: String) { _ = sd_notify(0, "READY=1\nSTATUS=\(status)") }

    /// Tells systemd the service is stopping.
    public func stopping() { _ = sd_notify(0, "STOPPING=1") }

    /// Pings the watchdog.
    public func watchdog() { _ = sd_notify(0, "WATCHDOG=1") }

    /// The watchdog interval systemd expects pings within, if a watchdog is enabled.
    public func watchdogInterval() -> Duration? {
        var microseconds: UInt64 = 0
        guard sd_watchdog_enabled(0, &microseconds) > 0, microseconds > 0 else { return nil }
        return .microseconds(Int64(microseconds))
    }
}
