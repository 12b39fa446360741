/// The spool's bookkeeping, whatever holds the reports: each report's `sequenceId` and encoded size, oldest first,
/// and which reports must go to stay within the bounds.
struct SpoolIndex: Sendable, Equatable {
    struct Entry: Sendable, Equatable {
        var sequence: Int64
        var bytes: Int
    }

    let bounds: SpoolBounds
    /// Ascending by sequence.
    private(set) var entries: [Entry] = []
    private(set) var totalBytes = 0

    init(bounds: SpoolBounds) {
        self.bounds = bounds
    }

    var count: Int { entries.count }
    var isEmpty: Bool { entries.isEmpty }
    var highestSequence: Int64? { entries.last?.sequence }

    func contains(_ sequence: Int64) -> Bool { position(of: sequence).found }

    /// Adds a report, or updates its size if the sequence is already there. New reports usually carry the
    /// highest sequence, so this appends; anything else is inserted in order.
    mutating func insert(sequence: Int64, bytes: Int) {
        let (index, found) = position(of: sequence)
        if found {
            totalBytes += bytes - entries[index].bytes
            entries[index].bytes = bytes
        } else {
            entries.insert(Entry(sequence: sequence, bytes: bytes), at: index)
            totalBytes += bytes
        }
    }

    /// Removes a report; `false` if it was not there.
    @discardableResult
    mutating func remove(_ sequence: Int64) -> Bool {
        let (index, found) = position(of: sequence)
        guard found else { return false }
        totalBytes -= entries[index].bytes
        entries.remove(at: index)
        return true
    }

    /// Removes the oldest reports until both bounds hold, and returns their sequences (oldest first).
    mutating func evictToFit() -> [Int64] {
        var evicted = 0
        var bytes = totalBytes
        while entries.count - evicted > bounds.maxReports || (bytes > bounds.maxBytes && evicted < entries.count) {
            bytes -= entries[evicted].bytes
            evicted += 1
        }
        guard evicted > 0 else { return [] }
        let victims = entries[..<evicted].map(\.sequence)
        entries.removeFirst(evicted)
        totalBytes = bytes
        return victims
    }

    /// The oldest `limit` sequences.
    func oldest(limit: Int) -> [Int64] {
        entries.prefix(max(0, limit)).map(\.sequence)
    }

    /// Binary search: the index of `sequence`, or where it would be inserted.
    private func position(of sequence: Int64) -> (index: Int, found: Bool) {
        if let last = entries.last, last.sequence < sequence { return (entries.count, false) }
        var low = 0
        var high = entries.count
        while low < high {
            let middle = (low + high) / 2
            if entries[middle].sequence < sequence { low = middle + 1 } else { high = middle }
        }
        return (low, low < entries.count && entries[low].sequence == sequence)
    }
}
