package import GRDB
import GRDBSQLite
import Foundation

/// The store's tables on SQLite: statements are prepared once per connection by GRDB
/// (`cachedStatement`), then bound, stepped and read through SQLite's C API directly.
/// Going through GRDB's arguments and rows boxed every value twice (a `DatabaseValue`,
/// then a `StoreValue`), which cost the hot paths (outbox, inbox, digest index) a tenth of
/// a hop's throughput.
package final class SQLiteStoreConnection: StoreConnection {
    package let db: Database
    package var dialect: StoreDialect { .sqlite }
    /// SQLite copies bound bytes before the bind call returns.
    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
    /// Where an empty text or blob points: never NULL, which would bind NULL instead.
    nonisolated(unsafe) private static let empty = UnsafeRawPointer(("" as StaticString).utf8Start)

    package init(_ db: Database) { self.db = db }

    @discardableResult
    package func execute(sql: String, arguments: StoreArguments) throws -> Int {
        let handle = try prepared(sql, arguments)
        defer { sqlite3_reset(handle) }
        while true {
            let code = sqlite3_step(handle)
            if code == SQLITE_DONE { break }
            if code != SQLITE_ROW { throw failure(code, sql) }
        }
        return Int(sqlite3_changes(db.sqliteConnection))
    }

    package func rows(sql: String, arguments: StoreArguments) throws -> [StoreRow] {
        var rows: [StoreRow] = []
        try forEachRow(sql: sql, arguments: arguments) { rows.append($0) }
        return rows
    }

    package func forEachRow(sql: String, arguments: StoreArguments, _ body: (StoreRow) throws -> Void) throws {
        let handle = try prepared(sql, arguments)
        defer { sqlite3_reset(handle) }
        let count = sqlite3_column_count(handle)
        let columns = StoreColumns((0..<count).map { String(cString: sqlite3_column_name(handle, $0)) })
        while true {
            let code = sqlite3_step(handle)
            if code == SQLITE_DONE { return }
            guard code == SQLITE_ROW else { throw failure(code, sql) }
            var values: [StoreValue] = []
            values.reserveCapacity(Int(count))
            for index in 0..<count { values.append(Self.value(handle, index)) }
            try body(StoreRow(columns: columns, values: values))
        }
    }

    package func executeScript(_ sql: String) throws { try db.execute(sql: sql) }

    package func send(sql: String, arguments: StoreArguments) throws { try execute(sql: sql, arguments: arguments) }

    package func rows(sql: String, each: [StoreArguments]) throws -> [[StoreRow]] {
        try each.map { try rows(sql: sql, arguments: $0) }
    }

    /// The cached statement for `sql`, reset, with `arguments` bound.
    private func prepared(_ sql: String, _ arguments: StoreArguments) throws -> OpaquePointer {
        let handle = try db.cachedStatement(sql: sql).sqliteStatement
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
        guard Int(sqlite3_bind_parameter_count(handle)) == arguments.values.count else {
            throw DatabaseError(resultCode: .SQLITE_MISUSE, message: "\(arguments.values.count) arguments for \(sqlite3_bind_parameter_count(handle)) placeholders", sql: sql)
        }
        for (offset, value) in arguments.values.enumerated() {
            let index = Int32(offset + 1)
            let code: Int32
            switch value {
            case .null: code = sqlite3_bind_null(handle, index)
            case .integer(let number): code = sqlite3_bind_int64(handle, index, number)
            case .real(let number): code = sqlite3_bind_double(handle, index, number)
            case .text(var text):
                code = text.withUTF8 { bytes in
                    // An empty buffer may have no address, and a NULL pointer would bind NULL.
                    let start = UnsafeRawPointer(bytes.baseAddress) ?? Self.empty
                    return sqlite3_bind_text(handle, index, start.assumingMemoryBound(to: CChar.self), Int32(bytes.count), Self.transient)
                }
            case .blob(let bytes):
                code = bytes.withUnsafeBytes { raw in
                    sqlite3_bind_blob(handle, index, raw.baseAddress ?? Self.empty, Int32(raw.count), Self.transient)
                }
            }
            guard code == SQLITE_OK else { throw failure(code, sql) }
        }
        return handle
    }

    private func failure(_ code: Int32, _ sql: String) -> DatabaseError {
        DatabaseError(resultCode: ResultCode(rawValue: code & 0xff), message: String(cString: sqlite3_errmsg(db.sqliteConnection)), sql: sql)
    }

    /// Column `index` of the current row, copied once out of SQLite's buffer.
    static func value(_ handle: OpaquePointer, _ index: Int32) -> StoreValue {
        switch sqlite3_column_type(handle, index) {
        case SQLITE_INTEGER:
            return .integer(sqlite3_column_int64(handle, index))
        case SQLITE_FLOAT:
            return .real(sqlite3_column_double(handle, index))
        case SQLITE_TEXT:
            let count = Int(sqlite3_column_bytes(handle, index))
            guard let text = sqlite3_column_text(handle, index) else { return .text("") }
            return .text(String(decoding: UnsafeBufferPointer(start: text, count: count), as: UTF8.self))
        case SQLITE_BLOB:
            let count = Int(sqlite3_column_bytes(handle, index))
            guard let blob = sqlite3_column_blob(handle, index) else { return .blob([]) }
            return .blob([UInt8](UnsafeRawBufferPointer(start: blob, count: count)))
        default:
            return .null
        }
    }
}
