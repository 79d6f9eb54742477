import Foundation
import GRDB
import FerryCore

extension SQLiteAdapter {
    /// Reads a table by rowid, by a cursor column, or by its change table.
    ///
    /// A cursor read goes: rows whose cursor is NULL, then those whose cursor is blank text
    /// (neither if `null_cursor: skip` on an incremental read), then from the window's start
    /// (the last value, or a look-back before it) in (cursor, rowid) order. Under change
    /// capture, a first read (no checkpoint) is a snapshot of the table itself, after which
    /// the changes since the snapshot began follow.
    struct Reader: SourceReader {
        enum Phase {
            case start
            case nulls(after: Int64)
            case blanks(after: Int64)
            case window
            case after
            case snapshot(lastSequence: Int64)
            case done
        }

        let adapter: SQLiteAdapter
        /// The statements of a read by a cursor column.
        let sql: CursorSQL
        var position: Position
        /// Every row, whatever the window says (`readAll`).
        let full: Bool
        let batchSize: Int
        var phase = Phase.start

        /// No checkpoint: a first read, which under change capture is a snapshot.
        let fresh: Bool

        init(adapter: SQLiteAdapter, position: Position, full: Bool, fresh: Bool, batchSize: Int) {
            (self.adapter, self.position, self.full, self.fresh, self.batchSize) = (adapter, position, full, fresh, batchSize)
            sql = CursorSQL(table: adapter.options.table, cursor: adapter.options.cursor)
            self.position.cursor = adapter.options.cursor
        }

        mutating func next() throws -> SourceBatch? {
            do {
                switch adapter.options.cursor {
                case "changes": return try nextChange()
                case "rowid":
                    let table = SQLiteAdapter.quote(adapter.options.table)
                    return try batch(sql: "SELECT rowid AS \"__rowid\", * FROM \(table) WHERE rowid > ? ORDER BY rowid LIMIT ?",
                        [position.rowid, batchSize], advances: true)
                default: return try nextByCursor()
                }
            } catch let error as DatabaseError {
                throw FerryError.adapter(.retryable, "reading \(adapter.options.table): \(error.message ?? "SQLite error \(error.resultCode)")")
            }
        }

        private mutating func nextByCursor() throws -> SourceBatch? {
            while true {
                switch phase {
                case .start:
                    phase = full || adapter.options.window.nullPolicy == .read ? .nulls(after: 0) : .window
                case .nulls(let after):
                    let rows = try fetch(sql.nulls, [after, batchSize])
                    guard let last = rows.last else { phase = .blanks(after: 0); continue }
                    phase = .nulls(after: last["__rowid"])
                    return make(rows, advances: false)
                case .blanks(let after):
                    let rows = try fetch(sql.blanks, [after, batchSize])
                    guard let last = rows.last else { phase = .window; continue }
                    phase = .blanks(after: last["__rowid"])
                    return make(rows, advances: false)
                case .window:
                    phase = .after
                    if !full, let start = try windowStart() {
                        return try batch(sql: sql.from, [SQLiteAdapter.cursorArgument(start), batchSize], advances: true)
                    }
                    return try batch(sql: sql.first, [batchSize], advances: true)
                case .after:
                    let page = sql.after(value: SQLiteAdapter.cursorArgument(position.value), rowid: position.rowid)
                    return try batch(sql: page.sql, page.arguments + [batchSize], advances: true)
                case .snapshot, .done:
                    return nil
                }
            }
        }

        /// The cursor value this run starts at (inclusive); nil to start at the beginning.
        private func windowStart() throws -> Value? {
            guard position.value != .null else { return nil }
            switch adapter.options.window.lookback {
            case .none:
                return position.value
            case .seconds(let seconds):
                guard let start = CursorWindow.earlier(position.value, bySeconds: seconds) else {
                    throw FerryError.adapter(.configuration,
                        "lookback \(seconds)s needs a date or timestamp cursor, but \(adapter.options.cursor) holds '\(position.value.text ?? "?")'",
                        hint: "give lookback as a number of rows (lookback: 100), or use a timestamp column as the cursor")
                }
                return start
            case .rows(let rows):
                let last = SQLiteAdapter.cursorArgument(position.value)
                let found = try adapter.database.read { db in
                    try DatabaseValue.fetchOne(db, sql: sql.lookback, arguments: [last, last, last, position.rowid, rows])
                }
                return found.map(SQLiteAdapter.value)
            }
        }

        /// Under change capture: a snapshot of the table when there is no checkpoint (or one
        /// was under way), else the changes after the last sequence read.
        private mutating func nextChange() throws -> SourceBatch? {
            if case .start = phase, fresh || position.snapshot != nil {
                let last = fresh ? try adapter.lastChange() : position.rowid
                phase = .snapshot(lastSequence: last)
                position.rowid = last
                if fresh { position.snapshot = 0 }
            }
            switch phase {
            case .snapshot(let last):
                let table = SQLiteAdapter.quote(adapter.options.table)
                let rows = try fetch("SELECT rowid AS \"__rowid\", * FROM \(table) WHERE rowid > ? ORDER BY rowid LIMIT ?", [position.snapshot ?? 0, batchSize])
                guard let lastRow = rows.last else {
                    // The snapshot is whole. A sync goes on to read the change table from its
                    // start, so deletions made before the snapshot (a flow switched to capture,
                    // rows deleted before its first run) travel too; rows read again are
                    // recognised by their digests. A whole read ends here.
                    phase = full ? .done : .after
                    position.snapshot = nil
                    position.rowid = full ? last : 0
                    return SourceBatch(rows: [], positions: [], checkpoint: position.text)
                }
                position.snapshot = lastRow["__rowid"]
                return make(rows, advances: false)
            case .done:
                return nil
            default:
                guard let changes = try adapter.readChanges(after: position.rowid, limit: batchSize) else { return nil }
                position.rowid = changes.last
                return SourceBatch(rows: changes.rows, positions: changes.positions, checkpoint: position.text)
            }
        }

        private func fetch(_ sql: String, _ arguments: StatementArguments) throws -> [Row] {
            try adapter.database.read { db in try Row.fetchAll(db, sql: sql, arguments: arguments) }
        }

        private mutating func batch(sql: String, _ arguments: StatementArguments, advances: Bool) throws -> SourceBatch? {
            let rows = try fetch(sql, arguments)
            guard !rows.isEmpty else { return nil }
            return make(rows, advances: advances)
        }

        /// A batch of rows; `advances` moves the checkpoint to the last of them.
        private mutating func make(_ rows: [Row], advances: Bool) -> SourceBatch {
            var batch = SourceBatch(rows: [], positions: [], checkpoint: "")
            let cursor = adapter.options.cursor
            for row in rows {
                var values: [String: Value] = [:]
                var rowid: Int64 = 0
                for (column, dbValue) in row {
                    if column == "__rowid" { rowid = Int64.fromDatabaseValue(dbValue) ?? 0; continue }
                    values[column] = SQLiteAdapter.value(dbValue)
                }
                batch.rows.append(values)
                batch.positions.append("\(adapter.options.table) rowid \(rowid)")
                guard advances else { continue }
                position.rowid = rowid
                if cursor != "rowid" { position.value = values[cursor] ?? .null }
            }
            batch.checkpoint = position.text
            return batch
        }
    }
}

extension SQLiteAdapter: CursorInspecting {
    public func cursorHealth() throws -> CursorHealth? {
        guard options.cursor != "rowid", options.cursor != "changes" else { return nil }
        let table = Self.quote(options.table)
        let column = Self.quote(options.cursor)
        return try database.read { db in
            let nulls = try Int.fetchOne(db, sql: "SELECT count(*) FROM \(table) WHERE \(column) IS NULL OR \(column) = ''") ?? 0
            let newest = try DatabaseValue.fetchOne(db, sql: "SELECT max(\(column)) FROM \(table)").map(Self.value)
            let declared = try db.columns(in: options.table).first { $0.name == options.cursor }?.type
            var health = CursorHealth(column: options.cursor, nullRows: nulls, newest: newest == .null ? nil : newest, declaredType: declared,
                window: options.window)
            // SQLite orders every integer before every text: a column holding both skips rows.
            health.storageClasses = try String.fetchAll(db, sql: """
                SELECT DISTINCT typeof(\(column)) FROM \(table) WHERE \(column) IS NOT NULL AND \(column) != '' ORDER BY 1
                """)
            return health
        }
    }
}
