import Glibc

/// Writes to the terminal without going through `FileHandle` (stderr is unbuffered and safe from any thread).
enum Console {
    /// Writes one line to standard error.
    static func error(_ line: String) {
        writeAll(fd: 2, line + "\n")
    }

    /// Writes one line to standard output.
    static func out(_ line: String) {
        writeAll(fd: 1, line + "\n")
    }

    private static func writeAll(fd: Int32, _ text: String) {
        var bytes = Array(text.utf8)
        bytes.withUnsafeMutableBytes { raw in
            var offset = 0
            while offset < raw.count {
                let written = write(fd, raw.baseAddress! + offset, raw.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    return
                }
                offset += written
            }
        }
    }
}

/// Raw clock readings in nanoseconds; cheap enough to take several per request.
enum Clock {
    /// For intervals: never jumps.
    static func monotonicNanos() -> UInt64 { read(CLOCK_MONOTONIC) }

    /// Wall-clock time since 1970, for report timestamps.
    static func wallNanos() -> UInt64 { read(CLOCK_REALTIME) }

    /// CPU time used by this whole process (all threads).
    static func processCPUNanos() -> UInt64 { read(CLOCK_PROCESS_CPUTIME_ID) }

    /// Sleeps, resuming after signals.
    static func sleep(nanos: UInt64) {
        var request = timespec(tv_sec: Int(nanos / 1_000_000_000), tv_nsec: Int(nanos % 1_000_000_000))
        var remaining = timespec()
        while nanosleep(&request, &remaining) == -1, errno == EINTR { request = remaining }
    }

    private static func read(_ id: clockid_t) -> UInt64 {
        var now = timespec()
        clock_gettime(id, &now)
        return UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec)
    }
}

extension Duration {
    /// The duration in whole nanoseconds (negative durations count as zero).
    var nanos: UInt64 {
        let parts = components
        let total = Double(parts.seconds) * 1e9 + Double(parts.attoseconds) / 1e9
        return total <= 0 ? 0 : UInt64(total)
    }

    /// The duration in seconds.
    var seconds: Double { Double(nanos) / 1e9 }
}

/// SplitMix64: a tiny, fast, seedable generator, so every run simulates the same hosts.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var value = state
        value = (value ^ (value >> 30)) &* 0xBF58_476D_1CE4_E5B9
        value = (value ^ (value >> 27)) &* 0x94D0_49BB_1331_11EB
        return value ^ (value >> 31)
    }

    /// A uniformly distributed value in `range`.
    mutating func int(_ range: ClosedRange<Int64>) -> Int64 { Int64.random(in: range, using: &self) }
}

/// Number formatting for the summary.
enum Format {
    /// `value` with `decimals` digits after the point.
    static func fixed(_ value: Double, _ decimals: Int) -> String {
        guard value.isFinite else { return "-" }
        var scale = 1.0
        for _ in 0..<decimals { scale *= 10 }
        let rounded = (abs(value) * scale).rounded()
        let whole = Int64(rounded / scale)
        var text = (value < 0 && rounded != 0 ? "-" : "") + grouped(whole)
        if decimals > 0 {
            let fraction = Int64(rounded) - whole * Int64(scale)
            let digits = String(fraction)
            text += "." + String(repeating: "0", count: decimals - digits.count) + digits
        }
        return text
    }

    /// `value` rounded to `places` decimals, for JSON output.
    static func rounded(_ value: Double, _ places: Int) -> Double {
        var scale = 1.0
        for _ in 0..<places { scale *= 10 }
        return (value * scale).rounded() / scale
    }

    /// An integer with thousands separators: 1,234,567.
    static func grouped(_ value: Int64) -> String {
        let digits = String(value.magnitude)
        var result = ""
        for (index, character) in digits.enumerated() {
            if index > 0, (digits.count - index) % 3 == 0 { result.append(",") }
            result.append(character)
        }
        return value < 0 ? "-" + result : result
    }

    /// An integer with thousands separators.
    static func grouped(_ value: Int) -> String { grouped(Int64(value)) }

    /// KiB as MiB with one decimal.
    static func mebibytes(_ kibibytes: Int) -> String { fixed(Double(kibibytes) / 1024, 1) + " MiB" }
}
