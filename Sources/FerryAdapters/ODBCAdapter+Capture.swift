import Foundation
import FerryCore

/// Change capture through ODBC (`cursor: changes`) for the dialects whose triggers Ferry
/// writes and tests here: `mysql`, `postgresql` and `sqlite`, with the same `ferry_changes`
/// table and triggers their own adapters install (`CaptureDDL`). Oracle and DM are read by a
/// cursor column.
extension ODBCAdapter: ChangeCapturing {
    static let capturingDialects: [SQLDialect] = [.mysql, .postgresql, .sqlite]

    func capture(keyColumns: [String] = [], versionColumn: String? = nil) throws -> CaptureDDL {
        guard Self.capturingDialects.contains(options.dialect) else {
            throw FerryError.adapter(.configuration, "change capture through ODBC is not available for dialect \(options.dialect.rawValue)",
                hint: "give options.cursor a growing column (an update time or a sequence); capture is written for \(Self.capturingDialects.map(\.rawValue).joined(separator: ", "))")
        }
        return CaptureDDL(dialect: options.dialect, schema: options.schema, table: options.table, keyColumns: keyColumns, versionColumn: versionColumn)
    }

    /// Creates the change table and the triggers; running it again changes nothing.
    /// Returns the triggers it created.
    public func installCapture(keyColumns: [String], versionColumn: String?) throws -> [String] {
        let ddl = try capture(keyColumns: keyColumns, versionColumn: versionColumn)
        let connection = try connect()
        return try guarded("installing capture on") {
            let columns = try self.columns(connection).map(\.name)
            guard !columns.isEmpty else {
                throw FerryError.adapter(.configuration, "table \(options.qualified) is not in the driver's catalog", hint: "fix options.table or schema")
            }
            for column in keyColumns + (versionColumn.map { [$0] } ?? []) where !columns.contains(column) {
                throw FerryError.adapter(.configuration, "column \(column) is not in \(options.qualified)", hint: "columns: \(columns.joined(separator: ", "))")
            }
            try connection.run(ddl.createChangeTable)
            var created: [String] = []
            for trigger in ddl.triggers {
                // PostgreSQL's trigger function is replaced each time, so a reinstall updates it.
                let function = options.dialect == .postgresql ? trigger.statements.first : nil
                if let function { try connection.run(function) }
                guard try !installed(connection, trigger: trigger.name) else { continue }
                for statement in trigger.statements.dropFirst(function == nil ? 0 : 1) { try connection.run(statement) }
                created.append(trigger.name)
            }
            try connection.end(commit: true)
            return created
        }
    }

    /// Whether the trigger `name` exists on the table, from the dialect's own catalog.
    func installed(_ connection: ODBCConnection, trigger name: String) throws -> Bool {
        let query: (sql: String, values: [String])
        switch options.dialect {
        case .mysql:
            query = options.schema.map { ("SELECT 1 FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = ? AND TRIGGER_NAME = ?", [$0, name]) }
                ?? ("SELECT 1 FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = DATABASE() AND TRIGGER_NAME = ?", [name])
        case .postgresql:
            let schema = options.schema.map { _ in "?" } ?? "current_schema()"
            query = ("""
                SELECT 1 FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE n.nspname = \(schema) AND c.relname = ? AND t.tgname = ?
                """, (options.schema.map { [$0] } ?? []) + [options.table, name])
        default:
            query = ("SELECT 1 FROM sqlite_master WHERE type = 'trigger' AND name = ?", [name])
        }
        return try !connection.query(query.sql, query.values.map(ODBCConnection.Parameter.text)).result.rows.isEmpty
    }
}

extension ODBCAdapter.Reader {
    /// Under change capture: with no checkpoint, a snapshot of the table by key first (the
    /// change table's last sequence noted before it), then the changes after the checkpoint.
    mutating func changes(_ connection: ODBCConnection) throws -> SourceBatch? {
        let ddl = try adapter.capture()
        guard let first = ddl.triggers.first, try adapter.installed(connection, trigger: first.name) else {
            throw FerryError.adapter(.configuration, "table \(adapter.options.qualified) has no change capture installed",
                hint: "run 'ferry adapters install-capture SYSTEM', or give options.cursor a growing column")
        }
        if case .start = phase {
            phase = .after
            if fresh || position.snapshot != nil {
                if fresh {
                    let last = try connection.query("SELECT MAX(seq) FROM \(ddl.changeTable) WHERE source_table = ?", [.text(adapter.options.table)])
                    position.sequence = Int64(ODBCAdapter.text(last.result.rows.first?[0] ?? nil) ?? "0") ?? 0
                    position.snapshot = []
                }
                phase = .snapshot
            }
        }
        switch phase {
        case .snapshot:
            let keys = key.map(adapter.options.dialect.quote)
            let snapshot = position.snapshot ?? []
            let after = snapshot.count == keys.count ? self.after(key, snapshot) : (sql: "1 = 1", values: [])
            let result = try fetch(connection, "SELECT * FROM \(adapter.options.qualified) WHERE \(after.sql) ORDER BY \(keys.joined(separator: ", "))"
                + adapter.options.dialect.limit(batchSize), after.values)
            guard !result.rows.isEmpty else {
                // The snapshot is whole: the changes made since it began follow (see SQLiteAdapter.Reader).
                phase = full ? .done : .after
                position.snapshot = nil
                return SourceBatch(rows: [], positions: [], checkpoint: position.text)
            }
            let batch = make(result, advances: false)
            position.snapshot = batch.lastKey
            return batch.batch.map { var batch = $0; batch.checkpoint = position.text; return batch }
        case .done:
            return nil
        default:
            return try changesAfter(connection, ddl: ddl)
        }
    }

    /// The change rows after the checkpoint. A run's first page looks back (by `lookback:`,
    /// five minutes by default, at most 100,000 changes): sequence numbers are handed out
    /// when a row is written, not when its transaction commits.
    private mutating func changesAfter(_ connection: ODBCConnection, ddl: CaptureDDL) throws -> SourceBatch? {
        var window = "seq > ?"
        var values: [ODBCConnection.Parameter] = [.text(adapter.options.table), .int(position.sequence)]
        if !lookedBack, position.sequence > 0 {
            switch adapter.options.window.lookback {
            case .rows(let rows):
                values[1] = .int(max(position.sequence - Int64(rows), 0))
            case .seconds, .none:
                var seconds = 300
                if case .seconds(let span) = adapter.options.window.lookback { seconds = span }
                let at = try connection.query("SELECT at FROM \(ddl.changeTable) WHERE seq = ?", [.int(position.sequence)]).result.rows.first?[0]
                if case .string(let start)? = ODBCAdapter.text(at ?? nil).flatMap({ CursorWindow.earlier(.string($0), bySeconds: seconds) }) {
                    window = "seq > ? AND (seq > ? OR at >= ?)"
                    values = [.text(adapter.options.table), .int(max(position.sequence - 100_000, 0)), .int(position.sequence), .text(start)]
                }
            }
        }
        lookedBack = true
        let changes = try fetch(connection, "SELECT seq, op, row_key, row_version FROM \(ddl.changeTable) WHERE source_table = ? AND \(window) ORDER BY seq"
            + adapter.options.dialect.limit(batchSize), values)
        guard let last = changes.rows.last, let lastSequence = ODBCAdapter.text(last[0]).flatMap(Int64.init) else { return nil }
        var batch = SourceBatch(rows: [], positions: [], checkpoint: "")
        for change in changes.rows {
            guard let keyText = ODBCAdapter.text(change[2]) else { continue }
            let keyValues = try PostgresAdapter.object(keyText)
            var row: [String: Value]
            if ODBCAdapter.text(change[1]) == "delete" {
                row = try CaptureDDL.deletion(key: keyValues, version: ODBCAdapter.text(change[3]))
            } else {
                let names = keyValues.keys.sorted()
                let found = try connection.query("SELECT * FROM \(adapter.options.qualified) WHERE "
                    + names.map { "\(adapter.options.dialect.quote($0)) = ?" }.joined(separator: " AND "),
                    try names.map { try ODBCAdapter.parameter(keyValues[$0] ?? .null) }).result
                // Gone since: its delete follows in the change table.
                guard let current = found.rows.first else { continue }
                row = ODBCAdapter.values(current, found.columns)
            }
            batch.rows.append(row)
            batch.positions.append("\(ddl.changeTable) seq \(ODBCAdapter.text(change[0]) ?? "?")")
        }
        position.sequence = lastSequence
        batch.checkpoint = position.text
        return batch
    }
}
