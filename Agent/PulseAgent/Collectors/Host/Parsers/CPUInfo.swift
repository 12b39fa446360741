/// The facts the report needs from `/proc/cpuinfo`.
public struct CPUInfo: Sendable, Equatable {
    /// The processor model (`model name` on x86; other keys on other architectures), `nil` if absent.
    public var model: String?
    /// Logical CPUs: the number of `processor` entries.
    public var logicalCount: Int

    public init(model: String?, logicalCount: Int) {
        self.model = model
        self.logicalCount = logicalCount
    }

    /// Keys that name the CPU, most specific first: x86 `model name`, 32-bit ARM `Processor`, MIPS
    /// `cpu model`, POWER `cpu`.
    static let modelKeys = ["model name", "Processor", "cpu model", "cpu"]

    /// Parses `/proc/cpuinfo`. An empty or unrecognised file yields a count of 0 and no model.
    public static func parse(_ text: String) -> CPUInfo {
        var count = 0
        var found: [String: String] = [:]
        for line in text.split(separator: "\n") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let key = line[..<colon].trimmingWhitespace()
            let value = line[line.index(after: colon)...].trimmingWhitespace()
            if key == "processor" {
                if Int(value) != nil { count += 1 }
            } else if modelKeys.contains(key), found[key] == nil, !value.isEmpty {
                found[key] = value
            }
        }
        let model = modelKeys.lazy.compactMap { found[$0] }.first
        return CPUInfo(model: model, logicalCount: count)
    }
}
