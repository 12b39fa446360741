/// Why a host reports no temperature (`sensors.temperatureUnavailableReason`), so the hub can say "this is a VM"
/// instead of showing an empty gauge.
public enum TemperatureUnavailableReason: String, Sendable, CaseIterable {
    /// The sysfs root is missing or empty: a container started without `/sys` (or the host's mounted at
    /// `--path.sysfs`).
    case noSysfs = "no-sysfs"
    /// No hwmon chips, and the machine looks virtual (DMI vendor, `hypervisor` CPU flag, Xen's `hypervisor/type`).
    case virtualMachineWithoutHwmon = "vm-no-hwmon"
    /// No hwmon chips on what looks like real hardware (drivers not loaded).
    case noHwmon = "no-hwmon"
    /// hwmon chips exist, but none gave a usable temperature.
    case noKnownChip = "no-known-chip"

    /// Decides the reason from what the collector saw. `isVirtual` is asked only when it matters.
    static func decide(sysfsPresent: Bool, hwmonChips: Int, isVirtual: () -> Bool) -> Self {
        if !sysfsPresent { return .noSysfs }
        if hwmonChips > 0 { return .noKnownChip }
        return isVirtual() ? .virtualMachineWithoutHwmon : .noHwmon
    }
}

/// Whether the host is a virtual machine, from DMI strings, the CPU flags and Xen's sysfs node.
enum VirtualMachineProbe {
    /// DMI `sys_vendor` / `product_name` fragments (lower case) that only hypervisors report.
    static let vendorMarkers = ["qemu", "kvm", "vmware", "virtualbox", "innotek", "xen", "bochs", "amazon ec2",
                                "google compute engine", "parallels", "openstack", "bhyve"]

    static func isVirtual(sysVendor: String?, productName: String?, cpuinfo: String?, xenType: String?) -> Bool {
        let vendor = sysVendor?.lowercased() ?? ""
        let product = productName?.lowercased() ?? ""
        if vendorMarkers.contains(where: { vendor.contains($0) || product.contains($0) }) { return true }
        if vendor == "google" && product.contains("compute") { return true }
        // Hyper-V and Azure say "Microsoft Corporation" / "Virtual Machine"; a Surface laptop says the same vendor.
        if vendor.contains("microsoft") && product.contains("virtual machine") { return true }
        if let xenType, !xenType.isEmpty { return true }
        return cpuinfo.map(hasHypervisorFlag) ?? false
    }

    /// Whether any `flags` line of `/proc/cpuinfo` lists `hypervisor`.
    static func hasHypervisorFlag(_ cpuinfo: String) -> Bool {
        for line in cpuinfo.split(separator: "\n") where line.hasPrefix("flags") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            if line[line.index(after: colon)...].split(separator: " ").contains("hypervisor") { return true }
        }
        return false
    }

    static func read(_ fs: HostFS) -> Bool {
        isVirtual(sysVendor: try? fs.readValue(fs.sysPath("class", "dmi", "id", "sys_vendor")),
                  productName: try? fs.readValue(fs.sysPath("class", "dmi", "id", "product_name")),
                  cpuinfo: try? fs.read(fs.procPath("cpuinfo")),
                  xenType: try? fs.readValue(fs.sysPath("hypervisor", "type")))
    }
}
