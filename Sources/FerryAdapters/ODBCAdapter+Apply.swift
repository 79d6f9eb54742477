import Foundation
import FerryCore

extension ODBCAdapter {
    /// Writes each row with the version guard in one transaction, a savepoint around each
    /// (each row commits alone under `dialect: generic`): an upsert is an `UPDATE` of a row
    /// no newer, then an `INSERT` when no row has the key; a delete removes a row no newer.
    /// A row the database refuses (SQLSTATE 22 or 23) is rejected alone.
    public func apply(_ rows: [SinkRow]) throws -> [SinkOutcome] {
        guard let layout else {
            throw FerryError.adapter(.configuration, "system table \(options.qualified) is used as a sink without key columns")
        }
        guard !rows.isEmpty else { return [] }
        let connection = try connect()
        let dialect = options.dialect
        return try guarded("writing") {
            var outcomes: [SinkOutcome] = []
            do {
                for row in rows {
                    if dialect.hasSavepoints { _ = try connection.query("SAVEPOINT ferry_row") }
                    do {
                        outcomes.append(row.operation == .delete ? try delete(connection, row, layout: layout) : try upsert(connection, row, layout: layout))
                        if dialect.releasesSavepoints { _ = try connection.query("RELEASE SAVEPOINT ferry_row") }
                    } catch let failure as ODBCConnection.Failure where ["22", "23"].contains(failure.sqlState.prefix(2)) {
                        if dialect.hasSavepoints { _ = try connection.query(dialect.rollback(to: "ferry_row")) } else { try connection.end(commit: false) }
                        outcomes.append(.rejected("\(failure.message) (SQLSTATE \(failure.sqlState))"))
                    }
                    if !dialect.hasSavepoints { try connection.end(commit: true) }
                }
                try connection.end(commit: true)
            } catch {
                try? connection.end(commit: false)
                throw error
            }
            return outcomes
        }
    }

    private func upsert(_ connection: ODBCConnection, _ row: SinkRow, layout: SinkLayout) throws -> SinkOutcome {
        let dialect = options.dialect
        let names = row.values.keys.sorted()
        let keyCondition = layout.keyColumns.map { "\(dialect.quote($0)) = ?" }.joined(separator: " AND ")
        let keyValues = try layout.keyColumns.map { try Self.parameter(row.values[$0] ?? row.key[$0] ?? .null) }
        let updated = names.filter { !layout.keyColumns.contains($0) }
        var guardSQL = ""
        var guardValues: [ODBCConnection.Parameter] = []
        if let version = layout.versionColumn, let value = row.values[version], value != .null {
            let column = dialect.quote(version)
            guardSQL = " AND (\(column) \(row.replacesSameVersion ? "<=" : "<") ? OR \(column) IS NULL)"
            guardValues = [try Self.parameter(value)]
        }
        if !updated.isEmpty {
            let assignments = updated.map { "\(dialect.quote($0)) = ?" }.joined(separator: ", ")
            let changed = try connection.query("UPDATE \(options.qualified) SET \(assignments) WHERE \(keyCondition)\(guardSQL)",
                try updated.map { try Self.parameter(row.values[$0] ?? .null) } + keyValues + guardValues).affected
            if changed > 0 { return .applied }
        }
        let exists = try connection.query("SELECT 1 FROM \(options.qualified) WHERE \(keyCondition)", keyValues).result.rows
        // Held already: newer, or this version (the contract's "skipped").
        guard exists.isEmpty else { return .skippedOlder }
        let columns = names.map(dialect.quote).joined(separator: ", ")
        let marks = Array(repeating: "?", count: names.count).joined(separator: ", ")
        _ = try connection.query("INSERT INTO \(options.qualified) (\(columns)) VALUES (\(marks))", try names.map { try Self.parameter(row.values[$0] ?? .null) })
        return .applied
    }

    private func delete(_ connection: ODBCConnection, _ row: SinkRow, layout: SinkLayout) throws -> SinkOutcome {
        let dialect = options.dialect
        var conditions = layout.keyColumns.map { "\(dialect.quote($0)) = ?" }
        var values = try layout.keyColumns.map { try Self.parameter(row.values[$0] ?? row.key[$0] ?? .null) }
        if let version = layout.versionColumn, let value = row.values[version], value != .null {
            conditions.append("\(dialect.quote(version)) <= ?")
            values.append(try Self.parameter(value))
        }
        let removed = try connection.query("DELETE FROM \(options.qualified) WHERE " + conditions.joined(separator: " AND "), values).affected
        return removed > 0 ? .applied : .skippedOlder
    }
}
