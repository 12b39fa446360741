#if canImport(Glibc)
import Glibc
#endif

/// A snapshot of one hwmon chip (`<sysfs>/class/hwmon/hwmonN`): its name and the sensor files the agent uses.
///
/// Reading and interpreting are separate: `HwmonReader` fills this from sysfs, and everything else works on the
/// snapshot, so tests build chips from literals.
public struct HwmonChip: Sendable, Equatable {
    /// The class directory, `hwmon3`.
    public var directory: String
    /// The driver's `name` (`coretemp`, `nvme`, `amdgpu`), or the directory name when the chip has none.
    public var name: String
    /// The last path component of the chip's `device` link (`nvme0`, `coretemp.0`, `0000:03:00.0`), if any.
    public var device: String?
    /// Attribute file name → trimmed contents, for `tempN_*`, `fanN_*` and `energyN_*` inputs and labels.
    public var attributes: [String: String]

    public init(directory: String, name: String, device: String? = nil, attributes: [String: String]) {
        self.directory = directory
        self.name = name
        self.device = device
        self.attributes = attributes
    }

    /// One numbered sensor of a kind: `temp2` with its label and raw input text.
    struct Channel: Equatable {
        /// `temp2`, `fan1`, `energy17`.
        var sensor: String
        var number: Int
        var label: String?
        var input: String
    }

    /// The channels of one kind (`temp`, `fan`, `energy`) that have an input file, by number.
    func channels(_ kind: String) -> [Channel] {
        var result: [Channel] = []
        for (file, text) in attributes where file.hasPrefix(kind) && file.hasSuffix("_input") {
            let digits = file.dropFirst(kind.count).dropLast("_input".count)
            guard !digits.isEmpty, digits.allSatisfy(\.isNumber), let number = Int(digits) else { continue }
            let sensor = kind + digits
            let label = attributes[sensor + "_label"].flatMap { $0.isEmpty ? nil : $0 }
            result.append(Channel(sensor: sensor, number: number, label: label, input: text))
        }
        return result.sorted { $0.number < $1.number }
    }

    /// Whether a file name is one the agent reads: `name`, or `temp|fan|energy<N>_input|_label`.
    static func isRelevant(_ file: String) -> Bool {
        if file == "name" { return true }
        for kind in ["temp", "fan", "energy"] where file.hasPrefix(kind) {
            for suffix in ["_input", "_label"] where file.hasSuffix(suffix) {
                let digits = file.dropFirst(kind.count).dropLast(suffix.count)
                return !digits.isEmpty && digits.allSatisfy(\.isNumber)
            }
        }
        return false
    }

    // MARK: Values

    /// °C from a `tempN_input` text in millidegrees; `nil` for anything that is not a whole number.
    static func celsius(fromMillidegrees text: String) -> Double? {
        guard let milli = Int(text.trimmingWhitespace()) else { return nil }
        return Double(milli) / 1000
    }

    /// RPM from a `fanN_input` text; `nil` when not a non-negative whole number.
    static func rpm(_ text: String) -> Double? {
        guard let value = Int(text.trimmingWhitespace()), value >= 0 else { return nil }
        return Double(value)
    }
}

/// What `<sysfs>/class/hwmon` held.
public struct HwmonScan: Sendable, Equatable {
    /// Whether the `class/hwmon` directory exists at all.
    public var present: Bool
    /// The chips, in natural directory order (`hwmon2` before `hwmon10`).
    public var chips: [HwmonChip]
}

/// Reads hwmon chips through `HostFS`: `<sysfs>/class/hwmon/hwmon*/{name,temp*,fan*,energy*}`.
///
/// Drivers from before the hwmon class carried its own attributes (and some platform drivers today, such as
/// `applesmc`) keep them in the chip's `device/` directory instead; those are read from there. A file that fails
/// to read (some drivers answer `EAGAIN` or `ENODATA` for an absent sensor) is left out, not treated as an error.
enum HwmonReader {
    static func scan(_ fs: HostFS) -> HwmonScan {
        let root = fs.sysPath("class", "hwmon")
        guard let entries = try? fs.list(root) else { return HwmonScan(present: false, chips: []) }
        let chips = entries.filter { $0.hasPrefix("hwmon") }
            .sorted(by: NaturalOrder.less)
            .compactMap { readChip(fs, directory: $0) }
        return HwmonScan(present: true, chips: chips)
    }

    static func readChip(_ fs: HostFS, directory: String) -> HwmonChip? {
        let base = fs.sysPath("class", "hwmon", directory)
        guard let files = try? fs.list(base) else { return nil }
        var attributes = readAttributes(fs, directory: base, files: files)
        let hasChannels = attributes.keys.contains { $0 != "name" }
        if attributes["name"] == nil || !hasChannels, files.contains("device"),
           let deviceFiles = try? fs.list(base + "/device") {
            for (file, text) in readAttributes(fs, directory: base + "/device", files: deviceFiles)
            where attributes[file] == nil && (file == "name" || !hasChannels) {
                attributes[file] = text
            }
        }
        let name = attributes.removeValue(forKey: "name").flatMap { $0.isEmpty ? nil : $0 } ?? directory
        let device = resolvedName(base + "/device")
        return HwmonChip(directory: directory, name: name, device: device, attributes: attributes)
    }

    private static func readAttributes(_ fs: HostFS, directory: String, files: [String]) -> [String: String] {
        var attributes: [String: String] = [:]
        for file in files where HwmonChip.isRelevant(file) {
            if let text = try? fs.readValue(directory + "/" + file) { attributes[file] = text }
        }
        return attributes
    }

    /// The last component of a path after resolving links (`device` → `nvme0`), or `nil` when it does not exist.
    static func resolvedName(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        let name = String(cString: resolved).split(separator: "/").last.map(String.init)
        return name?.isEmpty == false ? name : nil
    }
}
