import Foundation
import GRDB
import FerryCore

/// Change capture for SQLite systems (`cursor: changes`): triggers that Ferry installs
/// (`ferry adapters install-capture`) write every insert, update and delete of the table
/// into `ferry_changes`, so deletes travel too and no timestamp column has to be trusted.
extension SQLiteAdapter: ChangeCapturing {
    static let changeTable = "ferry_changes"

    /// Creates the change table and the three triggers of `options.table`; running it again
    /// changes nothing. `keyColumns` name a row; `versionColumn`'s old value goes with a
    /// deletion so an older delete never removes a newer row elsewhere.
    public func installCapture(keyColumns: [String], versionColumn: String?) throws -> [String] {
        let table = options.table
        let ddl = CaptureDDL(dialect: .sqlite, schema: nil, table: table, keyColumns: keyColumns, versionColumn: versionColumn)
        var created: [String] = []
        do {
            try database.write { db in
                guard try db.tableExists(table) else {
                    throw FerryError.adapter(.configuration, "table \(table) does not exist in \(options.path.path)", hint: "fix options.table")
                }
                let columns = try db.columns(in: table).map(\.name)
                for column in keyColumns + (versionColumn.map { [$0] } ?? []) where !columns.contains(column) {
                    throw FerryError.adapter(.configuration, "column \(column) is not in table \(table)", hint: "columns: \(columns.joined(separator: ", "))")
                }
                try db.execute(sql: ddl.createChangeTable)
                for trigger in ddl.triggers {
                    let existing = try String.fetchOne(db, sql: "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = ?", arguments: [trigger.name])
                    // Update triggers of earlier versions lacked the key-change deletion: replaced.
                    if let existing, !trigger.name.hasSuffix("_update") || existing.contains("'delete'") { continue }
                    if existing != nil { try db.execute(sql: "DROP TRIGGER \(Self.quote(trigger.name))") }
                    for statement in trigger.statements { try db.execute(sql: statement) }
                    created.append(trigger.name)
                }
            }
        } catch let error as DatabaseError {
            throw FerryError.adapter(.configuration, "cannot install capture on \(table): \(error.message ?? "\(error.resultCode)")",
                hint: "the database must be writable by this node")
        }
        return created
    }

    /// The last change sequence of this table (0 when none): where a whole read's snapshot
    /// stands in the change table.
    func lastChange() throws -> Int64 {
        try database.read { db in
            guard try db.tableExists(Self.changeTable) else {
                throw FerryError.adapter(.configuration, "table \(options.table) has no change capture installed",
                    hint: "run 'ferry adapters install-capture SYSTEM', or use another cursor")
            }
            return try Int64.fetchOne(db, sql: "SELECT coalesce(max(seq), 0) FROM \(Self.changeTable) WHERE source_table = ?",
                arguments: [options.table]) ?? 0
        }
    }

    /// Reads changes after `seq`: current rows for inserts and updates (skipped when the row
    /// is gone: its delete follows), key and version rows marked `_op: delete` for deletes.
    func readChanges(after seq: Int64, limit: Int) throws -> (rows: [[String: Value]], positions: [String], last: Int64)? {
        try database.read { db in
            guard try db.tableExists(Self.changeTable) else {
                throw FerryError.adapter(.configuration, "table \(options.table) has no change capture installed",
                    hint: "run 'ferry adapters install-capture SYSTEM', or use another cursor")
            }
            let changes = try Row.fetchAll(db, sql: """
                SELECT seq, op, row_key, row_version FROM \(Self.changeTable) WHERE source_table = ? AND seq > ? ORDER BY seq LIMIT ?
                """, arguments: [options.table, seq, limit])
            guard let lastRow = changes.last else { return nil }
            var rows: [[String: Value]] = []
            var positions: [String] = []
            for change in changes {
                guard case .object(let key) = try CanonicalJSON.decode(Array((change["row_key"] as String).utf8)) else { continue }
                let sequence: Int64 = change["seq"]
                if change["op"] as String == "delete" {
                    rows.append(try CaptureDDL.deletion(key: key, version: change["row_version"]))
                } else {
                    let names = key.keys.sorted()
                    let clause = names.map { "\(Self.quote($0)) = ?" }.joined(separator: " AND ")
                    guard let current = try Row.fetchOne(db, sql: "SELECT * FROM \(Self.quote(options.table)) WHERE \(clause)",
                        arguments: StatementArguments(names.map { Self.databaseValue(key[$0] ?? .null) }))
                    else { continue }
                    var row: [String: Value] = [:]
                    for (column, value) in current { row[column] = Self.value(value) }
                    rows.append(row)
                }
                positions.append("\(Self.changeTable) seq \(sequence)")
            }
            return (rows, positions, lastRow["seq"])
        }
    }
}
