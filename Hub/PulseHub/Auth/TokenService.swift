import Foundation
import PulseCommon
import Synchronization

/// API tokens: creation, validation and revocation, with an in-memory index in front of `pulse.db`.
///
/// Validation hashes the presented token with SHA3-256 and looks the digest up; the stored digest is then
/// compared in constant time. `lastUsedAt` is kept in memory and written in batches by `flush()`, never once
/// per request. Changes made by another process (the admin CLI) are picked up by `reloadIfChanged()`.
public final class TokenService: Sendable {
    private struct State {
        var byHash: [String: APITokenRecord] = [:]
        var generation: Int64 = -1
        var pendingLastUsed: [String: Date] = [:]
    }

    private let store: ControlStore
    private let state = Mutex(State())
    private let logger: Logger

    public init(store: ControlStore, logger: Logger) throws {
        self.store = store
        self.logger = logger
        try reloadIfChanged()
    }

    /// A new raw token: 32 random bytes as 64 hex characters.
    public static func generateRawToken() -> String { Crypto.randomBytes(32).hexString }

    /// SHA3-256 hex of a raw token.
    public static func hash(_ raw: String) -> String { Crypto.sha3_256(Array(raw.utf8)).hexString }

    public enum Problem: Error {
        /// A supplied raw token is already in use.
        case duplicate
    }

    /// Creates and stores a token (a fresh random one unless `raw` is given); returns the raw value (shown once)
    /// and the record.
    public func create(name: String, scopes: [Scope], raw supplied: String? = nil, source: String = "api",
                       now: Date = Date()) throws -> (raw: String, record: APITokenRecord) {
        let raw = supplied ?? Self.generateRawToken()
        if supplied != nil, try store.token(hash: Self.hash(raw)) != nil { throw Problem.duplicate }
        let record = APITokenRecord(id: UUID().uuidString.lowercased(), name: name, hash: Self.hash(raw),
                                    prefix: String(raw.prefix(6)), suffix: String(raw.suffix(4)), scopes: scopes,
                                    createdAt: now, lastUsedAt: nil, source: source)
        try store.insert(record)
        state.withLock { $0.byHash[record.hash] = record }
        return (raw, record)
    }

    /// Finds the token a caller presented, recording its use. `nil` when unknown.
    public func authenticate(_ raw: String, now: Date = Date()) -> APITokenRecord? {
        guard !raw.isEmpty, raw.utf8.count <= 512 else { return nil }
        let digest = Self.hash(raw)
        var record = state.withLock { $0.byHash[digest] }
        if record == nil {
            // Possibly created a moment ago by the CLI: one indexed lookup, then cached.
            if let stored = try? store.token(hash: digest) {
                state.withLock { $0.byHash[digest] = stored }
                record = stored
            }
        }
        guard var found = record, Crypto.constantTimeEqual(Array(found.hash.utf8), Array(digest.utf8)) else {
            return nil
        }
        found.lastUsedAt = now
        state.withLock { state in
            state.byHash[digest]?.lastUsedAt = now
            state.pendingLastUsed[found.id] = now
        }
        return found
    }

    /// Every token, newest first, with in-memory `lastUsedAt`.
    public func list() -> [APITokenRecord] {
        state.withLock { Array($0.byHash.values) }.sorted {
            $0.createdAt != $1.createdAt ? $0.createdAt > $1.createdAt : $0.id < $1.id
        }
    }

    /// The record with this id.
    public func record(id: String) -> APITokenRecord? {
        state.withLock { state in state.byHash.values.first(where: { $0.id == id }) }
    }

    /// Whether any token exists.
    public var isEmpty: Bool { state.withLock { $0.byHash.isEmpty } }

    /// Gives a token a new random secret, keeping its id, scopes and host bindings; the old secret stops working
    /// at once. Nil when no such token exists.
    public func rotate(id: String, now: Date = Date()) throws -> (raw: String, record: APITokenRecord)? {
        let raw = Self.generateRawToken()
        let cached = record(id: id)
        guard let old = try cached ?? store.allTokens().first(where: { $0.id == id }),
              let updated = try store.replaceTokenSecret(id: id, hash: Self.hash(raw), prefix: String(raw.prefix(6)),
                                                         suffix: String(raw.suffix(4))) else { return nil }
        state.withLock { state in
            state.byHash[old.hash] = nil
            state.byHash[updated.hash] = updated
        }
        return (raw, updated)
    }

    /// Deletes a token. Returns false when no such token exists.
    public func revoke(id: String) throws -> Bool {
        guard let record = try store.deleteToken(id: id) else { return false }
        forget(hash: record.hash)
        return true
    }

    /// Drops a token from the in-memory index (after the store deleted it).
    public func forget(id: String) {
        state.withLock { state in
            if let hash = state.byHash.first(where: { $0.value.id == id })?.key { state.byHash[hash] = nil }
            state.pendingLastUsed[id] = nil
        }
    }

    private func forget(hash: String) {
        state.withLock { state in
            if let id = state.byHash[hash]?.id { state.pendingLastUsed[id] = nil }
            state.byHash[hash] = nil
        }
    }

    /// Seeds tokens from `API_TOKEN` / `API_TOKENS`: plain values are hashed, 64-hex values are taken as SHA3
    /// digests. Each becomes a `*` token named `Migrated from .env (<prefix>)` unless an operator deleted it.
    public func seed(fromEnvironment values: [String], now: Date = Date()) throws {
        for value in values {
            let hash = value.isHex(length: 64) ? value.lowercased() : Self.hash(value)
            if try store.token(hash: hash) != nil || store.isSuppressed(hash: hash) { continue }
            let record = APITokenRecord(id: UUID().uuidString.lowercased(), name: "Migrated from .env (\(hash.prefix(6)))",
                                        hash: hash, prefix: String(value.prefix(6)), suffix: String(value.suffix(4)),
                                        scopes: [.all], createdAt: now, lastUsedAt: nil, source: "env")
            try store.insert(record)
            logger.info("seeded API token from environment", ["tokenId": record.id])
        }
        try reloadIfChanged()
    }

    /// Reloads the index when another process changed the tokens.
    public func reloadIfChanged() throws {
        let generation = try store.tokenGeneration()
        guard generation != state.withLock({ $0.generation }) else { return }
        let records = try store.allTokens()
        state.withLock { state in
            var index: [String: APITokenRecord] = [:]
            for var record in records {
                if let used = state.byHash[record.hash]?.lastUsedAt, used > (record.lastUsedAt ?? .distantPast) {
                    record.lastUsedAt = used
                }
                index[record.hash] = record
            }
            state.byHash = index
            state.generation = generation
        }
    }

    /// Writes pending `lastUsedAt` values.
    public func flush() throws {
        let pending = state.withLock { state -> [String: Date] in
            defer { state.pendingLastUsed.removeAll() }
            return state.pendingLastUsed
        }
        do {
            try store.saveLastUsed(pending)
        } catch {
            state.withLock { state in state.pendingLastUsed.merge(pending) { current, _ in current } }
            throw error
        }
    }
}
