/// `/proc/uptime`: whole seconds since boot.
public enum Uptime {
    public static func parse(_ text: String) throws(ParseError) -> Int64 {
        guard let field = text.split(whereSeparator: { $0 == " " || $0 == "\n" }).first,
              let seconds = Double(field), seconds.isFinite, seconds >= 0, seconds < 1e15 else {
            throw ParseError("/proc/uptime", "invalid uptime", line: text)
        }
        return Int64(seconds)
    }
}
