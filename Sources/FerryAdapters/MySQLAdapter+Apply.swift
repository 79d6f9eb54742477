import Foundation
import FerryCore

extension MySQLAdapter {
    /// The session's staging table (see `createStage`): the sink's columns plus the row's
    /// place in the batch, so the server converts each value by the sink's own types once.
    static let stage = "`_ferry_stage`"

    /// Upserts (or deletes) each row with the version guard, in one transaction. A batch of
    /// upserts with one column set goes through the staging table in a few statements; a
    /// batch that does not qualify, or that the table refuses, goes row by row under a
    /// savepoint each, so a refused row is rejected alone and the rest are applied.
    public func apply(_ rows: [SinkRow]) throws -> [SinkOutcome] {
        guard let layout else {
            throw FerryError.adapter(.configuration, "system table \(options.qualified) is used as a sink without key columns")
        }
        guard !rows.isEmpty else { return [] }
        let connection = try connect()
        return try guarded("writing") {
            let columns = Dictionary(try self.columns(connection).map { ($0.name, $0) }) { first, _ in first }
            guard !columns.isEmpty else {
                throw FerryError.adapter(.configuration, "table \(options.qualified) does not exist", hint: "fix options.table or the url's database")
            }
            for name in layout.keyColumns + (layout.versionColumn.map { [$0] } ?? []) where columns[name] == nil {
                throw FerryError.adapter(.configuration, "column \(name) is not in \(options.qualified)", hint: "columns: \(columns.keys.sorted().joined(separator: ", "))")
            }
            let batched = try batchUpsertIsSafe(connection, layout: layout)
            if batched {
                try createStage(connection, columns: Array(columns.values))
            }
            try connection.run("START TRANSACTION")
            do {
                let outcomes = try applyRows(connection, rows, batched: batched, layout: layout, columns: columns)
                try connection.run("COMMIT")
                return outcomes
            } catch {
                try? connection.run("ROLLBACK")
                throw error
            }
        }
    }

    /// The staging table: in memory (`ENGINE=MEMORY`, twice as fast to fill as InnoDB's
    /// temporary tables) when the sink's rows are narrow (at most 2 KB declared, so 5,000 of
    /// them fit the server's default 16 MB `max_heap_table_size`), else `LIKE` the sink; a
    /// partitioned sink, which has no temporary twin, by its columns alone.
    private func createStage(_ connection: MySQLConnection, columns: [ColumnInfo]) throws {
        try connection.run("DROP TEMPORARY TABLE IF EXISTS \(Self.stage)")
        let narrow = columns.reduce(0) { $0 + ($1.octets ?? 16) } <= 2048
        do {
            if narrow {
                try connection.run("CREATE TEMPORARY TABLE \(Self.stage) ENGINE=MEMORY AS SELECT * FROM \(options.qualified) LIMIT 0")
            } else {
                try connection.run("CREATE TEMPORARY TABLE \(Self.stage) LIKE \(options.qualified)")
            }
        } catch let failure as MySQLConnection.Failure where [1562, 1163, 1286].contains(failure.code) {
            try connection.run("DROP TEMPORARY TABLE IF EXISTS \(Self.stage)")
            try connection.run("CREATE TEMPORARY TABLE \(Self.stage) AS SELECT * FROM \(options.qualified) LIMIT 0")
        }
        try connection.run("ALTER TABLE \(Self.stage) ADD COLUMN `_ferry_ord` INT NOT NULL")
    }

    private func applyRows(_ connection: MySQLConnection, _ rows: [SinkRow], batched: Bool, layout: SinkLayout, columns: [String: ColumnInfo]) throws
        -> [SinkOutcome]
    {
        if batched, let first = rows.first, rows.allSatisfy({ $0.operation == .upsert && $0.replacesSameVersion == first.replacesSameVersion }) {
            let names = first.values.keys.sorted()
            // Same fields in every row (a count and lookups, no sort per row), and no key twice.
            let sameFields = rows.allSatisfy { row in row.values.count == names.count && names.allSatisfy { row.values[$0] != nil } }
            var keys = Set<[String]>(minimumCapacity: rows.count)
            if sameFields, rows.allSatisfy({ row in keys.insert(layout.keyColumns.map { row.values[$0]?.text ?? "" }).inserted }) {
                try connection.run("SAVEPOINT ferry_batch")
                do {
                    let outcomes = try upsert(connection, rows, names: names, layout: layout, columns: columns)
                    try connection.run("RELEASE SAVEPOINT ferry_batch")
                    return outcomes
                } catch let failure as MySQLConnection.Failure where Self.isRowError(failure) || failure.code == 1114 {
                    // 1114: a batch larger than the in-memory stage holds goes row by row.
                    try connection.run("ROLLBACK TO SAVEPOINT ferry_batch")
                } catch is RowRefusal {
                    try connection.run("ROLLBACK TO SAVEPOINT ferry_batch")
                }
            }
        }
        var outcomes: [SinkOutcome] = []
        for row in rows {
            try connection.run("SAVEPOINT ferry_row")
            do {
                outcomes.append(row.operation == .delete
                    ? try delete(connection, row, layout: layout, columns: columns)
                    : try upsertOne(connection, row, layout: layout, columns: columns))
                try connection.run("RELEASE SAVEPOINT ferry_row")
            } catch let failure as MySQLConnection.Failure where Self.isRowError(failure) {
                try connection.run("ROLLBACK TO SAVEPOINT ferry_row")
                outcomes.append(.rejected(Self.refusal(failure)))
            } catch let refusal as RowRefusal {
                try connection.run("ROLLBACK TO SAVEPOINT ferry_row")
                outcomes.append(.rejected(refusal.reason))
            }
        }
        return outcomes
    }

    /// Stages `rows`, asks the server which of them the version guard lets in, then
    /// upserts them all with the guard in every assignment. Outcomes come from the verdicts:
    /// new, newer, or exactly what the table holds → applied; otherwise older.
    private func upsert(_ connection: MySQLConnection, _ rows: [SinkRow], names: [String], layout: SinkLayout, columns: [String: ColumnInfo]) throws
        -> [SinkOutcome]
    {
        for name in names where columns[name] == nil {
            throw RowRefusal(reason: "the record has field \(name), which is not a column of \(options.qualified)")
        }
        let table = options.qualified
        let quoted = names.map(Self.quote)
        try connection.run("DELETE FROM \(Self.stage)")
        // One statement of up to 1,000 rows (and 65,535 placeholders), prepared once and run for
        // each full chunk: the server parses a short statement once, not a 5,000-row one per batch.
        let perStatement = max(1, min(1000, 60_000 / (names.count + 1)))
        let tuple = "(" + Array(repeating: "?", count: names.count + 1).joined(separator: ", ") + ")"
        let insert = "INSERT INTO \(Self.stage) (`_ferry_ord`, \(quoted.joined(separator: ", "))) VALUES "
        let infos = names.map { columns[$0] }
        var prepared: (rows: Int, statement: MySQLConnection.Statement)?
        var start = 0
        while start < rows.count {
            let slice = rows[start..<min(rows.count, start + perStatement)]
            var parameters: [MySQLConnection.Parameter] = []
            parameters.reserveCapacity(slice.count * (names.count + 1))
            for (offset, row) in zip(slice.indices, slice) {
                parameters.append(.int(Int64(offset)))
                for (name, info) in zip(names, infos) { parameters.append(try parameter(row.values[name] ?? .null, column: info)) }
            }
            if prepared?.rows != slice.count {
                prepared = (slice.count, try connection.statement(insert + Array(repeating: tuple, count: slice.count).joined(separator: ", ")))
            }
            _ = try prepared?.statement.run(parameters)
            start += slice.count
        }
        let keys = layout.keyColumns.map(Self.quote)
        let match = keys.map { "t.\($0) = s.\($0)" }.joined(separator: " AND ")
        let comparison = rows[0].replacesSameVersion ? ">=" : ">"
        let version = layout.versionColumn.map(Self.quote)
        let admits = version.map { "(s.\($0) \(comparison) t.\($0) OR t.\($0) IS NULL)" } ?? "TRUE"
        let same = quoted.map { "s.\($0) <=> t.\($0)" }.joined(separator: " AND ")
        let verdicts = try connection.query("""
            SELECT s.`_ferry_ord`, CASE WHEN t.\(keys[0]) IS NULL THEN 1 WHEN \(admits) THEN 2 WHEN \(same) THEN 3 ELSE 0 END
            FROM \(Self.stage) AS s LEFT JOIN \(table) AS t ON \(match) FOR UPDATE
            """)
        var outcomes = [SinkOutcome](repeating: .skippedOlder, count: rows.count)
        for row in verdicts.rows {
            guard let place = Self.text(row[0]).flatMap(Int.init), outcomes.indices.contains(place) else { continue }
            outcomes[place] = Self.text(row[1]) == "0" ? .skippedOlder : .applied
        }
        // The version column is assigned last: MySQL evaluates assignments in order, and each
        // guard must still see the row's old version.
        let updated = quoted.filter { !keys.contains($0) && $0 != version } + (version.map { [$0] } ?? [])
        let guardExpression = version.map { "VALUES(\($0)) \(comparison) \(table).\($0) OR \(table).\($0) IS NULL" }
        let assignments = updated.map { column in
            guardExpression.map { "\(table).\(column) = IF(\($0), VALUES(\(column)), \(table).\(column))" } ?? "\(table).\(column) = VALUES(\(column))"
        }
        let list = quoted.joined(separator: ", ")
        var sql = "INSERT INTO \(table) (\(list)) SELECT \(list) FROM \(Self.stage) AS s"
        sql += assignments.isEmpty ? " ON DUPLICATE KEY UPDATE \(table).\(keys[0]) = \(table).\(keys[0])" : " ON DUPLICATE KEY UPDATE " + assignments.joined(separator: ", ")
        _ = try connection.execute(sql)
        return outcomes
    }

    /// Deletes one row by its key; with a version in the row, only a row no newer.
    private func delete(_ connection: MySQLConnection, _ row: SinkRow, layout: SinkLayout, columns: [String: ColumnInfo]) throws -> SinkOutcome {
        var conditions = layout.keyColumns.map { "\(Self.quote($0)) = ?" }
        var parameters = try layout.keyColumns.map { try parameter(row.values[$0] ?? row.key[$0] ?? .null, column: columns[$0]) }
        if let version = layout.versionColumn, let value = row.values[version], value != .null {
            conditions.append("\(Self.quote(version)) <= ?")
            parameters.append(try parameter(value, column: columns[version]))
        }
        let removed = try connection.execute("DELETE FROM \(options.qualified) WHERE " + conditions.joined(separator: " AND "), parameters)
        return removed > 0 ? .applied : .skippedOlder
    }
}
