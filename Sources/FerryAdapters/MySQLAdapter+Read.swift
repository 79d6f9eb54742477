import Foundation
import FerryCore

extension MySQLAdapter {
    public func read(since checkpoint: String?, batchSize: Int) throws -> any SourceReader {
        let position = try KeysetPosition(checkpoint)
        // A checkpoint another kind of cursor made starts the read afresh (see SQLiteAdapter).
        guard checkpoint != nil, position.cursor == nil || position.cursor == options.cursor else {
            return Reader(adapter: self, position: try KeysetPosition(nil), full: false, fresh: true, batchSize: batchSize)
        }
        return Reader(adapter: self, position: position, full: false, fresh: false, batchSize: batchSize)
    }

    public func readAll(batchSize: Int) throws -> any SourceReader {
        Reader(adapter: self, position: try KeysetPosition(nil), full: true, fresh: true, batchSize: batchSize)
    }

    /// Reads a table by a cursor column or by its change table, by the rules of
    /// `CursorWindow` (see `SQLiteAdapter.Reader`): NULL cursors by key, then from the window's
    /// start in (cursor, key) order; under change capture a first read is a snapshot by key.
    /// The whole read sees one consistent snapshot.
    struct Reader: SourceReader {
        enum Phase { case start, nulls, window, after, snapshot, done }

        let adapter: MySQLAdapter
        var position: KeysetPosition
        let full: Bool
        let fresh: Bool
        let batchSize: Int
        var connection: MySQLConnection?
        var key: [String] = []
        var columns: [ColumnInfo] = []
        var phase = Phase.start
        var nullsAfter: [String]?
        var lookedBack = false

        init(adapter: MySQLAdapter, position: KeysetPosition, full: Bool, fresh: Bool, batchSize: Int) {
            (self.adapter, self.position, self.full, self.fresh, self.batchSize) = (adapter, position, full, fresh, batchSize)
            self.position.cursor = adapter.options.cursor
        }

        mutating func next() throws -> SourceBatch? {
            let adapter = self.adapter
            if connection == nil {
                let opened = try adapter.connect()
                try adapter.guarded("reading") {
                    try opened.run("START TRANSACTION WITH CONSISTENT SNAPSHOT")
                    columns = try adapter.columns(opened)
                    key = try adapter.primaryKey(opened)
                }
                guard !columns.isEmpty else {
                    throw FerryError.adapter(.configuration, "table \(adapter.options.qualified) does not exist", hint: "fix options.table or the url's database")
                }
                guard !key.isEmpty else {
                    throw FerryError.adapter(.configuration, "table \(adapter.options.qualified) has no primary key, which paging orders rows by",
                        hint: "add a primary key to the table")
                }
                if let binary = columns.first(where: { $0.isBinary && key.contains($0.name) }) {
                    throw MySQLAdapter.binaryKey(binary, in: adapter.options.qualified)
                }
                connection = opened
            }
            guard let connection else { return nil }
            let batch: SourceBatch? = try adapter.guarded("reading") {
                adapter.options.cursor == "changes" ? try changes(connection) : try byCursor(connection)
            }
            if batch == nil { self.connection = nil }
            return batch
        }

        private mutating func byCursor(_ connection: MySQLConnection) throws -> SourceBatch? {
            let options = adapter.options
            guard let info = columns.first(where: { $0.name == options.cursor }) else {
                throw FerryError.adapter(.configuration, "cursor column \(options.cursor) is not in \(options.qualified)", hint: "fix options.cursor")
            }
            let column = MySQLAdapter.quote(options.cursor)
            let keys = key.map(MySQLAdapter.quote)
            // Blank text is no cursor value either: it sorts before every stamp.
            let missing = info.characterSet != nil ? "(\(column) IS NULL OR \(column) = '')" : "\(column) IS NULL"
            let present = info.characterSet != nil ? "\(column) <> ''" : "TRUE"
            let select = "SELECT * FROM \(options.qualified) WHERE "
            let order = " ORDER BY \(([column] + keys).joined(separator: ", ")) LIMIT \(batchSize)"
            while true {
                switch phase {
                case .start:
                    phase = full || options.window.nullPolicy == .read ? .nulls : .window
                case .nulls:
                    let after = nullsAfter.map { self.after(key, $0) } ?? (sql: "TRUE", parameters: [])
                    let result = try connection.query(select + "\(missing) AND \(after.sql) ORDER BY \(keys.joined(separator: ", ")) LIMIT \(batchSize)",
                        after.parameters)
                    guard !result.rows.isEmpty else { phase = .window; continue }
                    let batch = make(result, advances: false)
                    nullsAfter = batch.lastKey
                    return batch.batch
                case .window:
                    phase = .after
                    if !full, let value = position.value {
                        let start = try windowStart(connection, value: value, info: info, column: column, keys: keys)
                        return make(try connection.query(select + "\(column) >= \(start.sql) AND \(present)" + order, start.parameters), advances: true).batch
                    }
                    return make(try connection.query(select + "\(column) IS NOT NULL AND \(present)" + order), advances: true).batch
                case .after:
                    guard let value = position.value, let last = position.key, last.count == keys.count else { return nil }
                    let after = self.after([options.cursor] + key, [value] + last)
                    return make(try connection.query(select + "\(after.sql) AND \(present)" + order, after.parameters), advances: true).batch
                case .snapshot, .done:
                    return nil
                }
            }
        }

        /// Keyset paging's condition over the named columns, each value bound by its column's
        /// type (integers as integers).
        func after(_ names: [String], _ values: [String]) -> (sql: String, parameters: [MySQLConnection.Parameter]) {
            let condition = Keyset.after(names.map(MySQLAdapter.quote), values)
            // The condition repeats values in a fixed pattern; the same call over the names gives
            // each value's column.
            let columnOfValue = Keyset.after(names, names).values
            let parameters = zip(columnOfValue, condition.values).map { name, value in
                columns.first { $0.name == name }?.bound(value) ?? .text(value)
            }
            return (condition.sql, parameters)
        }

        /// The SQL of the first cursor value this run reads (inclusive), with its parameters.
        private func windowStart(_ connection: MySQLConnection, value: String, info: ColumnInfo, column: String, keys: [String]) throws
            -> (sql: String, parameters: [MySQLConnection.Parameter])
        {
            switch adapter.options.window.lookback {
            case .none:
                return ("?", [info.bound(value)])
            case .seconds(let seconds):
                if info.isTime || info.type == "date" { return ("CAST(? AS DATETIME(6)) - INTERVAL \(seconds) SECOND", [.text(value)]) }
                guard case .string(let start)? = CursorWindow.earlier(.string(value), bySeconds: seconds) else {
                    throw FerryError.adapter(.configuration,
                        "lookback \(seconds)s needs a date or timestamp cursor, but \(adapter.options.cursor) is \(info.declared) holding '\(value)'",
                        hint: "give lookback as a number of rows (lookback: 100), or use a timestamp column as the cursor")
                }
                return ("?", [info.bound(start)])
            case .rows(let rows):
                let upTo = after([adapter.options.cursor] + key, [value] + (position.key ?? []))
                let found = try connection.query("""
                    SELECT \(column) FROM \(adapter.options.qualified) WHERE NOT \(upTo.sql)
                    ORDER BY \(([column] + keys).map { "\($0) DESC" }.joined(separator: ", ")) LIMIT 1 OFFSET \(rows)
                    """, upTo.parameters)
                guard let start = MySQLAdapter.text(found.rows.first?[0] ?? nil) else { return ("(SELECT MIN(\(column)) FROM \(adapter.options.qualified))", []) }
                return ("?", [info.bound(start)])
            }
        }

        /// A batch of whole rows; `advances` moves the checkpoint to the last row's cursor and key.
        private mutating func make(_ result: MySQLConnection.Result, advances: Bool) -> (batch: SourceBatch?, lastKey: [String]?) {
            position.page(result.rows, names: result.columns.map(\.name), key: key, cursor: adapter.options.cursor, table: adapter.options.qualified,
                advances: advances) { adapter.values($0, result.columns) }
        }
    }
}
