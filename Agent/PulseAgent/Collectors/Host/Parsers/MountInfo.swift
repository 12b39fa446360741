/// One line of `/proc/<pid>/mountinfo` (proc(5)).
public struct MountInfo: Sendable, Equatable {
    /// `major:minor` of the filesystem's device.
    public var deviceNumber: String
    /// Where it is mounted, with `\040`-style escapes decoded.
    public var mountpoint: String
    /// Filesystem type (`ext4`, `fuse.sshfs`).
    public var fsType: String
    /// Mount source (`/dev/sda1`, `tank/data`, `server:/export`).
    public var source: String

    public init(deviceNumber: String, mountpoint: String, fsType: String, source: String) {
        self.deviceNumber = deviceNumber
        self.mountpoint = mountpoint
        self.fsType = fsType
        self.source = source
    }

    /// Parses every line: `id parent major:minor root mountpoint options [optional…] - fstype source superoptions`.
    public static func parse(_ text: String) throws(ParseError) -> [MountInfo] {
        var result: [MountInfo] = []
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: " ")
            if fields.isEmpty { continue }
            guard fields.count >= 9, let separator = fields[6...].firstIndex(of: "-"),
                  separator + 2 < fields.count else {
                throw ParseError("/proc/self/mountinfo", "malformed line", line: line)
            }
            result.append(MountInfo(deviceNumber: String(fields[2]), mountpoint: unescape(fields[4]),
                                    fsType: unescape(fields[separator + 1]), source: unescape(fields[separator + 2])))
        }
        return result
    }

    /// Decodes the kernel's octal escapes for space, tab, newline and backslash (`\040`, `\011`, `\012`, `\134`).
    static func unescape(_ field: Substring) -> String {
        guard field.contains("\\") else { return String(field) }
        var bytes: [UInt8] = []
        let utf8 = Array(field.utf8)
        var index = 0
        while index < utf8.count {
            if utf8[index] == UInt8(ascii: "\\"), let value = octal(utf8[(index + 1)...].prefix(3)) {
                bytes.append(value)
                index += 4
            } else {
                bytes.append(utf8[index])
                index += 1
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func octal(_ digits: ArraySlice<UInt8>) -> UInt8? {
        guard digits.count == 3 else { return nil }
        var value = 0
        for digit in digits {
            guard digit >= UInt8(ascii: "0"), digit <= UInt8(ascii: "7") else { return nil }
            value = value * 8 + Int(digit - UInt8(ascii: "0"))
        }
        return value <= 255 ? UInt8(value) : nil
    }
}
