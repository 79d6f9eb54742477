import Foundation
import GRDB
import GRDBSQLite
import FerryCore

extension SQLiteAdapter {
    /// Bytes copied per `sqlite3_blob_write`: memory stays at this whatever the document's size.
    static let blobPiece = 1 << 20

    /// Streams each document's file into the row just written, whose document columns hold
    /// `zeroblob(size)`: SQLite's incremental BLOB I/O (`sqlite3_blob_open`, "Open A BLOB For
    /// Incremental I/O"), so a 2 GiB document never sits in memory. Runs inside the
    /// caller's write transaction: a failure rolls the row back with it.
    /// - Throws: a retryable `FerryError` when the file is missing or shorter than its
    ///   reference says, or SQLite refuses the write.
    func fill(_ documents: [String: DocumentRef], table: String, keyClause: String, key: [DatabaseValue], db: Database) throws {
        guard !documents.isEmpty else { return }
        guard let rowid = try Int64.fetchOne(db.cachedStatement(sql: "SELECT rowid FROM \(table) WHERE \(keyClause)"), arguments: StatementArguments(key)) else {
            throw FerryError.adapter(.retryable, "the row just written to \(options.table) cannot be found again to fill its documents")
        }
        for (column, reference) in documents.sorted(by: { $0.key < $1.key }) {
            try write(reference, column: column, rowid: rowid, db: db)
        }
    }

    private func write(_ reference: DocumentRef, column: String, rowid: Int64, db: Database) throws {
        guard let path = reference.localPath, let input = FileHandle(forReadingAtPath: path) else {
            throw FerryError.adapter(.retryable, "document \(reference.digest) for column \(column) is not in this node's blob store",
                hint: "the record waits for its document; see ferry queue status")
        }
        defer { try? input.close() }
        var blob: OpaquePointer?
        let opened = sqlite3_blob_open(db.sqliteConnection, "main", options.table, column, rowid, 1, &blob)
        defer { if let blob { sqlite3_blob_close(blob) } }
        guard opened == SQLITE_OK, let blob else {
            throw FerryError.adapter(.retryable, "cannot open column \(column) of \(options.table) for writing: \(String(cString: sqlite3_errmsg(db.sqliteConnection)))",
                hint: "a document column must be a BLOB column of a rowid table (not WITHOUT ROWID)")
        }
        var offset: Int64 = 0
        while offset < reference.size {
            let piece = try input.read(upToCount: Int(min(Int64(Self.blobPiece), reference.size - offset))) ?? Data()
            guard !piece.isEmpty else {
                throw FerryError.adapter(.retryable, "document \(reference.digest) ends after \(offset) of its \(reference.size) bytes")
            }
            let status = piece.withUnsafeBytes { raw in sqlite3_blob_write(blob, raw.baseAddress, Int32(raw.count), Int32(offset)) }
            guard status == SQLITE_OK else {
                throw FerryError.adapter(.retryable, "writing document \(reference.digest) into \(options.table).\(column): \(String(cString: sqlite3_errmsg(db.sqliteConnection)))")
            }
            offset += Int64(piece.count)
        }
    }
}
