import Foundation
import FerryCore

/// Writes without `json_populate_record`: for PostgreSQL-compatible servers that lack it
/// (or where `options.plainWrites` says so). Each row is a parameterised `UPDATE` with the
/// version guard, then an `INSERT` when no row has the key, every value cast to its
/// column's type (`$1::numeric`) so the server converts it as the JSON path
/// would. Slower, one row at a time, and SQL-92 apart from the casts and `RETURNING`.
extension PostgresAdapter {
    /// Whether this server writes through `json_populate_recordset` (PostgreSQL 9.3 and later;
    /// some compatible servers leave it out).
    func writesThroughJSON(_ session: Session) throws -> Bool {
        if let plain = options.plainWrites { return !plain }
        return try !run(session, "SELECT 1 FROM pg_catalog.pg_proc WHERE proname = 'json_populate_recordset'").isEmpty
    }

    /// Each column's type without its modifier (`character varying`, `numeric`): an explicit
    /// cast to `varchar(10)` would cut a longer value silently, while assigning to the column
    /// refuses it, as the JSON path does.
    func declaredTypes(_ session: Session) throws -> [String: String] {
        let rows = try run(session, """
            SELECT a.attname::text, format_type(a.atttypid, NULL) FROM pg_catalog.pg_attribute a
            WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped
            """, [options.qualified])
        var types: [String: String] = [:]
        for row in rows where row.count == 2 {
            if let name = row[0], let type = row[1] { types[name] = type }
        }
        return types
    }

    /// A value as the text its column's type parses (`bytea` as `\x…` hex, lists and objects as JSON).
    static func plainText(_ value: Value) -> String? {
        switch value {
        case .null: return nil
        case .list, .object: return String(decoding: CanonicalJSON.encode(value), as: UTF8.self)
        default: return value.text
        }
    }

    /// One row with the version guard, by plain statements. Throws the server's error for a
    /// value its column refuses (the caller rolls back to the row's savepoint).
    func applyPlain(_ session: Session, _ row: SinkRow, types: [String: String], layout: SinkLayout) throws -> SinkOutcome {
        let values = try Self.textual(row.values)
        if let unknown = values.keys.sorted().first(where: { types[$0] == nil }) {
            return .rejected("the record has field \(unknown), which is not a column of \(options.qualified)")
        }
        var parameters: [String?] = []
        func bind(_ name: String, _ value: Value?) -> String {
            parameters.append(Self.plainText(value ?? .null))
            return "$\(parameters.count)::\(types[name] ?? "text")"
        }
        func keyMatch() -> String {
            layout.keyColumns.map { "\(Self.quote($0)) = \(bind($0, values[$0] ?? row.key[$0]))" }.joined(separator: " AND ")
        }
        let table = options.qualified
        let version = layout.versionColumn.flatMap { column in values[column].map { (column, $0) } }.flatMap { $0.1 == .null ? nil : $0 }
        if row.operation == .delete {
            var sql = "DELETE FROM \(table) WHERE \(keyMatch())"
            if let (column, value) = version { sql += " AND \(Self.quote(column)) <= \(bind(column, value))" }
            return try run(session, sql + " RETURNING 1", parameters).isEmpty ? .skippedOlder : .applied
        }
        let names = values.keys.sorted()
        let updated = names.filter { !layout.keyColumns.contains($0) }
        if !updated.isEmpty {
            let assignments = updated.map { "\(Self.quote($0)) = \(bind($0, values[$0]))" }.joined(separator: ", ")
            var sql = "UPDATE \(table) SET \(assignments) WHERE \(keyMatch())"
            if let (column, value) = version {
                sql += " AND (\(Self.quote(column)) \(row.replacesSameVersion ? "<=" : "<") \(bind(column, value)) OR \(Self.quote(column)) IS NULL)"
            } else if let column = layout.versionColumn {
                // A record without a version replaces only a row without one, as the JSON path does.
                sql += " AND \(Self.quote(column)) IS NULL"
            }
            if try !run(session, sql + " RETURNING 1", parameters).isEmpty { return .applied }
        }
        parameters = []
        let same = names.map { "\(Self.quote($0))::text IS NOT DISTINCT FROM (\(bind($0, values[$0])))::text" }.joined(separator: " AND ")
        let held = try run(session, "SELECT CASE WHEN \(same) THEN 'same' ELSE 'other' END FROM \(table) WHERE \(keyMatch())", parameters)
        // Held already: exactly this row (an apply whose outcome a crash lost) is in effect;
        // a newer version, or this version with other values, is not this record.
        if let current = held.first { return current.first == "same" ? .applied : .skippedOlder }
        parameters = []
        let columns = names.map(Self.quote).joined(separator: ", ")
        let marks = names.map { bind($0, values[$0]) }.joined(separator: ", ")
        _ = try run(session, "INSERT INTO \(table) (\(columns)) VALUES (\(marks))", parameters)
        return .applied
    }
}
