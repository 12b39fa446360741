import CSQLite
import Foundation
import Synchronization

/// A value bound to or read from SQLite.
public enum SQLiteValue: Sendable, Equatable {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)
    case blob([UInt8])

    public var string: String? {
        if case .text(let value) = self { return value }
        return nil
    }

    public var int64: Int64? {
        switch self {
        case .integer(let value): return value
        case .real(let value): return Int64(exactly: value.rounded())
        default: return nil
        }
    }

    public var double: Double? {
        switch self {
        case .integer(let value): return Double(value)
        case .real(let value): return value
        default: return nil
        }
    }
}

/// A failed SQLite call, with SQLite's result code. The message may name tables; it is logged, never sent to
/// clients.
public struct SQLiteError: Error, CustomStringConvertible, Sendable {
    public let code: Int32
    public let message: String
    public var description: String { "SQLite error \(code): \(message)" }
    /// The database was locked past the busy timeout.
    public var isBusy: Bool { code & 0xff == SQLITE_BUSY || code & 0xff == SQLITE_LOCKED }
}

/// One SQLite connection in WAL mode with a statement cache; the only file that imports SQLite.
///
/// Calls are serialized by a mutex, so an instance can be shared between threads. Several processes may open the
/// same file (the admin CLI does while the hub runs); WAL and the busy timeout make that safe.
public final class SQLiteDatabase: @unchecked Sendable {
    // @unchecked: `connection` and `statements` are only touched while holding `lock`.
    private let lock = Mutex(())
    private let connection: OpaquePointer
    private var statements: [String: OpaquePointer] = [:]

    /// Opens (creating if needed) a database file, or `:memory:`.
    public init(path: String, busyTimeout: Duration = .seconds(5)) throws(SQLiteError) {
        var handle: OpaquePointer?
        let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX
        let result = sqlite3_open_v2(path, &handle, flags, nil)
        guard result == SQLITE_OK, let handle else {
            let message = handle.map { String(cString: sqlite3_errmsg($0)) } ?? "cannot open database"
            if let handle { sqlite3_close_v2(handle) }
            throw SQLiteError(code: result, message: message)
        }
        connection = handle
        sqlite3_busy_timeout(handle, Int32(busyTimeout.components.seconds * 1000))
        if path != ":memory:" {
            _ = try query("PRAGMA journal_mode=WAL")
        }
        try execute("PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;")
    }

    deinit {
        for statement in statements.values { sqlite3_finalize(statement) }
        sqlite3_close_v2(connection)
    }

    /// Runs one or more statements without parameters or results.
    public func execute(_ sql: String) throws(SQLiteError) {
        try lock.withLock { _ throws(SQLiteError) in
            var errorMessage: UnsafeMutablePointer<CChar>?
            let result = sqlite3_exec(connection, sql, nil, nil, &errorMessage)
            if result != SQLITE_OK {
                let message = errorMessage.map { String(cString: $0) } ?? "exec failed"
                sqlite3_free(errorMessage)
                throw SQLiteError(code: result, message: message)
            }
        }
    }

    /// Runs a statement and returns every row.
    @discardableResult
    public func query(_ sql: String, _ parameters: [SQLiteValue] = []) throws(SQLiteError) -> [[SQLiteValue]] {
        try lock.withLock { _ throws(SQLiteError) in try unlockedQuery(sql, parameters) }
    }

    /// Runs a statement and returns the number of rows it changed.
    @discardableResult
    public func run(_ sql: String, _ parameters: [SQLiteValue] = []) throws(SQLiteError) -> Int {
        try lock.withLock { _ throws(SQLiteError) in
            _ = try unlockedQuery(sql, parameters)
            return Int(sqlite3_changes(connection))
        }
    }

    /// Runs `body` inside `BEGIN IMMEDIATE … COMMIT`, rolling back if it throws. `body` gets a handle that runs
    /// statements inside the transaction.
    public func transaction<T>(_ body: (Transaction) throws -> T) throws -> T {
        try lock.withLock { _ in
            _ = try unlockedQuery("BEGIN IMMEDIATE", [])
            do {
                let value = try body(Transaction(database: self))
                _ = try unlockedQuery("COMMIT", [])
                return value
            } catch {
                _ = try? unlockedQuery("ROLLBACK", [])
                throw error
            }
        }
    }

    /// Statement access inside `transaction`.
    public struct Transaction {
        fileprivate let database: SQLiteDatabase

        @discardableResult
        public func query(_ sql: String, _ parameters: [SQLiteValue] = []) throws(SQLiteError) -> [[SQLiteValue]] {
            try database.unlockedQuery(sql, parameters)
        }

        @discardableResult
        public func run(_ sql: String, _ parameters: [SQLiteValue] = []) throws(SQLiteError) -> Int {
            _ = try database.unlockedQuery(sql, parameters)
            return Int(sqlite3_changes(database.connection))
        }
    }

    /// Copies the write-ahead log into the database file and empties it, so the file alone is a complete copy
    /// (called at shutdown; a backup of a stopped hub is then just `pulse.db`).
    public func checkpoint() throws(SQLiteError) {
        _ = try query("PRAGMA wal_checkpoint(TRUNCATE)")
    }

    /// The size of the database file in bytes (page count × page size).
    public func sizeInBytes() throws(SQLiteError) -> Int64 {
        let pages = try query("PRAGMA page_count").first?.first?.int64 ?? 0
        let size = try query("PRAGMA page_size").first?.first?.int64 ?? 0
        return pages * size
    }

    // Caller holds `lock`.
    private func unlockedQuery(_ sql: String, _ parameters: [SQLiteValue]) throws(SQLiteError) -> [[SQLiteValue]] {
        let statement = try prepared(sql)
        defer {
            sqlite3_reset(statement)
            sqlite3_clear_bindings(statement)
        }
        for (offset, value) in parameters.enumerated() {
            let index = Int32(offset + 1)
            let result: Int32
            switch value {
            case .null: result = sqlite3_bind_null(statement, index)
            case .integer(let number): result = sqlite3_bind_int64(statement, index, number)
            case .real(let number): result = sqlite3_bind_double(statement, index, number)
            case .text(let text): result = sqlite3_bind_text(statement, index, text, -1, csqlite_transient())
            case .blob(let bytes):
                result = bytes.withUnsafeBytes {
                    sqlite3_bind_blob(statement, index, $0.baseAddress, Int32($0.count), csqlite_transient())
                }
            }
            guard result == SQLITE_OK else { throw lastError(result) }
        }
        var rows: [[SQLiteValue]] = []
        while true {
            let step = sqlite3_step(statement)
            if step == SQLITE_DONE { break }
            guard step == SQLITE_ROW else { throw lastError(step) }
            let columns = sqlite3_column_count(statement)
            var row: [SQLiteValue] = []
            row.reserveCapacity(Int(columns))
            for column in 0..<columns {
                switch sqlite3_column_type(statement, column) {
                case SQLITE_INTEGER: row.append(.integer(sqlite3_column_int64(statement, column)))
                case SQLITE_FLOAT: row.append(.real(sqlite3_column_double(statement, column)))
                case SQLITE_TEXT:
                    if let text = sqlite3_column_text(statement, column) {
                        let count = Int(sqlite3_column_bytes(statement, column))
                        row.append(.text(String(decoding: UnsafeBufferPointer(start: text, count: count), as: UTF8.self)))
                    } else {
                        row.append(.null)
                    }
                case SQLITE_BLOB:
                    let count = Int(sqlite3_column_bytes(statement, column))
                    if let bytes = sqlite3_column_blob(statement, column), count > 0 {
                        row.append(.blob(Array(UnsafeRawBufferPointer(start: bytes, count: count))))
                    } else {
                        row.append(.blob([]))
                    }
                default: row.append(.null)
                }
            }
            rows.append(row)
        }
        return rows
    }

    private func prepared(_ sql: String) throws(SQLiteError) -> OpaquePointer {
        if let cached = statements[sql] { return cached }
        var statement: OpaquePointer?
        let result = sqlite3_prepare_v3(connection, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, nil)
        guard result == SQLITE_OK, let statement else { throw lastError(result) }
        statements[sql] = statement
        return statement
    }

    private func lastError(_ code: Int32) -> SQLiteError {
        SQLiteError(code: code, message: String(cString: sqlite3_errmsg(connection)))
    }
}
