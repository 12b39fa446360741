import Foundation
import PulseCommon

/// A stored API token (hub-api section 2.2). Only the SHA3-256 hex of the raw token is kept.
public struct APITokenRecord: Sendable, Equatable {
    public var id: String
    public var name: String
    /// SHA3-256 hex of the raw token.
    public var hash: String
    /// First 6 characters of the raw token.
    public var prefix: String
    /// Last 4 characters of the raw token.
    public var suffix: String
    public var scopes: [Scope]
    public var createdAt: Date
    public var lastUsedAt: Date?
    /// `api` (created through the API or CLI) or `env` (migrated from `API_TOKEN`/`API_TOKENS`).
    public var source: String

    /// `prefix...suffix`, as the UI shows it.
    public var hint: String { "\(prefix)...\(suffix)" }
}

/// A host as persisted: identity, binding and the last report, so a restart lists the same fleet.
public struct StoredHost: Sendable, Equatable {
    public var id: String
    public var hostname: String
    public var tokenID: String?
    public var firstSeen: Date
    public var lastSeen: Date
    /// The last applied report, as JSON. Empty in an update means "unchanged".
    public var report: [UInt8]
    public var commandsEnabledOverride: Bool?
}

/// The control-plane store: `<data>/pulse.db`. Tokens, host registry and token bindings (later issues add
/// sessions, users, profiles, audit). Safe to open from the admin CLI while the hub runs.
public final class ControlStore: Sendable {
    let database: SQLiteDatabase

    /// Opens the store, creating or migrating the schema.
    public init(database: SQLiteDatabase) throws {
        self.database = database
        try migrate()
    }

    /// Opens `<dataDir>/pulse.db`.
    public convenience init(dataDirectory: String) throws {
        try self.init(database: SQLiteDatabase(path: dataDirectory + "/pulse.db"))
    }

    private static let migrations: [String] = [
        """
        CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
        CREATE TABLE api_tokens(
            id TEXT PRIMARY KEY, name TEXT NOT NULL, hash TEXT NOT NULL UNIQUE, prefix TEXT NOT NULL,
            suffix TEXT NOT NULL, scopes TEXT NOT NULL, created_at INTEGER NOT NULL, last_used_at INTEGER,
            source TEXT NOT NULL DEFAULT 'api');
        CREATE TABLE env_token_suppressions(hash TEXT PRIMARY KEY) WITHOUT ROWID;
        CREATE TABLE hosts(
            id TEXT PRIMARY KEY, hostname TEXT NOT NULL, token_id TEXT, first_seen INTEGER NOT NULL,
            last_seen INTEGER NOT NULL, report BLOB NOT NULL, commands_enabled_override INTEGER);
        CREATE TABLE host_token_bindings(
            token_id TEXT NOT NULL, hostname TEXT NOT NULL, host_id TEXT NOT NULL,
            PRIMARY KEY(token_id, hostname)) WITHOUT ROWID;
        CREATE INDEX host_token_bindings_host ON host_token_bindings(host_id);
        """,
        """
        CREATE TABLE users(
            username TEXT PRIMARY KEY, password_hash TEXT NOT NULL, source TEXT NOT NULL,
            env_fingerprint TEXT, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL) WITHOUT ROWID;
        CREATE TABLE sessions(
            key TEXT PRIMARY KEY, username TEXT NOT NULL, csrf_hash TEXT NOT NULL, created_at INTEGER NOT NULL,
            expires_at INTEGER NOT NULL, duration INTEGER NOT NULL, user_agent TEXT NOT NULL, ip TEXT NOT NULL) WITHOUT ROWID;
        CREATE INDEX sessions_user ON sessions(username);
        CREATE TABLE login_failures(
            key TEXT PRIMARY KEY, failures INTEGER NOT NULL, locked_until INTEGER, last_failure INTEGER NOT NULL) WITHOUT ROWID;
        """,
        """
        CREATE TABLE audit_events(
            seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, ts INTEGER NOT NULL, timestamp TEXT NOT NULL,
            event TEXT NOT NULL, user TEXT, ip TEXT NOT NULL, path TEXT, success INTEGER NOT NULL, details TEXT,
            signature TEXT NOT NULL, prev_hash TEXT NOT NULL);
        CREATE INDEX audit_events_ts ON audit_events(ts);
        CREATE TABLE audit_deliveries(
            id INTEGER PRIMARY KEY, event_id TEXT NOT NULL, event TEXT NOT NULL, url TEXT NOT NULL, body BLOB NOT NULL,
            status TEXT NOT NULL, attempts INTEGER NOT NULL, next_attempt_at INTEGER NOT NULL, last_status INTEGER,
            last_error TEXT, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL);
        CREATE INDEX audit_deliveries_due ON audit_deliveries(status, next_attempt_at);
        CREATE TABLE recovery_tokens(
            hash TEXT PRIMARY KEY, created_at INTEGER NOT NULL, expires_at INTEGER NOT NULL, ip TEXT,
            used_at INTEGER) WITHOUT ROWID;
        """,
        """
        CREATE TABLE agent_profiles(
            id TEXT PRIMARY KEY, name TEXT NOT NULL, config TEXT NOT NULL, created_at INTEGER NOT NULL,
            updated_at INTEGER NOT NULL) WITHOUT ROWID;
        CREATE TABLE agent_profile_assignments(
            agent_id TEXT PRIMARY KEY, profile_id TEXT NOT NULL REFERENCES agent_profiles(id) ON DELETE CASCADE,
            updated_at INTEGER NOT NULL) WITHOUT ROWID;
        """,
        // Docker hosts and Kubernetes clusters (issue 7): registry, 24 h removal blocks, docker command queue.
        """
        CREATE TABLE managed_agents(
            kind TEXT NOT NULL, id TEXT NOT NULL, agent_id TEXT NOT NULL, token_id TEXT, hostname TEXT NOT NULL,
            display_name TEXT, hidden INTEGER NOT NULL DEFAULT 0, pending_uninstall INTEGER NOT NULL DEFAULT 0,
            first_seen INTEGER NOT NULL, last_seen INTEGER NOT NULL, report BLOB NOT NULL,
            PRIMARY KEY(kind, id)) WITHOUT ROWID;
        CREATE TABLE managed_agent_removals(
            kind TEXT NOT NULL, id TEXT NOT NULL, agent_id TEXT NOT NULL, hostname TEXT NOT NULL, display_name TEXT,
            removed_at INTEGER NOT NULL, PRIMARY KEY(kind, id)) WITHOUT ROWID;
        CREATE TABLE docker_commands(
            id TEXT PRIMARY KEY, host_id TEXT NOT NULL, type TEXT NOT NULL, payload TEXT, status TEXT NOT NULL,
            message TEXT, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL) WITHOUT ROWID;
        CREATE INDEX docker_commands_host ON docker_commands(host_id);
        """,
    ]

    private func migrate() throws {
        let version = try database.query("PRAGMA user_version").first?.first?.int64 ?? 0
        guard version < Int64(Self.migrations.count) else { return }
        try database.transaction { transaction in
            for index in Int(version)..<Self.migrations.count {
                for statement in Self.migrations[index].split(separator: ";") where !statement.trimmingWhitespace().isEmpty {
                    try transaction.run(String(statement))
                }
            }
            try transaction.run("PRAGMA user_version = \(Self.migrations.count)")
        }
    }

    // MARK: Meta

    /// Copies the write-ahead log into `pulse.db` and empties it, so the file alone holds everything written (the
    /// hub calls it last at shutdown: a thread still holding the store must not leave committed rows only in the WAL).
    public func checkpoint() throws {
        _ = try database.query("PRAGMA wal_checkpoint(TRUNCATE)")
    }

    /// A counter bumped on every token change, so a running hub notices changes made by the CLI.
    public func tokenGeneration() throws -> Int64 {
        Int64(try database.query("SELECT value FROM meta WHERE key = 'token_generation'").first?.first?.string ?? "0") ?? 0
    }

    private func bumpTokenGeneration(_ transaction: SQLiteDatabase.Transaction) throws {
        try transaction.run("""
            INSERT INTO meta(key, value) VALUES('token_generation', '1')
            ON CONFLICT(key) DO UPDATE SET value = CAST(value AS INTEGER) + 1
            """)
    }

    // MARK: Tokens

    private static let tokenColumns = "id, name, hash, prefix, suffix, scopes, created_at, last_used_at, source"

    private static func token(from row: [SQLiteValue]) -> APITokenRecord? {
        guard row.count == 9, let id = row[0].string, let name = row[1].string, let hash = row[2].string,
              let prefix = row[3].string, let suffix = row[4].string, let scopeText = row[5].string,
              let created = row[6].int64, let source = row[8].string else { return nil }
        let scopes = scopeText.split(separator: ",").compactMap { Scope(rawValue: String($0)) }
        return APITokenRecord(id: id, name: name, hash: hash, prefix: prefix, suffix: suffix,
                              scopes: scopes.isEmpty ? [.all] : scopes,
                              createdAt: Date(unixMilliseconds: created),
                              lastUsedAt: row[7].int64.map(Date.init(unixMilliseconds:)), source: source)
    }

    /// Every token, newest first.
    public func allTokens() throws -> [APITokenRecord] {
        try database.query("SELECT \(Self.tokenColumns) FROM api_tokens ORDER BY created_at DESC, id")
            .compactMap(Self.token(from:))
    }

    /// The token with this hash, if any.
    public func token(hash: String) throws -> APITokenRecord? {
        try database.query("SELECT \(Self.tokenColumns) FROM api_tokens WHERE hash = ?", [.text(hash)])
            .first.flatMap(Self.token(from:))
    }

    /// Stores a new token.
    public func insert(_ token: APITokenRecord) throws {
        try database.transaction { transaction in
            try transaction.run("""
                INSERT INTO api_tokens(\(Self.tokenColumns)) VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, [.text(token.id), .text(token.name), .text(token.hash), .text(token.prefix), .text(token.suffix),
                      .text(token.scopes.map(\.rawValue).joined(separator: ",")),
                      .integer(token.createdAt.unixMilliseconds),
                      token.lastUsedAt.map { .integer($0.unixMilliseconds) } ?? .null, .text(token.source)])
            try bumpTokenGeneration(transaction)
        }
    }

    /// Deletes a token; an env-seeded one is remembered so it is not seeded again. Returns the deleted record.
    @discardableResult
    public func deleteToken(id: String) throws -> APITokenRecord? {
        try database.transaction { transaction in
            guard let record = try transaction.query("SELECT \(Self.tokenColumns) FROM api_tokens WHERE id = ?", [.text(id)])
                .first.flatMap(Self.token(from:)) else { return nil }
            try transaction.run("DELETE FROM api_tokens WHERE id = ?", [.text(id)])
            try transaction.run("DELETE FROM host_token_bindings WHERE token_id = ?", [.text(id)])
            if record.source == "env" {
                try transaction.run("INSERT OR IGNORE INTO env_token_suppressions(hash) VALUES(?)", [.text(record.hash)])
            }
            try bumpTokenGeneration(transaction)
            return record
        }
    }

    /// Gives a token a new secret, keeping its id, name, scopes and host bindings. An env-seeded token's old hash
    /// is suppressed so the environment does not bring it back. Returns the updated record.
    public func replaceTokenSecret(id: String, hash: String, prefix: String, suffix: String) throws -> APITokenRecord? {
        try database.transaction { transaction in
            guard let record = try transaction.query("SELECT \(Self.tokenColumns) FROM api_tokens WHERE id = ?", [.text(id)])
                .first.flatMap(Self.token(from:)) else { return nil }
            try transaction.run("UPDATE api_tokens SET hash = ?, prefix = ?, suffix = ?, source = 'api', last_used_at = NULL WHERE id = ?",
                                [.text(hash), .text(prefix), .text(suffix), .text(id)])
            if record.source == "env" {
                try transaction.run("INSERT OR IGNORE INTO env_token_suppressions(hash) VALUES(?)", [.text(record.hash)])
            }
            try bumpTokenGeneration(transaction)
            var updated = record
            updated.hash = hash
            updated.prefix = prefix
            updated.suffix = suffix
            updated.source = "api"
            updated.lastUsedAt = nil
            return updated
        }
    }

    /// Whether an env token with this hash was deleted by an operator.
    public func isSuppressed(hash: String) throws -> Bool {
        !(try database.query("SELECT 1 FROM env_token_suppressions WHERE hash = ?", [.text(hash)]).isEmpty)
    }

    /// Persists in-memory `lastUsedAt` values in one transaction.
    public func saveLastUsed(_ values: [String: Date]) throws {
        guard !values.isEmpty else { return }
        try database.transaction { transaction in
            for (id, date) in values {
                try transaction.run("UPDATE api_tokens SET last_used_at = ? WHERE id = ?",
                                    [.integer(date.unixMilliseconds), .text(id)])
            }
        }
    }

    // MARK: Hosts

    /// Every stored host.
    public func allHosts() throws -> [StoredHost] {
        try database.query("""
            SELECT id, hostname, token_id, first_seen, last_seen, report, commands_enabled_override FROM hosts
            """).compactMap { row in
            guard let id = row[0].string, let hostname = row[1].string, let first = row[3].int64,
                  let last = row[4].int64 else { return nil }
            let report: [UInt8]
            switch row[5] {
            case .blob(let bytes): report = bytes
            case .text(let text): report = Array(text.utf8)
            default: report = Array("{}".utf8)
            }
            return StoredHost(id: id, hostname: hostname, tokenID: row[2].string,
                              firstSeen: Date(unixMilliseconds: first), lastSeen: Date(unixMilliseconds: last),
                              report: report, commandsEnabledOverride: row[6].int64.map { $0 != 0 })
        }
    }

    /// Every token+hostname → host id binding.
    public func allBindings() throws -> [(tokenID: String, hostname: String, hostID: String)] {
        try database.query("SELECT token_id, hostname, host_id FROM host_token_bindings").compactMap { row in
            guard let token = row[0].string, let hostname = row[1].string, let host = row[2].string else { return nil }
            return (token, hostname, host)
        }
    }

    /// Creates a host and its binding atomically, so an id handed out is never lost.
    public func createHost(_ host: StoredHost, binding: (tokenID: String, hostname: String)?) throws {
        try database.transaction { transaction in
            try Self.upsert(host, transaction)
            if let binding {
                try transaction.run("""
                    INSERT OR REPLACE INTO host_token_bindings(token_id, hostname, host_id) VALUES(?, ?, ?)
                    """, [.text(binding.tokenID), .text(binding.hostname), .text(host.id)])
            }
        }
    }

    /// Writes the latest state of several hosts in one transaction.
    public func saveHosts(_ hosts: [StoredHost]) throws {
        guard !hosts.isEmpty else { return }
        try database.transaction { transaction in
            for host in hosts { try Self.upsert(host, transaction) }
        }
    }

    private static func upsert(_ host: StoredHost, _ transaction: SQLiteDatabase.Transaction) throws {
        try transaction.run("""
            INSERT INTO hosts(id, hostname, token_id, first_seen, last_seen, report, commands_enabled_override)
            VALUES(?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT(id) DO UPDATE SET hostname = excluded.hostname, token_id = excluded.token_id,
                last_seen = excluded.last_seen,
                report = CASE WHEN length(excluded.report) = 0 THEN hosts.report ELSE excluded.report END,
                commands_enabled_override = excluded.commands_enabled_override
            """, [.text(host.id), .text(host.hostname), host.tokenID.map { .text($0) } ?? .null,
                  .integer(host.firstSeen.unixMilliseconds), .integer(host.lastSeen.unixMilliseconds),
                  .blob(host.report), host.commandsEnabledOverride.map { .integer($0 ? 1 : 0) } ?? .null])
    }

    /// Deletes a host and its bindings. When `revokeUnusedToken` is set and no other host is bound to the host's
    /// token, that token is deleted too; the revoked token's id is returned.
    public func deleteHost(id: String, revokeUnusedToken: Bool) throws -> String? {
        try database.transaction { transaction in
            let tokenID = try transaction.query("SELECT token_id FROM hosts WHERE id = ?", [.text(id)]).first?.first?.string
            try transaction.run("DELETE FROM hosts WHERE id = ?", [.text(id)])
            try transaction.run("DELETE FROM host_token_bindings WHERE host_id = ?", [.text(id)])
            guard revokeUnusedToken, let tokenID else { return nil }
            let others = try transaction.query("SELECT 1 FROM hosts WHERE token_id = ? LIMIT 1", [.text(tokenID)])
            guard others.isEmpty else { return nil }
            let deleted = try transaction.run("DELETE FROM api_tokens WHERE id = ?", [.text(tokenID)])
            try transaction.run("DELETE FROM host_token_bindings WHERE token_id = ?", [.text(tokenID)])
            if deleted > 0 {
                try bumpTokenGeneration(transaction)
                return tokenID
            }
            return nil
        }
    }
}

extension Date {
    /// Milliseconds since 1970.
    public var unixMilliseconds: Int64 { Int64((timeIntervalSince1970 * 1000).rounded()) }

    public init(unixMilliseconds: Int64) { self.init(timeIntervalSince1970: Double(unixMilliseconds) / 1000) }
}
