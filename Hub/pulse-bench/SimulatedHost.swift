import Foundation
import PulseCommon

/// One simulated machine: its report encoded once with the wire encoder, then patched in place before each post
/// (timestamp, uptime, load, CPU, memory, disk usage, disk and network counters, temperatures). Owned by one
/// client thread.
final class SimulatedHost {
    let hostname: String
    /// The report as it will be sent next; valid JSON at all times.
    private(set) var body: [UInt8]
    private let slots: [PatchPosition]
    private let timestampOffset: Int
    private let profile: HostProfile
    /// Wall time the counters count from (shared by every copy of this host).
    private let epochWallNanos: UInt64
    private var lastTimestamp: UInt64 = 0
    private var cpu: Int64
    private var load: [Int64]
    private var memoryUsed: Int64
    private var temperatures: [Int64]

    /// Builds host `index`; `encoder` must be `WireJSON.encoder()` (it is used only during set-up).
    init(index: Int, hostnamePrefix: String, digits: Int, epochWallNanos: UInt64,
         encoder: JSONEncoder) throws(TemplateError) {
        profile = HostProfile(index: index, hostnamePrefix: hostnamePrefix, digits: digits)
        var allocator = SlotAllocator()
        let report = profile.makeTemplateReport(into: &allocator)
        guard allocator.slots.count == SlotIndex.count else {
            throw TemplateError(description: "expected \(SlotIndex.count) slots, allocated \(allocator.slots.count)")
        }
        let template = try ReportTemplate.encode(report, slots: allocator.slots, encoder: encoder)
        hostname = profile.hostname
        body = template.body
        slots = template.slots
        timestampOffset = template.timestampOffset
        self.epochWallNanos = epochWallNanos
        cpu = profile.cpuStart
        load = profile.loadStart
        memoryUsed = profile.memoryUsedStart
        temperatures = profile.temperatureStart
        var random = SplitMix64(seed: UInt64(index))
        var cache = TimestampCache()
        advance(wallNanos: epochWallNanos, random: &random, cache: &cache)
    }

    /// Moves the host forward to `wallNanos` and rewrites every changing number in `body`. The timestamp is
    /// strictly greater than the previous one, even if the wall clock stepped back.
    func advance(wallNanos: UInt64, random: inout SplitMix64, cache: inout TimestampCache) {
        let timestamp = max(wallNanos, lastTimestamp + 1)
        lastTimestamp = timestamp
        let seconds = timestamp > epochWallNanos ? Double(timestamp - epochWallNanos) / 1e9 : 0

        for index in 0..<3 { load[index] = clamp(load[index] + random.int(-8...8), 0, 999) }
        cpu = clamp(cpu + random.int(-250...250), 50, 9_950)
        let total = profile.memoryTotal
        memoryUsed = clamp(memoryUsed + random.int(-33_554_432...33_554_432), profile.memoryUsedRange.lowerBound,
                           profile.memoryUsedRange.upperBound)
        for index in temperatures.indices {
            temperatures[index] = clamp(temperatures[index] + random.int(-4...4), 250, 900)
        }

        let slots = self.slots
        let profile = self.profile
        let (load, cpu, memoryUsed, temperatures) = (self.load, self.cpu, self.memoryUsed, self.temperatures)
        let timestampOffset = self.timestampOffset
        body.withUnsafeMutableBufferPointer { buffer in
            SlotWriter.writeTimestamp(timestamp, into: buffer, at: timestampOffset, cache: &cache)
            func put(_ index: Int, _ value: Int64) { SlotWriter.write(value, into: buffer, slot: slots[index]) }

            put(SlotIndex.uptime, profile.uptimeBase + Int64(seconds))
            for index in 0..<3 { put(SlotIndex.load + index, load[index]) }
            put(SlotIndex.cpu, cpu)
            put(SlotIndex.memoryUsed, memoryUsed)
            put(SlotIndex.memoryFree, total - memoryUsed)
            put(SlotIndex.memoryUsage, memoryUsed * 10_000 / total)
            for (disk, mount) in HostProfile.mounts.enumerated() {
                let grown = profile.diskUsedStart[disk] + Int64(profile.diskGrowthPerSecond[disk] * seconds)
                let used = min(grown, profile.diskUsedCap[disk])
                put(SlotIndex.disks + disk * 3, used)
                put(SlotIndex.disks + disk * 3 + 1, mount.totalBytes - used)
                put(SlotIndex.disks + disk * 3 + 2, used * 10_000 / mount.totalBytes)
            }
            for index in 0..<28 {
                put(SlotIndex.diskIO + index, profile.ioStart[index] + Int64(profile.ioPerSecond[index] * seconds))
            }
            for index in 0..<8 {
                put(SlotIndex.network + index,
                    profile.networkStart[index] + Int64(profile.networkPerSecond[index] * seconds))
            }
            for index in 0..<10 { put(SlotIndex.temperatures + index, temperatures[index]) }
        }
    }

    private func clamp(_ value: Int64, _ low: Int64, _ high: Int64) -> Int64 { min(max(value, low), high) }
}
