import Foundation
import FerryCore

/// Change capture for MySQL tables (`cursor: changes`): three triggers that
/// `ferry adapters install-capture` creates write every insert, update and delete into
/// `ferry_changes` in the table's database, so deletes and key changes travel too.
extension MySQLAdapter {
    func capture(keyColumns: [String] = [], versionColumn: String? = nil) -> CaptureDDL {
        CaptureDDL(dialect: .mysql, schema: options.database, table: options.table, keyColumns: keyColumns, versionColumn: versionColumn)
    }

    var changeTable: String { capture().changeTable }

    /// Trigger names are per database: the table's name goes in them (see `CaptureDDL`).
    func triggerName(_ event: String) -> String { capture().mysqlTriggerName(event) }

    /// Creates the change table and the insert, update and delete triggers; running it again
    /// changes nothing. Returns the triggers it created.
    public func installCapture(keyColumns: [String], versionColumn: String?) throws -> [String] {
        let connection = try connect()
        let table = options.qualified
        let ddl = capture(keyColumns: keyColumns, versionColumn: versionColumn)
        return try guarded("installing capture on") {
            let described = try self.columns(connection)
            let columns = described.map(\.name)
            if let binary = described.first(where: { $0.isBinary && keyColumns.contains($0.name) }) { throw Self.binaryKey(binary, in: table) }
            guard !columns.isEmpty else { throw FerryError.adapter(.configuration, "table \(table) does not exist", hint: "fix options.table or the url's database") }
            for column in keyColumns + (versionColumn.map { [$0] } ?? []) where !columns.contains(column) {
                throw FerryError.adapter(.configuration, "column \(column) is not in \(table)", hint: "columns: \(columns.joined(separator: ", "))")
            }
            try connection.run(ddl.createChangeTable)
            var created: [String] = []
            for trigger in ddl.triggers {
                let existing = try connection.query("SELECT 1 FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = ? AND TRIGGER_NAME = ?",
                    [.text(options.database), .text(trigger.name)])
                guard existing.rows.isEmpty else { continue }
                for statement in trigger.statements { try connection.run(statement) }
                created.append("\(options.database).\(trigger.name)")
            }
            return created
        }
    }
}

extension MySQLAdapter.Reader {
    /// Changes after the checkpoint: current rows for inserts and updates (none when the row
    /// is gone: its delete follows), key and version rows marked for deletes. With no
    /// checkpoint, a snapshot of the table by key comes first.
    mutating func changes(_ connection: MySQLConnection) throws -> SourceBatch? {
        let options = adapter.options
        let installed = try connection.query("SELECT 1 FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = ? AND TRIGGER_NAME = ?",
            [.text(options.database), .text(adapter.triggerName("ins"))])
        guard !installed.rows.isEmpty else {
            throw FerryError.adapter(.configuration, "table \(options.qualified) has no change capture installed",
                hint: "run 'ferry adapters install-capture SYSTEM', or give options.cursor a growing column")
        }
        if case .start = phase, fresh || position.snapshot != nil {
            if fresh {
                let last = try connection.query("SELECT CAST(COALESCE(MAX(seq), 0) AS CHAR) FROM \(adapter.changeTable) WHERE source_table = ?",
                    [.text(options.table)])
                position.sequence = Int64(MySQLAdapter.text(last.rows.first?[0] ?? nil) ?? "0") ?? 0
                position.snapshot = []
            }
            phase = .snapshot
        }
        switch phase {
        case .snapshot:
            let keys = key.map(MySQLAdapter.quote)
            let after = (position.snapshot ?? []).count == keys.count ? self.after(key, position.snapshot ?? []) : (sql: "TRUE", parameters: [])
            let result = try connection.query("SELECT * FROM \(options.qualified) WHERE \(after.sql) ORDER BY \(keys.joined(separator: ", ")) LIMIT \(batchSize)",
                after.parameters)
            guard !result.rows.isEmpty else {
                // The snapshot is whole; a sync reads the change table from its start next, so
                // deletions made before it travel too (see SQLiteAdapter.Reader).
                phase = full ? .done : .after
                position.snapshot = nil
                if !full { position.sequence = 0 }
                return SourceBatch(rows: [], positions: [], checkpoint: position.text)
            }
            let names = result.columns.map(\.name)
            position.snapshot = key.compactMap { names.firstIndex(of: $0) }.map { MySQLAdapter.text(result.rows.last?[$0] ?? nil) ?? "" }
            var batch = SourceBatch(rows: result.rows.map { adapter.values($0, result.columns) }, positions: [], checkpoint: position.text)
            batch.positions = result.rows.indices.map { "\(options.qualified) snapshot row \($0 + 1)" }
            return batch
        case .done:
            return nil
        default:
            return try changesAfter(connection)
        }
    }

    /// The change rows after the checkpoint; a run's first page looks back (five minutes of
    /// writers' start times unless `lookback:` says otherwise, at most 100,000 changes),
    /// because AUTO_INCREMENT numbers are handed out at insert, not at commit.
    private mutating func changesAfter(_ connection: MySQLConnection) throws -> SourceBatch? {
        let options = adapter.options
        var window = "seq > ?"
        var parameters: [MySQLConnection.Parameter] = [.text(options.table), .text(String(position.sequence))]
        if !lookedBack, position.sequence > 0 {
            switch options.window.lookback {
            case .rows(let rows):
                window = "seq > GREATEST(CAST(? AS SIGNED) - \(rows), 0)"
            case .seconds, .none:
                let seconds: Int
                if case .seconds(let span) = options.window.lookback { seconds = span } else { seconds = 300 }
                window = "seq > GREATEST(CAST(? AS SIGNED) - 100000, 0) AND (seq > ? OR at >= (SELECT at FROM \(adapter.changeTable) WHERE seq = ?) - INTERVAL \(seconds) SECOND)"
                parameters += [.text(String(position.sequence)), .text(String(position.sequence))]
            }
        }
        lookedBack = true
        let changes = try connection.query("""
            SELECT CAST(seq AS CHAR), op, row_key, row_version FROM \(adapter.changeTable) WHERE source_table = ? AND \(window) ORDER BY seq LIMIT \(batchSize)
            """, parameters)
        guard let last = changes.rows.last, let lastSequence = MySQLAdapter.text(last[0]).flatMap(Int64.init) else { return nil }
        var batch = SourceBatch(rows: [], positions: [], checkpoint: "")
        for change in changes.rows {
            guard let keyText = MySQLAdapter.text(change[2]) else { continue }
            let keyValues = try PostgresAdapter.object(keyText)
            var row: [String: Value]
            if MySQLAdapter.text(change[1]) == "delete" {
                row = try CaptureDDL.deletion(key: keyValues, version: MySQLAdapter.text(change[3]))
            } else {
                let names = keyValues.keys.sorted()
                let found = try connection.query("SELECT * FROM \(options.qualified) WHERE "
                    + names.map { "\(MySQLAdapter.quote($0)) <=> ?" }.joined(separator: " AND "),
                    names.map { name in keyValues[name]?.text.map { columns.first { $0.name == name }?.bound($0) ?? .text($0) } ?? .null })
                guard let current = found.rows.first else { continue }
                row = adapter.values(current, found.columns)
            }
            batch.rows.append(row)
            batch.positions.append("\(adapter.changeTable) seq \(MySQLAdapter.text(change[0]) ?? "?")")
        }
        position.sequence = lastSequence
        batch.checkpoint = position.text
        return batch
    }
}
