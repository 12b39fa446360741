/// One interface of `/proc/net/dev`: cumulative byte counters.
public struct NetDev: Sendable, Equatable {
    public var name: String
    public var rxBytes: UInt64
    public var txBytes: UInt64

    public init(name: String, rxBytes: UInt64, txBytes: UInt64) {
        self.name = name
        self.rxBytes = rxBytes
        self.txBytes = txBytes
    }

    /// Parses the table after its two header lines. Each row is `name: 8 receive columns, 8 transmit columns`;
    /// the kernel may glue the first number to the colon (`eth0:1234`).
    public static func parse(_ text: String) throws(ParseError) -> [NetDev] {
        var result: [NetDev] = []
        for line in text.split(separator: "\n") {
            guard let colon = line.firstIndex(of: ":") else {
                if line.contains("|") { continue }  // header
                throw ParseError("/proc/net/dev", "missing colon", line: line)
            }
            let name = line[..<colon].trimmingWhitespace()
            let fields = line[line.index(after: colon)...].split(separator: " ")
            guard !name.isEmpty, fields.count >= 16 else {
                throw ParseError("/proc/net/dev", "too few columns", line: line)
            }
            guard let rx = UInt64(fields[0]), let tx = UInt64(fields[8]) else {
                throw ParseError("/proc/net/dev", "non-numeric counter", line: line)
            }
            result.append(NetDev(name: name, rxBytes: rx, txBytes: tx))
        }
        return result
    }
}
