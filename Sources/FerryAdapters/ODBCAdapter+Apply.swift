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
                    if dialect.hasSavepoints { try connection.run("SAVEPOINT ferry_row") }
                    do {
                        outcomes.append(row.operation == .delete ? try delete(connection, row, layout: layout) : try upsert(connection, row, layout: layout))
                        if dialect.releasesSavepoints { try connection.run("RELEASE SAVEPOINT ferry_row") }
                    } catch let failure as ODBCConnection.Failure where failure.refusesRow(dialect) {
                        if dialect.hasSavepoints { try connection.run(dialect.rollback(to: "ferry_row")) } else { try connection.end(commit: false) }
                        outcomes.append(.rejected("\(RefusalText.withoutValues(failure.message)) (SQLSTATE \(failure.sqlState))"))
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
        if let version = layout.versionColumn {
            let column = dialect.quote(version)
            if let value = row.values[version], value != .null {
                guardSQL = " AND (\(column) \(row.replacesSameVersion ? "<=" : "<") ? OR \(column) IS NULL)"
                guardValues = [try Self.parameter(value)]
            } else {
                // A record without a version replaces only a row without one, as the other sinks do.
                guardSQL = " AND \(column) IS NULL"
            }
        }
        if !updated.isEmpty {
            let assignments = updated.map { "\(dialect.quote($0)) = ?" }.joined(separator: ", ")
            let changed = try connection.query("UPDATE \(options.qualified) SET \(assignments) WHERE \(keyCondition)\(guardSQL)",
                try updated.map { try Self.parameter(row.values[$0] ?? .null) } + keyValues + guardValues).affected
            if changed > 0 { return .applied }
        }
        let held = try connection.query("SELECT \(names.map(dialect.quote).joined(separator: ", ")) FROM \(options.qualified) WHERE \(keyCondition)",
            keyValues).result.rows
        if let current = held.first {
            // Exactly this row already (an apply whose outcome a crash lost) is in effect; a
            // newer version, or this version with other values, is not this record.
            let same = zip(names, current).allSatisfy { name, stored in Self.holds(stored, row.values[name] ?? .null) }
            return same ? .applied : .skippedOlder
        }
        let columns = names.map(dialect.quote).joined(separator: ", ")
        let marks = Array(repeating: "?", count: names.count).joined(separator: ", ")
        _ = try connection.query("INSERT INTO \(options.qualified) (\(columns)) VALUES (\(marks))", try names.map { try Self.parameter(row.values[$0] ?? .null) })
        return .applied
    }

    /// Whether a fetched value is the record's: text compared as written, numbers by value
    /// (a `NUMERIC(33,2)` column gives back `12.50` for `12.5`).
    static func holds(_ stored: [UInt8]?, _ value: Value) -> Bool {
        guard let stored else { return value == .null }
        switch value {
        case .null: return false
        case .bytes(let data): return Data(stored) == data
        case .document: return false
        default:
            guard case .text(let text)? = try? parameter(value) else { return false }
            let held = String(decoding: stored, as: UTF8.self)
            if held == text { return true }
            guard let left = Decimal(string: held, locale: Locale(identifier: "en_US_POSIX")), let right = Decimal(string: text, locale: Locale(identifier: "en_US_POSIX")),
                held.allSatisfy({ $0.isNumber || $0 == "." || $0 == "-" }), text.allSatisfy({ $0.isNumber || $0 == "." || $0 == "-" })
            else { return false }
            return left == right
        }
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
