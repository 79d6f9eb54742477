/// Keyset paging's "after this row" condition over (cursor, key…) or (key…), spelled out
/// so that every optimiser turns it into an index range and every dialect parses it:
/// `(a, b, c) > (?, ?, ?)` becomes `a > ? OR (a = ? AND (b > ? OR (b = ? AND c > ?)))`.
enum Keyset {
    /// The condition over quoted `columns`, with the values its placeholders take in order.
    static func after(_ columns: [String], _ values: [String]) -> (sql: String, values: [String]) {
        guard let column = columns.first, let value = values.first else { return ("1 = 0", []) }
        guard columns.count > 1, values.count > 1 else { return ("\(column) > ?", [value]) }
        let rest = after(Array(columns.dropFirst()), Array(values.dropFirst()))
        return ("(\(column) > ? OR (\(column) = ? AND \(rest.sql)))", [value, value] + rest.values)
    }
}
