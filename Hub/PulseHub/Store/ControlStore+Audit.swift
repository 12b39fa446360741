import Foundation
import PulseCommon

/// Filters of `GET /api/audit` (hub-api section 7).
public struct AuditQuery: Sendable, Equatable {
    public var event: String?
    public var user: String?
    public var success: Bool?
    public var start: Date?
    public var end: Date?
    public var limit = 100
    public var offset = 0

    public init() {}
}

/// One queued or finished webhook delivery.
public struct AuditDelivery: Sendable, Equatable {
    public enum Status: String, Sendable {
        case pending, delivered, failed
    }

    public var id: Int64
    public var eventID: String
    public var event: String
    public var url: String
    public var body: [UInt8]
    public var status: Status
    public var attempts: Int
    public var nextAttemptAt: Date
    public var lastStatus: Int?
    public var lastError: String?
    public var createdAt: Date
    public var updatedAt: Date
}

/// A recovery token as stored: its SHA-256, never the token.
public struct RecoveryTokenRecord: Sendable, Equatable {
    public var hash: String
    public var createdAt: Date
    public var expiresAt: Date
    /// The address that first presented it; later uses must come from the same one.
    public var ip: String?
    public var usedAt: Date?
}

extension ControlStore {
    // MARK: Meta

    public func meta(_ key: String) throws -> String? {
        try database.query("SELECT value FROM meta WHERE key = ?", [.text(key)]).first?.first?.string
    }

    public func setMeta(_ key: String, _ value: String?) throws {
        if let value {
            try database.run("INSERT INTO meta(key, value) VALUES(?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                             [.text(key), .text(value)])
        } else {
            try database.run("DELETE FROM meta WHERE key = ?", [.text(key)])
        }
    }

    // MARK: Audit events

    static let auditColumns = "seq, id, timestamp, event, user, ip, path, success, details, signature, prev_hash"

    /// Appends an event built by `make` from the current chain head, with its webhook deliveries, in one
    /// `BEGIN IMMEDIATE` transaction, so appends from the hub and the admin CLI never fork the chain.
    /// `make` gets the head marker and the last stored event; it returns the event, the new head
    /// marker and the deliveries' URLs.
    func appendAuditEvent(_ make: (_ head: String?, _ last: AuditEvent?) throws -> (event: AuditEvent, head: String, urls: [String]),
                          now: Date) throws -> AuditEvent {
        try database.transaction { transaction in
            let head = try transaction.query("SELECT value FROM meta WHERE key = 'audit_head'").first?.first?.string
            let last = try transaction.query("SELECT \(Self.auditColumns) FROM audit_events ORDER BY seq DESC LIMIT 1")
                .first.flatMap(Self.auditEvent(from:))
            let built = try make(head, last)
            let event = built.event
            try transaction.run("""
                INSERT INTO audit_events(seq, id, ts, timestamp, event, user, ip, path, success, details, signature, prev_hash)
                VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, [.integer(event.sequence), .text(event.id), .integer(now.unixMilliseconds), .text(event.timestamp),
                      .text(event.event), event.user.map { .text($0) } ?? .null, .text(event.ip),
                      event.path.map { .text($0) } ?? .null, .integer(event.success ? 1 : 0),
                      event.details.map { .text($0) } ?? .null, .text(event.signature), .text(event.prevHash)])
            try transaction.run("INSERT INTO meta(key, value) VALUES('audit_head', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                                [.text(built.head)])
            let body = event.canonicalJSON(includingChain: true)
            for url in built.urls {
                try transaction.run("""
                    INSERT INTO audit_deliveries(event_id, event, url, body, status, attempts, next_attempt_at, created_at, updated_at)
                    VALUES(?, ?, ?, ?, 'pending', 0, ?, ?, ?)
                    """, [.text(event.id), .text(event.event), .text(url), .blob(body), .integer(now.unixMilliseconds),
                          .integer(now.unixMilliseconds), .integer(now.unixMilliseconds)])
            }
            return event
        }
    }

    public func auditEvent(id: String) throws -> AuditEvent? {
        try database.query("SELECT \(Self.auditColumns) FROM audit_events WHERE id = ?", [.text(id)])
            .first.flatMap(Self.auditEvent(from:))
    }

    public func auditEvent(sequence: Int64) throws -> AuditEvent? {
        try database.query("SELECT \(Self.auditColumns) FROM audit_events WHERE seq = ?", [.integer(sequence)])
            .first.flatMap(Self.auditEvent(from:))
    }

    /// Events with a sequence above `after`, oldest first, at most `limit` (for chain walks).
    public func auditEvents(after: Int64, limit: Int) throws -> [AuditEvent] {
        try database.query("SELECT \(Self.auditColumns) FROM audit_events WHERE seq > ? ORDER BY seq LIMIT ?",
                           [.integer(after), .integer(Int64(limit))]).compactMap(Self.auditEvent(from:))
    }

    /// The newest events matching `query`, and how many match without limit and offset.
    public func auditEvents(matching query: AuditQuery) throws -> (events: [AuditEvent], total: Int) {
        var conditions: [String] = []
        var parameters: [SQLiteValue] = []
        if let event = query.event { conditions.append("event = ?"); parameters.append(.text(event)) }
        if let user = query.user { conditions.append("user = ?"); parameters.append(.text(user)) }
        if let success = query.success { conditions.append("success = ?"); parameters.append(.integer(success ? 1 : 0)) }
        if let start = query.start { conditions.append("ts >= ?"); parameters.append(.integer(start.unixMilliseconds)) }
        if let end = query.end { conditions.append("ts <= ?"); parameters.append(.integer(end.unixMilliseconds)) }
        let filter = conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND ")
        let total = try database.query("SELECT COUNT(*) FROM audit_events" + filter, parameters).first?.first?.int64 ?? 0
        let events = try database.query("SELECT \(Self.auditColumns) FROM audit_events\(filter) ORDER BY seq DESC LIMIT ? OFFSET ?",
                                        parameters + [.integer(Int64(query.limit)), .integer(Int64(query.offset))])
            .compactMap(Self.auditEvent(from:))
        return (events, Int(total))
    }

    /// The first event kept when everything before `cutoff` is dropped, or nil when none is older.
    public func firstAuditEventKept(olderThan cutoff: Date) throws -> (dropped: Int, firstKept: AuditEvent?) {
        let dropped = try database.query("SELECT COUNT(*) FROM audit_events WHERE ts < ?", [.integer(cutoff.unixMilliseconds)])
            .first?.first?.int64 ?? 0
        let firstKept = try database.query("SELECT \(Self.auditColumns) FROM audit_events WHERE ts >= ? ORDER BY seq LIMIT 1",
                                           [.integer(cutoff.unixMilliseconds)]).first.flatMap(Self.auditEvent(from:))
        return (Int(dropped), firstKept)
    }

    /// Deletes events before `sequence` and records the new anchor, atomically.
    public func dropAuditEvents(before sequence: Int64, anchor: String) throws {
        try database.transaction { transaction in
            try transaction.run("DELETE FROM audit_events WHERE seq < ?", [.integer(sequence)])
            try transaction.run("INSERT INTO meta(key, value) VALUES('audit_anchor', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                                [.text(anchor)])
        }
    }

    public func lastAuditEvent() throws -> AuditEvent? {
        try database.query("SELECT \(Self.auditColumns) FROM audit_events ORDER BY seq DESC LIMIT 1").first.flatMap(Self.auditEvent(from:))
    }

    public func auditEventCount() throws -> Int {
        Int(try database.query("SELECT COUNT(*) FROM audit_events").first?.first?.int64 ?? 0)
    }

    private static func auditEvent(from row: [SQLiteValue]) -> AuditEvent? {
        guard row.count == 11, let sequence = row[0].int64, let id = row[1].string, let timestamp = row[2].string,
              let event = row[3].string, let ip = row[5].string, let success = row[7].int64,
              let signature = row[9].string, let prevHash = row[10].string else { return nil }
        return AuditEvent(sequence: sequence, id: id, timestamp: timestamp, event: event, user: row[4].string, ip: ip,
                          path: row[6].string, success: success != 0, details: row[8].string, signature: signature,
                          prevHash: prevHash)
    }

    // MARK: Webhook deliveries

    static let deliveryColumns = "id, event_id, event, url, body, status, attempts, next_attempt_at, last_status, last_error, created_at, updated_at"

    /// Pending deliveries due by `now`, oldest first.
    public func dueDeliveries(now: Date, limit: Int) throws -> [AuditDelivery] {
        try database.query("SELECT \(Self.deliveryColumns) FROM audit_deliveries WHERE status = 'pending' AND next_attempt_at <= ? ORDER BY id LIMIT ?",
                           [.integer(now.unixMilliseconds), .integer(Int64(limit))]).compactMap(Self.delivery(from:))
    }

    /// The most recent deliveries, newest first (delivery history).
    public func recentDeliveries(limit: Int) throws -> [AuditDelivery] {
        try database.query("SELECT \(Self.deliveryColumns) FROM audit_deliveries ORDER BY id DESC LIMIT ?",
                           [.integer(Int64(limit))]).compactMap(Self.delivery(from:))
    }

    public func pendingDeliveryCount() throws -> Int {
        Int(try database.query("SELECT COUNT(*) FROM audit_deliveries WHERE status = 'pending'").first?.first?.int64 ?? 0)
    }

    public func updateDelivery(_ delivery: AuditDelivery) throws {
        try database.run("""
            UPDATE audit_deliveries SET status = ?, attempts = ?, next_attempt_at = ?, last_status = ?, last_error = ?, updated_at = ?
            WHERE id = ?
            """, [.text(delivery.status.rawValue), .integer(Int64(delivery.attempts)), .integer(delivery.nextAttemptAt.unixMilliseconds),
                  delivery.lastStatus.map { .integer(Int64($0)) } ?? .null, delivery.lastError.map { .text($0) } ?? .null,
                  .integer(delivery.updatedAt.unixMilliseconds), .integer(delivery.id)])
    }

    /// Drops finished deliveries older than `cutoff` (history is kept for a while, the queue until delivered).
    public func pruneDeliveries(finishedBefore cutoff: Date) throws {
        try database.run("DELETE FROM audit_deliveries WHERE status != 'pending' AND updated_at < ?", [.integer(cutoff.unixMilliseconds)])
    }

    private static func delivery(from row: [SQLiteValue]) -> AuditDelivery? {
        guard row.count == 12, let id = row[0].int64, let eventID = row[1].string, let event = row[2].string,
              let url = row[3].string, let statusText = row[5].string, let status = AuditDelivery.Status(rawValue: statusText),
              let attempts = row[6].int64, let next = row[7].int64, let created = row[10].int64, let updated = row[11].int64 else { return nil }
        let body: [UInt8]
        switch row[4] {
        case .blob(let bytes): body = bytes
        case .text(let text): body = Array(text.utf8)
        default: body = []
        }
        return AuditDelivery(id: id, eventID: eventID, event: event, url: url, body: body, status: status,
                             attempts: Int(attempts), nextAttemptAt: Date(unixMilliseconds: next),
                             lastStatus: row[8].int64.map(Int.init), lastError: row[9].string,
                             createdAt: Date(unixMilliseconds: created), updatedAt: Date(unixMilliseconds: updated))
    }

    // MARK: Recovery tokens

    public func insert(_ token: RecoveryTokenRecord) throws {
        try database.run("INSERT INTO recovery_tokens(hash, created_at, expires_at, ip, used_at) VALUES(?, ?, ?, ?, ?)",
                         [.text(token.hash), .integer(token.createdAt.unixMilliseconds), .integer(token.expiresAt.unixMilliseconds),
                          token.ip.map { .text($0) } ?? .null, token.usedAt.map { .integer($0.unixMilliseconds) } ?? .null])
    }

    public func recoveryToken(hash: String) throws -> RecoveryTokenRecord? {
        guard let row = try database.query("SELECT hash, created_at, expires_at, ip, used_at FROM recovery_tokens WHERE hash = ?",
                                           [.text(hash)]).first,
              let created = row[1].int64, let expires = row[2].int64 else { return nil }
        return RecoveryTokenRecord(hash: hash, createdAt: Date(unixMilliseconds: created), expiresAt: Date(unixMilliseconds: expires),
                                   ip: row[3].string, usedAt: row[4].int64.map(Date.init(unixMilliseconds:)))
    }

    /// Binds a token to `ip` if it has no address yet; returns false when it is bound to another one.
    public func bindRecoveryToken(hash: String, ip: String) throws -> Bool {
        try database.run("UPDATE recovery_tokens SET ip = ? WHERE hash = ? AND ip IS NULL", [.text(ip), .text(hash)])
        return try recoveryToken(hash: hash)?.ip == ip
    }

    /// Marks a token used; returns false if it already was (so two concurrent uses cannot both succeed).
    public func consumeRecoveryToken(hash: String, now: Date) throws -> Bool {
        try database.run("UPDATE recovery_tokens SET used_at = ? WHERE hash = ? AND used_at IS NULL",
                         [.integer(now.unixMilliseconds), .text(hash)]) == 1
    }

    /// Drops expired tokens and those used more than a day ago.
    public func pruneRecoveryTokens(now: Date) throws {
        try database.run("DELETE FROM recovery_tokens WHERE expires_at < ? OR (used_at IS NOT NULL AND used_at < ?)",
                         [.integer(now.unixMilliseconds), .integer(now.addingTimeInterval(-86_400).unixMilliseconds)])
    }
}
