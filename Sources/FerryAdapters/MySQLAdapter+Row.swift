import Foundation
import FerryCore

extension MySQLAdapter {
    /// A binary key cannot be carried as text in a checkpoint or a change row without
    /// changing its bytes, which would skip rows: refused, with what to do instead.
    static func binaryKey(_ column: ColumnInfo, in table: String) -> FerryError {
        FerryError.adapter(.configuration, "key column \(column.name) of \(table) is \(column.declared), which incremental reads cannot page by",
            hint: "read it with mode: full, or page by a text or integer unique key (a generated column HEX(\(column.name)) with a unique index)")
    }

    /// Whether `INSERT … ON DUPLICATE KEY UPDATE` can only meet the mapping's key: the
    /// table's one unique index is on exactly the key columns. Another unique index (an
    /// e-mail, a certificate number) would turn a new key's insert into an update of some
    /// other row, so such tables are written row by row.
    func batchUpsertIsSafe(_ connection: MySQLConnection, layout: SinkLayout) throws -> Bool {
        let rows = try connection.query("""
            SELECT INDEX_NAME, COLUMN_NAME FROM information_schema.STATISTICS
            WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND NON_UNIQUE = 0 ORDER BY INDEX_NAME, SEQ_IN_INDEX
            """, [.text(options.database), .text(options.table)]).rows
        var indexes: [String: Set<String>] = [:]
        for row in rows { indexes[Self.text(row[0]) ?? "", default: []].insert(Self.text(row[1]) ?? "") }
        return indexes.count == 1 && indexes.values.first == Set(layout.keyColumns)
    }

    /// One upsert by plain statements: a guarded `UPDATE`, then, when no row has the key,
    /// an `INSERT` (a clash on another unique index is this row's error, 1062, and it is
    /// rejected). A row held already is in effect when it is exactly this one, else older.
    func upsertOne(_ connection: MySQLConnection, _ row: SinkRow, layout: SinkLayout, columns: [String: ColumnInfo]) throws -> SinkOutcome {
        let names = row.values.keys.sorted()
        for name in names where columns[name] == nil {
            throw RowRefusal(reason: "the record has field \(name), which is not a column of \(options.qualified)")
        }
        let values = try Dictionary(uniqueKeysWithValues: names.map { ($0, try parameter(row.values[$0] ?? .null, column: columns[$0])) })
        let keyCondition = layout.keyColumns.map { "\(Self.quote($0)) = ?" }.joined(separator: " AND ")
        let keyValues = try layout.keyColumns.map { try values[$0] ?? parameter(row.key[$0] ?? .null, column: columns[$0]) }
        let updated = names.filter { !layout.keyColumns.contains($0) && $0 != layout.versionColumn } + names.filter { $0 == layout.versionColumn }
        if !updated.isEmpty {
            var sql = "UPDATE \(options.qualified) SET " + updated.map { "\(Self.quote($0)) = ?" }.joined(separator: ", ") + " WHERE \(keyCondition)"
            var parameters = updated.map { values[$0] ?? .null } + keyValues
            if let version = layout.versionColumn {
                let column = Self.quote(version)
                // A record without a version replaces only a row without one, as the batch path does.
                if let value = values[version], value != .null {
                    sql += " AND (\(column) \(row.replacesSameVersion ? "<=" : "<") ? OR \(column) IS NULL)"
                    parameters.append(value)
                } else {
                    sql += " AND \(column) IS NULL"
                }
            }
            if try connection.execute(sql, parameters) > 0 { return .applied }
        }
        let same = names.map { "\(Self.quote($0)) <=> ?" }.joined(separator: " AND ")
        let held = try connection.query("SELECT CASE WHEN \(same) THEN 1 ELSE 0 END FROM \(options.qualified) WHERE \(keyCondition)",
            names.map { values[$0] ?? .null } + keyValues).rows
        if let current = held.first { return Self.text(current[0]) == "1" ? .applied : .skippedOlder }
        _ = try connection.execute("INSERT INTO \(options.qualified) (\(names.map(Self.quote).joined(separator: ", "))) VALUES ("
            + Array(repeating: "?", count: names.count).joined(separator: ", ") + ")", names.map { values[$0] ?? .null })
        return .applied
    }
}
