import FerryCore

extension PostgresAdapter {
    /// Reads a table by a cursor column or by its change table, by the rules of
    /// `CursorWindow` (see `SQLiteAdapter.Reader`): NULL cursors, then from the window's start
    /// in (cursor, ctid) order; under change capture a first read is a snapshot of the table.
    struct Reader: SourceReader {
        enum Phase {
            case start
            case nulls(after: String)
            case window
            case after
            case snapshot
            case done
        }

        let adapter: PostgresAdapter
        var position: Position
        let full: Bool
        let batchSize: Int
        var session: Session?
        var cursorType: String?
        var captureChecked = false
        /// The table's `bytea` columns, whose JSON text (`\\x` and hex) is read as bytes.
        var byteaColumns: Set<String> = []
        var phase = Phase.start
        /// Whether this run's first page of changes (which looks back) was read.
        var lookedBack = false

        /// No checkpoint: a first read, which under change capture is a snapshot.
        let fresh: Bool

        init(adapter: PostgresAdapter, position: Position, full: Bool, fresh: Bool, batchSize: Int) {
            (self.adapter, self.position, self.full, self.fresh, self.batchSize) = (adapter, position, full, fresh, batchSize)
            self.position.cursor = adapter.options.cursor
        }

        mutating func next() throws -> SourceBatch? {
            let adapter = self.adapter
            if session == nil {
                let opened = try adapter.connect()
                // One snapshot for the whole read: paging by ctid while rows move (an UPDATE
                // moves a row) would miss or repeat rows, and a change read would see a key
                // change between two of its look-ups.
                _ = try adapter.guarded("reading") { try adapter.run(opened, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY") }
                byteaColumns = try adapter.guarded("reading") { try adapter.byteaColumns(opened) }
                session = opened
            }
            guard let session else { return nil }
            let batch: SourceBatch? = try adapter.guarded("reading") {
                adapter.options.cursor == "changes" ? try changes(session) : try byCursor(session)
            }
            if batch == nil { self.session = nil }
            return batch
        }

        private mutating func byCursor(_ session: Session) throws -> SourceBatch? {
            let table = adapter.options.qualified
            if cursorType == nil {
                guard let type = try adapter.columnType(session, adapter.options.cursor) else {
                    throw FerryError.adapter(.configuration, "cursor column \(adapter.options.cursor) is not in \(table)", hint: "fix options.cursor")
                }
                cursorType = type
            }
            let type = cursorType ?? "text"
            let column = "t." + PostgresAdapter.quote(adapter.options.cursor)
            // Blank text is no cursor value either: it sorts before every stamp.
            let textual = type == "text" || type.hasPrefix("character")
            let missing = textual ? "(\(column) IS NULL OR \(column) = '')" : "\(column) IS NULL"
            let present = textual ? "\(column) <> ''" : "TRUE"
            let select = "SELECT row_to_json(t)::text, \(column)::text, t.ctid::text FROM \(table) AS t"
            let order = "ORDER BY \(column), t.ctid LIMIT \(batchSize)"
            while true {
                switch phase {
                case .start:
                    phase = full || adapter.options.window.nullPolicy == .read ? .nulls(after: "(0,0)") : .window
                case .nulls(let after):
                    let rows = try adapter.run(session, "\(select) WHERE \(missing) AND t.ctid > $1::tid ORDER BY t.ctid LIMIT \(batchSize)", [after])
                    guard let last = rows.last?[2] ?? nil else { phase = .window; continue }
                    phase = .nulls(after: last)
                    return make(rows, advances: false)
                case .window:
                    phase = .after
                    if !full, let value = position.value {
                        let start = try windowStart(session, value: value, type: type, column: column)
                        return make(try adapter.run(session, "\(select) WHERE \(column) >= \(start.sql) AND \(present) \(order)", start.parameters),
                            advances: true)
                    }
                    return make(try adapter.run(session, "\(select) WHERE \(column) IS NOT NULL AND \(present) \(order)"), advances: true)
                case .after:
                    guard let value = position.value, let ctid = position.ctid else { return nil }
                    return make(try adapter.run(session, "\(select) WHERE (\(column), t.ctid) > (CAST($1 AS \(type)), CAST($2 AS tid)) AND \(present) \(order)",
                        [value, ctid]), advances: true)
                case .snapshot, .done:
                    return nil
                }
            }
        }

        /// The SQL of the first cursor value this run reads (inclusive), with its parameters.
        private func windowStart(_ session: Session, value: String, type: String, column: String) throws -> (sql: String, parameters: [String?]) {
            switch adapter.options.window.lookback {
            case .none:
                return ("CAST($1 AS \(type))", [value])
            case .seconds(let seconds):
                if type.hasPrefix("timestamp") || type == "date" {
                    return ("CAST($1 AS \(type)) - make_interval(secs => \(seconds))", [value])
                }
                guard case .string(let start)? = CursorWindow.earlier(.string(value), bySeconds: seconds) else {
                    throw FerryError.adapter(.configuration,
                        "lookback \(seconds)s needs a date or timestamp cursor, but \(adapter.options.cursor) is \(type) holding '\(value)'",
                        hint: "give lookback as a number of rows (lookback: 100), or use a timestamp column as the cursor")
                }
                return ("CAST($1 AS \(type))", [start])
            case .rows(let rows):
                let found = try adapter.run(session, """
                    SELECT \(column)::text FROM \(adapter.options.qualified) AS t
                    WHERE (\(column), t.ctid) <= (CAST($1 AS \(type)), CAST($2 AS tid)) ORDER BY \(column) DESC, t.ctid DESC LIMIT 1 OFFSET \(rows)
                    """, [value, position.ctid ?? "(0,0)"])
                guard let start = found.first?.first ?? nil else { return ("(SELECT min(\(column)) FROM \(adapter.options.qualified) AS t)", []) }
                return ("CAST($1 AS \(type))", [start])
            }
        }

        /// Rows of `row_to_json`, cursor text and ctid; `advances` moves the checkpoint.
        private mutating func make(_ rows: [[String?]], advances: Bool) -> SourceBatch? {
            guard !rows.isEmpty else { return nil }
            var batch = SourceBatch(rows: [], positions: [], checkpoint: "")
            for row in rows {
                let place = "\(adapter.options.qualified) ctid \(row[2] ?? "?")"
                do {
                    batch.rows.append(PostgresAdapter.binary(try PostgresAdapter.object(row[0]), columns: byteaColumns))
                    batch.positions.append(place)
                } catch {
                    // A row Ferry cannot represent (nesting deeper than the JSON reader takes) is
                    // set aside with its text, never read as an empty row.
                    batch.malformed.append(MalformedRow(position: place, reason: "the row cannot be read: \(error)",
                        raw: Array((row[0] ?? "").utf8)))
                }
                guard advances else { continue }
                position.value = row[1] ?? nil
                position.ctid = row[2] ?? nil
            }
            batch.checkpoint = position.text
            return batch
        }

        /// Changes after the checkpoint: current rows for inserts and updates (none when the
        /// row is gone: its delete follows), key and version rows marked for deletes. With no
        /// checkpoint, a snapshot of the table comes first.
        private mutating func changes(_ session: Session) throws -> SourceBatch? {
            let table = adapter.options.qualified
            let changeTable = "\(PostgresAdapter.quote(adapter.options.schema)).ferry_changes"
            if !captureChecked {
                let trigger = try adapter.run(session, "SELECT tgname::text FROM pg_trigger WHERE tgrelid = to_regclass($1) AND tgname = 'ferry_capture'", [table])
                guard !trigger.isEmpty else {
                    throw FerryError.adapter(.configuration, "table \(table) has no change capture installed",
                        hint: "run 'ferry adapters install-capture SYSTEM', or give options.cursor a growing column")
                }
                captureChecked = true
            }
            if case .start = phase, fresh || position.snapshot != nil {
                if fresh {
                    let last = try adapter.run(session, "SELECT coalesce(max(seq), 0)::text FROM \(changeTable) WHERE source_table = $1",
                        [adapter.options.table])
                    position.sequence = Int64(last.first?.first.flatMap { $0 } ?? "0") ?? 0
                    position.snapshot = "(0,0)"
                }
                phase = .snapshot
            }
            switch phase {
            case .snapshot:
                let rows = try adapter.run(session, "SELECT row_to_json(t)::text, NULL, t.ctid::text FROM \(table) AS t WHERE t.ctid > $1::tid ORDER BY t.ctid LIMIT \(batchSize)",
                    [position.snapshot ?? "(0,0)"])
                guard let last = rows.last?[2] ?? nil else {
                    // The snapshot is whole; a sync goes on to read the change table from its
                    // start, so deletions made before it travel too (see SQLiteAdapter.Reader).
                    phase = full ? .done : .after
                    position.snapshot = nil
                    if !full { position.sequence = 0 }
                    return SourceBatch(rows: [], positions: [], checkpoint: position.text)
                }
                position.snapshot = last
                return make(rows, advances: false)
            case .done:
                return nil
            default:
                return try changesAfter(session, changeTable: changeTable)
            }
        }

        /// Changes a run reads again before its checkpoint. PostgreSQL hands out `seq` when a
        /// transaction writes, not when it commits: one that commits after a later-numbered
        /// one was read would be skipped. The first page of a run goes back by the look-back
        /// (5 minutes of the writers' start times unless `lookback:` says otherwise, at most
        /// 100,000 changes); what it reads again is recognised by its digest.
        private func changeWindow(changeTable: String) -> String {
            guard !lookedBack, position.sequence > 0 else { return "seq > $2::bigint" }
            let floor = "seq > greatest($2::bigint - 100000, 0)"
            switch adapter.options.window.lookback {
            case .rows(let rows): return "seq > greatest($2::bigint - \(rows), 0)"
            case .seconds(let seconds): return Self.timeWindow(changeTable, floor: floor, seconds: seconds)
            case .none: return Self.timeWindow(changeTable, floor: floor, seconds: 300)
            }
        }

        static func timeWindow(_ changeTable: String, floor: String, seconds: Int) -> String {
            "\(floor) AND (seq > $2::bigint OR at >= (SELECT at FROM \(changeTable) WHERE seq = $2::bigint) - make_interval(secs => \(seconds)))"
        }

        private mutating func changesAfter(_ session: Session, changeTable: String) throws -> SourceBatch? {
            let table = adapter.options.qualified
            let window = changeWindow(changeTable: changeTable)
            lookedBack = true
            let changes = try adapter.run(session, """
                SELECT seq::text, op, row_key::text, row_version::text FROM \(changeTable)
                WHERE source_table = $1 AND \(window) ORDER BY seq LIMIT \(batchSize)
                """, [adapter.options.table, String(position.sequence)])
            guard let last = changes.last, let lastText = last[0] ?? nil, let lastSequence = Int64(lastText) else { return nil }
            var batch = SourceBatch(rows: [], positions: [], checkpoint: "")
            for change in changes {
                guard let keyText = change[2] ?? nil else { continue }
                var row: [String: Value]
                if change[1] == "delete" {
                    row = try CaptureDDL.deletion(key: try PostgresAdapter.object(keyText), version: change[3] ?? nil)
                } else {
                    let key = try PostgresAdapter.object(keyText)
                    let match = key.keys.sorted().map { "t.\(PostgresAdapter.quote($0)) = k.\(PostgresAdapter.quote($0))" }.joined(separator: " AND ")
                    guard let current = try adapter.run(session, """
                        SELECT row_to_json(t)::text FROM \(table) AS t, json_populate_record(NULL::\(table), $1::json) AS k WHERE \(match)
                        """, [keyText]).first?.first ?? nil
                    else { continue }
                    row = PostgresAdapter.binary(try PostgresAdapter.object(current), columns: byteaColumns)
                }
                batch.rows.append(row)
                batch.positions.append("\(changeTable) seq \(change[0] ?? "?")")
            }
            position.sequence = lastSequence
            batch.checkpoint = position.text
            return batch
        }
    }
}

extension PostgresAdapter: CursorInspecting {
    public func cursorHealth() throws -> CursorHealth? {
        guard options.cursor != "changes" else { return nil }
        let session = try connect()
        return try guarded("inspecting the cursor of") {
            let column = Self.quote(options.cursor)
            let blank = try columnType(session, options.cursor).map { $0 == "text" || $0.hasPrefix("character") } ?? false
            let missing = blank ? "\(column) IS NULL OR \(column)::text = ''" : "\(column) IS NULL"
            let row = try run(session, "SELECT count(*) FILTER (WHERE \(missing))::text, max(\(column))::text FROM \(options.qualified)").first
            return CursorHealth(column: options.cursor, nullRows: Int(row?[0] ?? "0") ?? 0, newest: (row?[1] ?? nil).map(Value.string),
                declaredType: try columnType(session, options.cursor), window: options.window)
        }
    }
}
