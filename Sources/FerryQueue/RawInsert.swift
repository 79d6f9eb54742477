import GRDB
import GRDBSQLite

/// A prepared statement bound through SQLite's C API directly. Only the enqueue path uses
/// it: at a million records, boxing every value into GRDB arguments (and a C string per
/// text value) cost as much as SQLite itself. It runs on the caller's connection, inside
/// the caller's transaction, and lives for one call.
final class RawInsert {
    private let handle: OpaquePointer
    private let connection: OpaquePointer
    private var index: Int32 = 0
    /// SQLite copies the bytes before the bind call returns.
    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    init(_ db: Database, sql: String) throws {
        guard let connection = db.sqliteConnection else { throw DatabaseError(resultCode: .SQLITE_MISUSE, message: "connection closed") }
        var statement: OpaquePointer?
        let code = sqlite3_prepare_v2(connection, sql, -1, &statement, nil)
        guard code == SQLITE_OK, let statement else {
            throw DatabaseError(resultCode: ResultCode(rawValue: code), message: String(cString: sqlite3_errmsg(connection)), sql: sql)
        }
        (self.handle, self.connection) = (statement, connection)
    }

    deinit { sqlite3_finalize(handle) }

    func bind(_ text: String) {
        index += 1
        var text = text
        text.withUTF8 { bytes in
            // An empty buffer may have no address, and a NULL pointer would bind NULL.
            _ = sqlite3_bind_text(handle, index, bytes.baseAddress.map(UnsafeRawPointer.init) ?? UnsafeRawPointer(("" as StaticString).utf8Start),
                Int32(bytes.count), Self.transient)
        }
    }

    func bind(_ blob: [UInt8]) {
        index += 1
        blob.withUnsafeBytes { bytes in
            _ = sqlite3_bind_blob(handle, index, bytes.baseAddress ?? UnsafeRawPointer(("" as StaticString).utf8Start), Int32(bytes.count), Self.transient)
        }
    }

    /// Runs the statement with what was bound, then readies it for the next row set.
    func step() throws {
        let code = sqlite3_step(handle)
        index = 0
        sqlite3_reset(handle)
        guard code == SQLITE_DONE else {
            throw DatabaseError(resultCode: ResultCode(rawValue: code), message: String(cString: sqlite3_errmsg(connection)))
        }
    }
}
