/// Many rows to a statement, in a few fixed shapes.
///
/// A statement a row costs a round trip a row on PostgreSQL (PostgresNIO writes, parses and
/// answers each one on its own) and a bind-step-reset cycle a row on SQLite. A statement of
/// a new width costs a compile on SQLite and a parse on PostgreSQL, so rows go in chunks of
/// `widest`, then of the powers of two below it: a batch of any size runs at most
/// `count / 64 + 6` statements, and a connection sees at most seven shapes of each.
package enum StoreBatch {
    /// Rows (or `IN` values) per statement at most. SQLite allows 32,766 placeholders a
    /// statement and PostgreSQL 65,535: 64 rows of the store's widest table (nine columns)
    /// stay far below both.
    package static let widest = 64

    /// The widths of the statements a batch of `count` rows is cut into, widest first.
    /// `widths(0)` is empty; the widths always add up to `count`.
    package static func widths(_ count: Int) -> [Int] {
        var widths = Array(repeating: widest, count: count / widest)
        var rest = count % widest
        var width = widest / 2
        while rest > 0 {
            if rest >= width {
                widths.append(width)
                rest -= width
            }
            width /= 2
        }
        return widths
    }

    /// `(?, ?, …)`: a parenthesised list of `count` placeholders.
    static func list(_ count: Int) -> String {
        "(" + Array(repeating: "?", count: count).joined(separator: ", ") + ")"
    }

    /// `(?, ?, …), (?, ?, …)`: `rows` groups of `columns` placeholders.
    static func values(rows: Int, columns: Int) -> String {
        Array(repeating: list(columns), count: rows).joined(separator: ", ")
    }
}

extension StoreConnection {
    /// Sends `head VALUES (…), (…) tail` for `rows`, many rows a statement (`StoreBatch`).
    /// Every row has the same number of values. An upsert's rows must name distinct keys:
    /// PostgreSQL refuses to update one row twice in a statement.
    package func sendRows(_ head: String, _ rows: [StoreArguments], tail: String = "") throws {
        guard let columns = rows.first?.values.count else { return }
        var start = 0
        for width in StoreBatch.widths(rows.count) {
            var arguments = StoreArguments()
            arguments.values.reserveCapacity(width * columns)
            for row in rows[start ..< start + width] { arguments.values += row.values }
            try send(sql: "\(head) VALUES \(StoreBatch.values(rows: width, columns: columns)) \(tail)", arguments: arguments)
            start += width
        }
    }

    /// Sends `sql` followed by `IN (…)` over `values`, many values a statement
    /// (`StoreBatch`); `fixed` binds the placeholders before the list.
    package func send(_ sql: String, fixed: StoreArguments, in values: [StoreValue]) throws {
        var start = 0
        for width in StoreBatch.widths(values.count) {
            try send(sql: "\(sql) IN \(StoreBatch.list(width))", arguments: StoreArguments(fixed.values + values[start ..< start + width]))
            start += width
        }
    }

    /// The rows of `sql` followed by `IN (…)` over `values`, many values a statement
    /// (`StoreBatch`); `fixed` binds the placeholders before the list. Rows come in no
    /// particular order: select the column the list matches to tell them apart.
    package func rows(_ sql: String, fixed: StoreArguments, in values: [StoreValue]) throws -> [StoreRow] {
        var start = 0
        var found: [StoreRow] = []
        for width in StoreBatch.widths(values.count) {
            found += try rows(sql: "\(sql) IN \(StoreBatch.list(width))", arguments: StoreArguments(fixed.values + values[start ..< start + width]))
            start += width
        }
        return found
    }
}
