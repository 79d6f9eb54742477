import Foundation
import FerryCore
import CFerryODBC

extension ODBCAdapter {
    public func read(since checkpoint: String?, batchSize: Int) throws -> any SourceReader {
        let position = try KeysetPosition(checkpoint)
        // A checkpoint another cursor made starts the read afresh (see SQLiteAdapter).
        guard checkpoint != nil, position.cursor == nil || position.cursor == options.cursor else {
            return Reader(adapter: self, position: try KeysetPosition(nil), full: false, fresh: true, batchSize: batchSize)
        }
        return Reader(adapter: self, position: position, full: false, fresh: false, batchSize: batchSize)
    }

    public func readAll(batchSize: Int) throws -> any SourceReader {
        Reader(adapter: self, position: try KeysetPosition(nil), full: true, fresh: true, batchSize: batchSize)
    }

    /// Reads by a cursor column in (cursor, primary key) order, by the rules of
    /// `CursorWindow` (see `SQLiteAdapter.Reader`): rows without a cursor value first, by key,
    /// then from the window's start. The checkpoint is the last cursor value and key, the
    /// same shape as the `mysql` adapter's.
    struct Reader: SourceReader {
        enum Phase { case start, nulls, window, after, snapshot, done }

        let adapter: ODBCAdapter
        var position: KeysetPosition
        let full: Bool
        let fresh: Bool
        let batchSize: Int
        var connection: ODBCConnection?
        var key: [String] = []
        var cursorColumn: ColumnInfo?
        var tableColumns: [ColumnInfo] = []
        var phase = Phase.start
        var nullsAfter: [String]?
        var lookedBack = false

        init(adapter: ODBCAdapter, position: KeysetPosition, full: Bool, fresh: Bool, batchSize: Int) {
            (self.adapter, self.position, self.full, self.fresh, self.batchSize) = (adapter, position, full, fresh, batchSize)
            self.position.cursor = adapter.options.cursor
        }

        mutating func next() throws -> SourceBatch? {
            let adapter = self.adapter
            if connection == nil {
                let opened = try adapter.connect()
                try adapter.guarded("reading") {
                    tableColumns = try adapter.columns(opened)
                    cursorColumn = tableColumns.first { $0.name == adapter.options.cursor }
                    key = try adapter.primaryKey(opened)
                }
                guard cursorColumn != nil || adapter.options.cursor == "changes" else {
                    throw FerryError.adapter(.configuration, "cursor column \(adapter.options.cursor) is not in \(adapter.options.qualified)", hint: "fix options.cursor")
                }
                if let binary = tableColumns.first(where: { ODBCConnection.isBinary($0.type) && key.contains($0.name) }) {
                    throw FerryError.adapter(.configuration, "key column \(binary.name) of \(adapter.options.qualified) is \(binary.typeName), which incremental reads cannot page by",
                        hint: "read it with mode: full, or page by a text or integer unique key")
                }
                guard !key.isEmpty else {
                    throw FerryError.adapter(.configuration, "table \(adapter.options.qualified) has no primary key, which paging orders rows by",
                        hint: "add a primary key to the table")
                }
                connection = opened
            }
            guard let connection else { return nil }
            let batch = try adapter.guarded("reading") {
                adapter.options.cursor == "changes" ? try changes(connection) : try page(connection)
            }
            if batch == nil {
                try? connection.end(commit: false)
                self.connection = nil
            }
            return batch
        }

        private mutating func page(_ connection: ODBCConnection) throws -> SourceBatch? {
            let dialect = adapter.options.dialect
            let column = dialect.quote(adapter.options.cursor)
            let keys = key.map(dialect.quote)
            // Oracle (and DM like it) stores '' as NULL: there `col <> ''` is never true.
            let blankIsNull = dialect == .oracle || dialect == .dm
            let textual = !blankIsNull && [SQL_CHAR, SQL_VARCHAR, SQL_LONGVARCHAR, SQL_WCHAR, SQL_WVARCHAR, SQL_WLONGVARCHAR].map(Int16.init).contains(cursorColumn?.type ?? 0)
            // Blank text is no cursor value either: it sorts before every stamp.
            let missing = textual ? "(\(column) IS NULL OR \(column) = '')" : "\(column) IS NULL"
            let present = textual ? " AND \(column) <> ''" : ""
            let select = "SELECT * FROM \(adapter.options.qualified) WHERE "
            let order = " ORDER BY \(([column] + keys).joined(separator: ", "))" + dialect.limit(batchSize)
            while true {
                switch phase {
                case .start:
                    phase = full || adapter.options.window.nullPolicy == .read ? .nulls : .window
                case .nulls:
                    let after = nullsAfter.map { self.after(key, $0) } ?? (sql: "1 = 1", values: [])
                    let rows = try fetch(connection, select + "\(missing) AND \(after.sql) ORDER BY \(keys.joined(separator: ", "))" + dialect.limit(batchSize),
                        after.values)
                    guard !rows.rows.isEmpty else { phase = .window; continue }
                    let batch = make(rows, advances: false)
                    nullsAfter = batch.lastKey
                    return batch.batch
                case .window:
                    phase = .after
                    if !full, let value = position.value {
                        let start = try windowStart(connection, value: value, column: column, keys: keys)
                        return make(try fetch(connection, select + "\(column) >= ?\(present)" + order, [bound(adapter.options.cursor, start)]), advances: true).batch
                    }
                    return make(try fetch(connection, select + "\(column) IS NOT NULL\(present)" + order, []), advances: true).batch
                case .after:
                    guard let value = position.value, let last = position.key, last.count == keys.count else { return nil }
                    let after = self.after([adapter.options.cursor] + key, [value] + last)
                    return make(try fetch(connection, select + "\(after.sql)\(present)" + order, after.values), advances: true).batch
                case .snapshot, .done:
                    return nil
                }
            }
        }

        /// A page's rows. A `generic` dialect has no limit clause, so the driver is asked for
        /// at most a page (`SQL_ATTR_MAX_ROWS`) and fetching stops there; the others are not
        /// asked, since some drivers (MariaDB's) add a `LIMIT` of their own to the SQL.
        func fetch(_ connection: ODBCConnection, _ sql: String, _ values: [ODBCConnection.Parameter]) throws -> ODBCConnection.Result {
            let limit = adapter.options.dialect == .generic ? batchSize : nil
            return try connection.query(sql, values, limit: limit).result
        }

        /// A value bound by its column's type (integers as integers).
        func bound(_ name: String, _ text: String) -> ODBCConnection.Parameter {
            tableColumns.first { $0.name == name }?.bound(text) ?? .text(text)
        }

        /// Keyset paging's condition over the named columns, each value bound by its column.
        func after(_ names: [String], _ values: [String]) -> (sql: String, values: [ODBCConnection.Parameter]) {
            let condition = Keyset.after(names.map(adapter.options.dialect.quote), values)
            // The condition repeats values in a fixed pattern; the same call over the names
            // gives each value's column.
            return (condition.sql, zip(Keyset.after(names, names).values, condition.values).map { bound($0, $1) })
        }

        /// The first cursor value this run reads (inclusive).
        private func windowStart(_ connection: ODBCConnection, value: String, column: String, keys: [String]) throws -> String {
            switch adapter.options.window.lookback {
            case .none:
                return value
            case .seconds(let seconds):
                guard case .string(let start)? = CursorWindow.earlier(.string(value), bySeconds: seconds) else {
                    throw FerryError.adapter(.configuration,
                        "lookback \(seconds)s needs a date or timestamp cursor, but \(adapter.options.cursor) holds '\(value)'",
                        hint: "give lookback as a number of rows (lookback: 100)")
                }
                return start
            case .rows(let rows):
                let upTo = after([adapter.options.cursor] + key, [value] + (position.key ?? []))
                let found = try connection.query("""
                    SELECT \(column) FROM \(adapter.options.qualified) WHERE NOT \(upTo.sql)
                    ORDER BY \(([column] + keys).map { "\($0) DESC" }.joined(separator: ", "))\(adapter.options.dialect.limit(rows + 1))
                    """, upTo.values,
                    limit: adapter.options.dialect == .generic ? rows + 1 : nil).result.rows
                return ODBCAdapter.text(found.prefix(rows + 1).last?[0] ?? nil) ?? value
            }
        }

        /// A batch of whole rows; `advances` moves the checkpoint to the last row's cursor and key.
        mutating func make(_ result: ODBCConnection.Result, advances: Bool) -> (batch: SourceBatch?, lastKey: [String]?) {
            position.page(result.rows, names: result.columns.map(\.name), key: key, cursor: adapter.options.cursor, table: adapter.options.qualified,
                advances: advances) { ODBCAdapter.values($0, result.columns) }
        }
    }
}
