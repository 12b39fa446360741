import Foundation
import PulseCommon
import Synchronization

/// The signed, hash-chained audit log in `pulse.db` (architecture section 6).
///
/// Every event is HMAC-SHA256 signed and linked to its predecessor. Two markers in `meta`, both MACed, close the
/// chain at its ends: `audit_anchor` (the first kept event after retention) and `audit_head` (the last event), so
/// deleting events at either end is detected like deleting one in the middle.
public final class AuditLog: Sendable {
    /// The outcome of checking the chain.
    public struct Verification: Sendable, Equatable {
        public var checked: Int
        /// The first broken link: the event's sequence and id (nil when the break is at an end marker) and why.
        public var firstBroken: (sequence: Int64, id: String?, reason: String)?

        public var verified: Bool { firstBroken == nil }

        public static func == (lhs: Verification, rhs: Verification) -> Bool {
            lhs.checked == rhs.checked && lhs.firstBroken?.sequence == rhs.firstBroken?.sequence
                && lhs.firstBroken?.id == rhs.firstBroken?.id && lhs.firstBroken?.reason == rhs.firstBroken?.reason
        }
    }

    let store: ControlStore
    let chain: AuditChain
    private let logger: Logger
    /// Events older than this are dropped by `applyRetention`.
    public let retentionDays: Int
    /// Where events are delivered (cached; persisted in `meta`).
    private let webhookURLs: Mutex<[String]>
    /// Called after an event is stored with deliveries queued (wakes the delivery worker).
    private let onQueued: Mutex<(@Sendable () -> Void)?> = Mutex(nil)

    public init(store: ControlStore, key: [UInt8], retentionDays: Int, logger: Logger) throws {
        self.store = store
        self.chain = AuditChain(key: key)
        self.logger = logger
        self.retentionDays = retentionDays
        let saved = try store.meta("audit_webhook_urls").flatMap { try? JSONDecoder().decode([String].self, from: Data($0.utf8)) }
        webhookURLs = Mutex(saved ?? [])
    }

    // MARK: Writing

    /// Stores an event. Failures are logged, never thrown: an audit problem must not turn a user's successful action
    /// into an error, and the structured log still has the event.
    @discardableResult
    public func record(_ event: String, user: String?, ip: String, path: String? = nil, success: Bool = true,
                       details: String? = nil, now: Date = Date()) -> AuditEvent? {
        var fields: [String: String] = ["event": event, "ip": ip, "success": String(success)]
        if let user { fields["user"] = user }
        if let details { fields["details"] = details }
        if success { logger.info("audit", fields) } else { logger.warn("audit", fields) }
        let urls = webhookURLs.withLock { $0 }
        do {
            let stored = try store.appendAuditEvent({ head, last in
                let (lastSequence, previousLink) = self.parseHead(head, last: last)
                var entry = AuditEvent(sequence: lastSequence + 1, id: UUID().uuidString.lowercased(),
                                       timestamp: RFC3339.format(now), event: Self.clip(event, 64), user: user.map { Self.clip($0, 256) },
                                       ip: Self.clip(ip, 64), path: path.map { Self.clip($0, 512) }, success: success,
                                       details: details.map { Self.clip($0, 2048) }, signature: "", prevHash: previousLink)
                entry.signature = self.chain.signature(of: entry)
                let next = self.chain.link(after: entry)
                return (entry, "\(entry.sequence) \(next) \(self.chain.headMAC(sequence: entry.sequence, next: next))", urls)
            }, now: now)
            if !urls.isEmpty { onQueued.withLock { $0 }?() }
            return stored
        } catch {
            logger.error("audit event not stored", ["event": event, "error": "\(error)"])
            return nil
        }
    }

    /// The last sequence and the link the next event must carry, from the head marker (genesis when the log is
    /// empty). A missing or forged marker next to stored events means the tail was tampered with: auditing goes on,
    /// but the next event carries a link that cannot verify, so the break stays visible after the marker is rewritten.
    private func parseHead(_ head: String?, last: AuditEvent?) -> (Int64, String) {
        guard let head else {
            guard let last else { return (0, chain.genesis) }
            logger.error("audit chain head marker is missing; the break is recorded in the next event")
            return (last.sequence, "head-marker-missing")
        }
        let parts = head.split(separator: " ")
        guard parts.count == 3, let sequence = Int64(parts[0]),
              chain.matches(String(parts[2]), chain.headMAC(sequence: sequence, next: String(parts[1]))) else {
            logger.error("audit chain head marker is damaged; the break is recorded in the next event")
            return (last?.sequence ?? 0, "head-marker-damaged")
        }
        return (sequence, String(parts[1]))
    }

    private static func clip(_ text: String, _ limit: Int) -> String {
        text.utf8.count <= limit ? text : String(decoding: Array(text.utf8.prefix(limit)), as: UTF8.self)
    }

    // MARK: Webhooks

    public var webhooks: [String] { webhookURLs.withLock { $0 } }

    public func setWebhooks(_ urls: [String]) throws {
        let data = try JSONEncoder().encode(urls)
        try store.setMeta("audit_webhook_urls", String(decoding: data, as: UTF8.self))
        webhookURLs.withLock { $0 = urls }
    }

    func setOnQueued(_ callback: @escaping @Sendable () -> Void) { onQueued.withLock { $0 = callback } }

    // MARK: Reading and verifying

    public func query(_ query: AuditQuery) throws -> (events: [AuditEvent], total: Int) {
        try store.auditEvents(matching: query)
    }

    /// Checks one event: its signature, and its link to the event before it (or to the anchor / genesis).
    /// Nil when there is no such event.
    public func verify(id: String) throws -> (verified: Bool, message: String)? {
        guard let event = try store.auditEvent(id: id) else { return nil }
        guard chain.matches(event.signature, chain.signature(of: event)) else {
            return (false, "Signature mismatch: the event was modified, or signed with a different key")
        }
        let expected: String
        if let previous = try store.auditEvent(sequence: event.sequence - 1) {
            expected = chain.link(after: previous)
        } else if let anchor = try anchor(), anchor.sequence == event.sequence {
            expected = anchor.prevHash
        } else if event.sequence == 1 {
            expected = chain.genesis
        } else {
            return (false, "Chain broken: the event before this one (sequence \(event.sequence - 1)) is missing")
        }
        guard chain.matches(event.prevHash, expected) else {
            return (false, "Chain broken: this event does not follow the stored event before it")
        }
        return (true, "Signature and chain link verified")
    }

    /// Walks the whole chain, oldest first, and names the first broken link.
    public func verifyAll(progress: ((Int) -> Void)? = nil) throws -> Verification {
        var result = Verification(checked: 0, firstBroken: nil)
        let anchor: (sequence: Int64, prevHash: String)?
        do {
            anchor = try self.anchor()
        } catch {
            result.firstBroken = (0, nil, "the retention anchor marker is damaged or forged")
            return result
        }
        var expectedSequence = anchor?.sequence ?? 1
        var expectedLink = anchor?.prevHash ?? chain.genesis
        var after: Int64 = 0
        while true {
            let page = try store.auditEvents(after: after, limit: 1000)
            if page.isEmpty { break }
            for event in page {
                if event.sequence != expectedSequence {
                    let reason = event.sequence > expectedSequence
                        ? "events \(expectedSequence)…\(event.sequence - 1) are missing before this one"
                        : "sequence \(event.sequence) is out of order"
                    result.firstBroken = (event.sequence, event.id, reason)
                    return result
                }
                guard chain.matches(event.signature, chain.signature(of: event)) else {
                    result.firstBroken = (event.sequence, event.id, "signature mismatch: the event was modified")
                    return result
                }
                guard chain.matches(event.prevHash, expectedLink) else {
                    result.firstBroken = (event.sequence, event.id, "prevHash does not link to the event before it")
                    return result
                }
                result.checked += 1
                expectedSequence += 1
                expectedLink = chain.link(after: event)
                after = event.sequence
            }
            progress?(result.checked)
        }
        let head = try store.meta("audit_head")
        if let head {
            let parts = head.split(separator: " ")
            guard parts.count == 3, let sequence = Int64(parts[0]),
                  chain.matches(String(parts[2]), chain.headMAC(sequence: sequence, next: String(parts[1]))) else {
                result.firstBroken = (expectedSequence, nil, "the chain head marker is damaged or forged")
                return result
            }
            if sequence != expectedSequence - 1 || !chain.matches(String(parts[1]), expectedLink) {
                result.firstBroken = (sequence, nil, "events \(expectedSequence)…\(sequence) at the end of the log are missing")
            }
        } else if result.checked > 0 {
            result.firstBroken = (expectedSequence - 1, nil, "the chain head marker is missing")
        }
        return result
    }

    /// The retention anchor, checked against its MAC.
    private func anchor() throws -> (sequence: Int64, prevHash: String)? {
        guard let text = try store.meta("audit_anchor") else { return nil }
        let parts = text.split(separator: " ")
        guard parts.count == 3, let sequence = Int64(parts[0]),
              chain.matches(String(parts[2]), chain.anchorMAC(sequence: sequence, prevHash: String(parts[1]))) else {
            throw AnchorDamaged()
        }
        return (sequence, String(parts[1]))
    }

    private struct AnchorDamaged: Error {}

    // MARK: Retention

    /// Drops events older than the retention period, moving the anchor to the first kept event. Returns how many
    /// were dropped.
    @discardableResult
    public func applyRetention(now: Date = Date()) throws -> Int {
        let cutoff = now.addingTimeInterval(-Double(retentionDays) * 86_400)
        let (dropped, firstKept) = try store.firstAuditEventKept(olderThan: cutoff)
        guard dropped > 0 else { return 0 }
        let sequence: Int64, link: String
        if let firstKept {
            (sequence, link) = (firstKept.sequence, firstKept.prevHash)
        } else {
            let head = parseHead(try store.meta("audit_head"), last: try store.lastAuditEvent())
            (sequence, link) = (head.0 + 1, head.1)
        }
        try store.dropAuditEvents(before: sequence, anchor: "\(sequence) \(link) \(chain.anchorMAC(sequence: sequence, prevHash: link))")
        logger.info("audit retention applied", ["dropped": String(dropped), "retentionDays": String(retentionDays)])
        return dropped
    }
}

/// The audit signing key: `PULSE_AUDIT_SIGNING_KEY`, or a random key generated once into `<data>/.audit_signing_key`
/// (0600).
public enum AuditKey {
    public static let fileName = ".audit_signing_key"

    public static func load(environmentValue: String?, dataDirectory: String) throws -> (key: [UInt8], source: String) {
        if let value = environmentValue?.trimmingWhitespace(), !value.isEmpty {
            guard value.utf8.count >= 16 else {
                throw HubConfiguration.Problem(description: "PULSE_AUDIT_SIGNING_KEY is too short: use at least 16 characters (32 random bytes as hex is best)")
            }
            return (Array(value.utf8), "environment")
        }
        let path = dataDirectory + "/" + fileName
        if let text = try? String(contentsOfFile: path, encoding: .utf8) {
            let hex = text.trimmingWhitespace()
            guard hex.isHex(length: 64), let bytes = hexBytes(hex) else {
                throw HubConfiguration.Problem(description: "\(path) is not a 64-character hex key; restore it from a backup (events signed with it cannot be verified otherwise)")
            }
            return (bytes, "file")
        }
        let bytes = Crypto.randomBytes(32)
        try FileSecurity.writePrivate(Array((bytes.hexString + "\n").utf8), to: path)
        return (bytes, "generated")
    }

    static func hexBytes(_ hex: String) -> [UInt8]? {
        let digits = Array(hex.utf8)
        guard digits.count % 2 == 0 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(digits.count / 2)
        for index in stride(from: 0, to: digits.count, by: 2) {
            guard let byte = UInt8(String(decoding: digits[index...index + 1], as: UTF8.self), radix: 16) else { return nil }
            bytes.append(byte)
        }
        return bytes
    }
}
