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
        let quotedTable = Self.quote(table)
        func object(_ prefix: String, _ columns: [String]) -> String {
            "json_object(" + columns.map { "\(SQLQuote.literal($0)), \(prefix).\(Self.quote($0))" }.joined(separator: ", ") + ")"
        }
        let version = versionColumn.map { object("%", [$0]) } ?? "NULL"
        let literal = SQLQuote.literal(table)
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
                try db.execute(sql: """
                    CREATE TABLE IF NOT EXISTS \(Self.changeTable) (
                        seq INTEGER PRIMARY KEY AUTOINCREMENT,
                        source_table TEXT NOT NULL,
                        op TEXT NOT NULL,
                        row_key TEXT NOT NULL,
                        row_version TEXT,
                        at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
                    )
                    """)
                // An update that changes the key is the old key's deletion and the new key's
                // upsert: without the deletion the old row would stay at every target.
                let keyChanged = keyColumns.map { "OLD.\(Self.quote($0)) IS NOT NEW.\(Self.quote($0))" }.joined(separator: " OR ")
                let oldKeyDeletion = """
                    INSERT INTO \(Self.changeTable)(source_table, op, row_key, row_version)
                    SELECT \(literal), 'delete', \(object("OLD", keyColumns)), \(version.replacingOccurrences(of: "%", with: "OLD")) WHERE \(keyChanged);
                    """
                for (event, op, row) in [("INSERT", "upsert", "NEW"), ("UPDATE", "upsert", "NEW"), ("DELETE", "delete", "OLD")] {
                    let name = "ferry_capture_\(table)_\(event.lowercased())"
                    let existing = try String.fetchOne(db, sql: "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = ?", arguments: [name])
                    // Update triggers of earlier versions lacked the key-change deletion: replaced.
                    if let existing, event != "UPDATE" || existing.contains("'delete'") { continue }
                    if existing != nil { try db.execute(sql: "DROP TRIGGER \(Self.quote(name))") }
                    try db.execute(sql: """
                        CREATE TRIGGER \(Self.quote(name)) AFTER \(event) ON \(quotedTable) BEGIN
                            \(event == "UPDATE" ? oldKeyDeletion : "")
                            INSERT INTO \(Self.changeTable)(source_table, op, row_key, row_version)
                            VALUES (\(literal), '\(op)', \(object(row, keyColumns)), \(version.replacingOccurrences(of: "%", with: row)));
                        END
                        """)
                    created.append(name)
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
                    var row = key
                    if let text = change["row_version"] as String?, case .object(let version) = try CanonicalJSON.decode(Array(text.utf8)) {
                        row.merge(version) { current, _ in current }
                    }
                    row["_op"] = "delete"
                    rows.append(row)
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
