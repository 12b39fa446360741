/// `/proc/loadavg`: the 1, 5 and 15 minute load averages.
public enum LoadAverage {
    public static func parse(_ text: String) throws(ParseError) -> [Double] {
        let fields = text.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" })
        guard fields.count >= 3 else { throw ParseError("/proc/loadavg", "expected 3 load values", line: text) }
        var loads: [Double] = []
        for field in fields.prefix(3) {
            guard let value = Double(field), value.isFinite, value >= 0 else {
                throw ParseError("/proc/loadavg", "invalid load value", line: text)
            }
            loads.append(value)
        }
        return loads
    }
}
