/// One md array as `/proc/mdstat` describes it (drivers/md/md.c `md_seq_show`).
///
/// ```
/// md6 : active raid1 sdb2[2](F) sdc[1](S) sda2[0]
///       195310144 blocks [2/1] [U_]
///       [=>...................]  recovery =  8.5% (16775552/195310144) finish=17.0min speed=259783K/sec
/// ```
public struct MDStatArray: Sendable, Equatable {
    /// A member disk: `sdb2[2](F)` is `sdb2`, descriptor 2, faulty.
    public struct Member: Sendable, Equatable {
        public var device: String
        /// The descriptor number in brackets (mdadm's "Number").
        public var number: Int
        public var faulty: Bool
        public var spare: Bool

        public init(device: String, number: Int, faulty: Bool = false, spare: Bool = false) {
            self.device = device
            self.number = number
            self.faulty = faulty
            self.spare = spare
        }
    }

    /// A running or queued resync, recovery, reshape, check or repair.
    public struct Operation: Sendable, Equatable {
        /// `recovery`, `resync`, `reshape`, `check` or `repair`.
        public var kind: String
        public var percent: Double?
        /// The `speed=` value, e.g. `259783K/sec`.
        public var speed: String?
        /// `DELAYED` or `PENDING` for a queued operation (`resync=DELAYED`).
        public var queued: String?

        public init(kind: String, percent: Double? = nil, speed: String? = nil, queued: String? = nil) {
            self.kind = kind
            self.percent = percent
            self.speed = speed
            self.queued = queued
        }
    }

    /// `md0`.
    public var name: String
    public var active: Bool
    /// `raid1`, `raid6`, `linear`, …; absent for inactive arrays that never assembled and external containers.
    public var level: String?
    public var members: [Member]
    public var blocks: UInt64?
    /// `1.2`, `external:imsm`, `external:/md127/0`.
    public var superblock: String?
    /// `[n/m]`: devices the array should have, and those in sync.
    public var raidDisks: Int?
    public var inSyncDisks: Int?
    /// `[UU_]` without brackets: one letter per slot, `_` for a missing one.
    public var slotStatus: String?
    public var operation: Operation?

    public init(name: String, active: Bool, level: String? = nil, members: [Member] = [], blocks: UInt64? = nil,
                superblock: String? = nil, raidDisks: Int? = nil, inSyncDisks: Int? = nil, slotStatus: String? = nil,
                operation: Operation? = nil) {
        self.name = name
        self.active = active
        self.level = level
        self.members = members
        self.blocks = blocks
        self.superblock = superblock
        self.raidDisks = raidDisks
        self.inSyncDisks = inSyncDisks
        self.slotStatus = slotStatus
        self.operation = operation
    }
}

/// Parses `/proc/mdstat`.
public enum MDStat {
    static let source = "/proc/mdstat"
    static let personalities: Set<String> = ["linear", "multipath", "raid0", "raid1", "raid4", "raid5", "raid6",
                                             "raid10", "faulty"]
    static let operations = ["recovery", "resync", "reshape", "check", "repair"]

    /// Every array, in file order. Lines the kernel never writes in that shape are parse errors.
    public static func parse(_ text: String) throws(ParseError) -> [MDStatArray] {
        var arrays: [MDStatArray] = []
        for line in text.split(separator: "\n", omittingEmptySubsequences: true) {
            let trimmed = line.trimmingWhitespace()
            if trimmed.isEmpty || trimmed.hasPrefix("Personalities") || trimmed.hasPrefix("unused devices")
                || trimmed.hasPrefix("read_ahead") || trimmed.hasPrefix("bitmap:") {
                continue
            }
            if line.first?.isWhitespace == false {
                arrays.append(try header(line))
            } else {
                guard !arrays.isEmpty else { throw ParseError(source, "detail line before any array", line: line) }
                try detail(trimmed, into: &arrays[arrays.count - 1])
            }
        }
        return arrays
    }

    /// `md6 : active raid1 sdb2[2](F) sdc[1](S) sda2[0]`.
    static func header(_ line: Substring) throws(ParseError) -> MDStatArray {
        let fields = line.split(separator: " ")
        guard fields.count >= 3, fields[1] == ":" else { throw ParseError(source, "malformed array line", line: line) }
        var array = MDStatArray(name: String(fields[0]), active: false)
        switch fields[2] {
        case "active": array.active = true
        case "inactive": array.active = false
        default: throw ParseError(source, "unknown array state", line: line)
        }
        for field in fields.dropFirst(3) {
            if field.hasPrefix("(") { continue }  // (auto-read-only), (read-only)
            if personalities.contains(String(field)) && array.level == nil && array.members.isEmpty {
                array.level = String(field)
                continue
            }
            array.members.append(try member(field, line: line))
        }
        return array
    }

    /// `sdb2[2](F)`, `sdc[1](S)`, `sdd1[3](W)`.
    static func member(_ field: Substring, line: Substring) throws(ParseError) -> MDStatArray.Member {
        guard let open = field.firstIndex(of: "["), let close = field[open...].firstIndex(of: "]"),
              open > field.startIndex,
              let number = Int(field[field.index(after: open)..<close]) else {
            throw ParseError(source, "malformed member", line: line)
        }
        let flags = field[field.index(after: close)...]
        return MDStatArray.Member(device: String(field[..<open]), number: number, faulty: flags.contains("(F)"),
                                  spare: flags.contains("(S)"))
    }

    /// The blocks line, a progress bar line, or a queued `resync=DELAYED`.
    static func detail(_ line: String, into array: inout MDStatArray) throws(ParseError) {
        let fields = line.split(separator: " ")
        if fields.count >= 2, fields[1] == "blocks" {
            guard let blocks = UInt64(fields[0]) else {
                throw ParseError(source, "non-numeric block count", line: line)
            }
            array.blocks = blocks
            for (index, field) in fields.enumerated() {
                if field == "super", index + 1 < fields.count { array.superblock = String(fields[index + 1]) }
                guard field.hasPrefix("["), field.hasSuffix("]") else { continue }
                let inner = field.dropFirst().dropLast()
                if inner.contains("/") {
                    let parts = inner.split(separator: "/", omittingEmptySubsequences: false)
                    guard parts.count == 2, let total = Int(parts[0]), let inSync = Int(parts[1]) else {
                        throw ParseError(source, "malformed device counts", line: line)
                    }
                    array.raidDisks = total
                    array.inSyncDisks = inSync
                } else if !inner.isEmpty && inner.allSatisfy({ $0 == "U" || $0 == "_" }) {
                    array.slotStatus = String(inner)
                }
            }
            return
        }
        for kind in operations {
            if line.hasPrefix(kind + "=") {  // resync=DELAYED, resync=PENDING
                array.operation = MDStatArray.Operation(kind: kind, queued: String(line.dropFirst(kind.count + 1)))
                return
            }
            guard let equals = fields.firstIndex(where: { $0 == "=" }), equals > 0, fields[equals - 1] == kind else {
                continue
            }
            guard equals + 1 < fields.count, fields[equals + 1].hasSuffix("%"),
                  let percent = Double(fields[equals + 1].dropLast()), percent >= 0, percent <= 100 else {
                throw ParseError(source, "malformed progress", line: line)
            }
            let speed = fields.first { $0.hasPrefix("speed=") }.map { String($0.dropFirst("speed=".count)) }
            array.operation = MDStatArray.Operation(kind: kind, percent: percent, speed: speed)
            return
        }
        // Other lines (chunk details on their own line in old kernels) carry nothing the report uses.
    }
}
