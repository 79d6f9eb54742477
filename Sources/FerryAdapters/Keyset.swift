import FerryCore

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

extension MySQLAdapter.Position {
    /// A keyset page's rows as a batch: their records, each row's position (table and key),
    /// and the page's last key; `advances` moves this position to the last row's cursor
    /// value and key (pages of rows without a cursor value do not). Shared by the mysql and
    /// odbc readers, whose checkpoints have this one shape.
    mutating func page(_ rows: [[[UInt8]?]], names: [String], key: [String], cursor: String, table: String, advances: Bool,
        values: ([[UInt8]?]) -> [String: Value]) -> (batch: SourceBatch?, lastKey: [String]?)
    {
        guard !rows.isEmpty else { return (nil, nil) }
        let keyIndexes = key.compactMap { names.firstIndex(of: $0) }
        let cursorIndex = names.firstIndex(of: cursor)
        func text(_ bytes: [UInt8]?) -> String? { bytes.map { String(decoding: $0, as: UTF8.self) } }
        var batch = SourceBatch(rows: [], positions: [], checkpoint: "")
        var lastKey: [String] = []
        for row in rows {
            lastKey = keyIndexes.map { text(row[$0]) ?? "" }
            batch.rows.append(values(row))
            batch.positions.append("\(table) key \(lastKey.joined(separator: ","))")
            guard advances, let cursorIndex else { continue }
            value = text(row[cursorIndex])
            self.key = lastKey
        }
        batch.checkpoint = self.text
        return (batch, lastKey)
    }
}
