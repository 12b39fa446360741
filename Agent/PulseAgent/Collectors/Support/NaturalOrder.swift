/// Orders names the way people number devices: `hwmon2` before `hwmon10`, `nvme9` before `nvme10`.
enum NaturalOrder {
    /// Whether `lhs` sorts before `rhs`, comparing runs of digits by their value and everything else by text.
    static func less(_ lhs: String, _ rhs: String) -> Bool {
        let left = chunks(lhs)
        let right = chunks(rhs)
        for (a, b) in zip(left, right) where a != b {
            switch (a, b) {
            case (.number(let x, let xText), .number(let y, let yText)):
                return x != y ? x < y : xText < yText
            case (.number, .text): return true
            case (.text, .number): return false
            case (.text(let x), .text(let y)): return x < y
            }
        }
        return left.count < right.count
    }

    private enum Chunk: Equatable {
        case text(String)
        /// The value (saturating) and the digits as written, so `01` and `1` still order deterministically.
        case number(UInt64, String)
    }

    private static func chunks(_ text: String) -> [Chunk] {
        var result: [Chunk] = []
        var current = ""
        var inDigits = false
        func flush() {
            guard !current.isEmpty else { return }
            if inDigits {
                var value: UInt64 = 0
                for digit in current.utf8 {
                    let (times, overflow1) = value.multipliedReportingOverflow(by: 10)
                    let (sum, overflow2) = times.addingReportingOverflow(UInt64(digit - 48))
                    value = overflow1 || overflow2 ? .max : sum
                }
                result.append(.number(value, current))
            } else {
                result.append(.text(current))
            }
            current = ""
        }
        for character in text {
            let isDigit = character.isASCII && character.isNumber
            if isDigit != inDigits {
                flush()
                inDigits = isDigit
            }
            current.append(character)
        }
        flush()
        return result
    }
}
