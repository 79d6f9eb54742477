/// Keyset paging's "after this row" condition over (cursor, key…) or (key…), spelled out
/// so that every dialect parses it: `(a, b, c) > (?, ?, ?)` becomes
/// `(a >= ? AND (a > ? OR (a = ? AND (b > ? OR (b = ? AND c > ?)))))`.
///
/// The leading `a >= ?` says nothing the rest does not, but without it SQLite (which ODBC
/// reaches too) plans the OR, once its values are bound parameters, as a scan of the whole
/// index on `a` from its start: each page then costs time in proportion to the rows before
/// it, and a read of a million rows slowed from 1 ms a page to 235 ms by its middle. With it,
/// the optimiser seeks the index to the last value read; MariaDB 10.11 seeks either way
/// (Winand, *SQL Performance Explained*, "Paging Through Results").
enum Keyset {
    /// The condition over quoted `columns`, with the values its placeholders take in order:
    /// text for the MySQL and ODBC adapters, `DatabaseValue`s for SQLite's.
    static func after<Value>(_ columns: [String], _ values: [Value]) -> (sql: String, values: [Value]) {
        guard let column = columns.first, let value = values.first else { return ("1 = 0", []) }
        guard columns.count > 1, values.count > 1 else { return ("\(column) > ?", [value]) }
        let rest = nested(columns, values)
        return ("(\(column) >= ? AND \(rest.sql))", [value] + rest.values)
    }

    /// The OR form alone: `(a > ? OR (a = ? AND …))`.
    private static func nested<Value>(_ columns: [String], _ values: [Value]) -> (sql: String, values: [Value]) {
        guard let column = columns.first, let value = values.first else { return ("1 = 0", []) }
        guard columns.count > 1, values.count > 1 else { return ("\(column) > ?", [value]) }
        let rest = nested(Array(columns.dropFirst()), Array(values.dropFirst()))
        return ("(\(column) > ? OR (\(column) = ? AND \(rest.sql)))", [value, value] + rest.values)
    }
}
