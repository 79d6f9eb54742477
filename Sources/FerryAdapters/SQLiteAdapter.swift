public import Foundation
import GRDB
public import FerryCore

/// A table in an SQLite database, read incrementally by a cursor column (or rowid) and
/// written by idempotent, version-guarded upserts.
public struct SQLiteAdapter: Source, Sink {
    /// A read is a query: a sync may read ahead of its writes.
    public var readsAhead: Bool { true }

    public struct Options: Sendable {
        public var path: URL
        public var table: String
        /// The column that grows with every change, `rowid`, or `changes` (the change table
        /// filled by the triggers of `ferry adapters install-capture`, which sees deletes too).
        public var cursor: String
        /// Where a cursor read starts again and what it does with NULL cursor values.
        public var window = CursorWindow()

        public init(path: URL, table: String, cursor: String, window: CursorWindow = CursorWindow()) {
            self.path = path
            self.table = table
            self.cursor = cursor
            self.window = window
        }
    }

    public let options: Options
    public let layout: SinkLayout?
    let database: DatabaseQueue

    public init(options: Options, layout: SinkLayout? = nil) throws {
        self.options = options
        self.layout = layout
        do {
            var configuration = Configuration()
            configuration.busyMode = .timeout(30)
            database = try DatabaseQueue(path: options.path.path, configuration: configuration)
        } catch {
            throw FerryError.adapter(.retryable, "cannot open SQLite database \(options.path.path)",
                hint: "check the system's options.path and that the file is readable")
        }
    }

    /// Parses `options:` of a system with `adapter: sqlite`.
    public static func options(_ node: ConfigNode, system: String, baseDirectory: URL) throws -> Options {
        try node.rejectUnknownKeys(Set(["path", "table", "cursor"] + CursorWindow.optionKeys), in: "options of system \(system)")
        let pathNode = try node.require("path", in: "options of system \(system)")
        return Options(
            path: URL(fileURLWithPath: try pathNode.string("path"), relativeTo: baseDirectory).standardizedFileURL,
            table: try node.require("table", in: "options of system \(system)").string("table"),
            cursor: try node["cursor"]?.string("cursor") ?? "rowid", window: try CursorWindow.options(node))
    }

    static func quote(_ name: String) -> String { SQLQuote.identifier(name) }

    public func check() throws {
        let exists = try database.read { db in try db.tableExists(options.table) }
        guard exists else {
            throw FerryError.adapter(.configuration, "table \(options.table) does not exist in \(options.path.path)",
                hint: "fix options.table of the system")
        }
        if options.cursor != "rowid" && options.cursor != "changes" {
            let columns = try database.read { db in try db.columns(in: options.table).map(\.name) }
            guard columns.contains(options.cursor) else {
                throw FerryError.adapter(.configuration, "cursor column \(options.cursor) is not in table \(options.table)",
                    hint: "columns: \(columns.joined(separator: ", "))")
            }
        }
    }

    public func discover() throws -> [String] {
        do {
            return try database.read { db in try db.columns(in: options.table).map(\.name) }
        } catch {
            throw FerryError.adapter(.configuration, "cannot read the columns of \(options.table) in \(options.path.path)",
                hint: "check options.table of the system")
        }
    }

    // MARK: reading

    public func read(since checkpoint: String?, batchSize: Int) throws -> any SourceReader {
        try requireRowid()
        let position = try Position(checkpoint)
        // A checkpoint another kind of cursor made (the flow switched to change capture, or
        // to another column) means nothing here: the read starts afresh, and what was sent
        // already is recognised by its digest.
        guard checkpoint != nil, position.fits(cursor: options.cursor) else {
            return Reader(adapter: self, position: try Position(nil), full: false, fresh: true, batchSize: batchSize)
        }
        return Reader(adapter: self, position: position, full: false, fresh: false, batchSize: batchSize)
    }

    public func readAll(batchSize: Int) throws -> any SourceReader {
        try requireRowid()
        return Reader(adapter: self, position: try Position(nil), full: true, fresh: true, batchSize: batchSize)
    }

    /// Reads order ties and page by rowid, which a WITHOUT ROWID table does not have: refused
    /// as a configuration error, not retried for ever.
    func requireRowid() throws {
        let withoutRowid = try database.read { db in
            try Bool.fetchOne(db, sql: "SELECT wr FROM pragma_table_list WHERE name = ? AND schema = 'main'", arguments: [options.table])
        }
        guard withoutRowid != true else {
            throw FerryError.adapter(.configuration, "table \(options.table) is a WITHOUT ROWID table, which Ferry cannot read in order",
                hint: "have the system keep an ordinary (rowid) copy to read from, or read it with the exec adapter; writing to it works")
        }
    }

    /// The checkpoint: last cursor value and rowid (or, under change capture, the last change
    /// sequence in `rowid`, and during a first full read the rowid reached in `snapshot`).
    struct Position {
        var value: Value = .null
        var rowid: Int64 = 0
        var snapshot: Int64?
        /// The cursor that made this checkpoint (absent in checkpoints of earlier versions).
        var cursor: String?

        init(_ text: String?) throws {
            guard let text else { return }
            guard case .object(let object) = try CanonicalJSON.decode(Array(text.utf8)) else {
                throw FerryError.adapter(.configuration, "unreadable checkpoint '\(text)'", hint: "reset it with 'ferry queue reset-checkpoint'")
            }
            value = object["value"] ?? .null
            if case .int(let r)? = object["rowid"] { rowid = r }
            if case .int(let r)? = object["snapshot"] { snapshot = r }
            if case .string(let c)? = object["cursor"] { cursor = c }
        }

        /// Whether this checkpoint was made by reading with `cursor`. Earlier checkpoints do
        /// not say: a change sequence has no cursor value, a column cursor has one.
        func fits(cursor expected: String) -> Bool {
            if let cursor { return cursor == expected }
            // An earlier checkpoint without a value may be a rowid or a change sequence: only a
            // rowid read takes it; a change read starts afresh (a snapshot), which is safe.
            switch expected {
            case "changes": return false
            case "rowid": return value == .null
            default: return value != .null
            }
        }

        var text: String {
            var object: [String: Value] = ["value": value, "rowid": .int(rowid)]
            if let snapshot { object["snapshot"] = .int(snapshot) }
            if let cursor { object["cursor"] = .string(cursor) }
            return String(decoding: CanonicalJSON.encode(.object(object)), as: UTF8.self)
        }
    }

    static func value(_ value: DatabaseValue) -> Value {
        switch value.storage {
        case .null: return .null
        case .int64(let i): return .int(i)
        case .double(let d): return .decimal(String(d))
        case .string(let s): return .string(s)
        case .blob(let data): return .bytes(data)
        }
    }

    /// A value to write. Decimals go as their exact text: a TEXT column keeps every digit,
    /// and the sink refuses a decimal that a numeric column would round (see `apply`).
    static func databaseValue(_ value: Value) -> DatabaseValue {
        switch value {
        // A document's bytes are streamed in after its row is written (`SQLiteBlobWriter`).
        case .null, .list, .object, .document: return .null
        case .bytes(let data): return data.databaseValue
        case .bool(let b): return b.databaseValue
        case .int(let i): return i.databaseValue
        case .decimal(let d): return d.databaseValue
        case .string(let s): return s.databaseValue
        }
    }

    /// A cursor value to compare with: a REAL cursor compares as the number it read back as.
    static func cursorArgument(_ value: Value) -> DatabaseValue {
        if case .decimal(let d) = value, let number = Double(d) { return number.databaseValue }
        return databaseValue(value)
    }

    // MARK: writing

    /// A declared column type's affinity, by SQLite's rules (Datatypes in SQLite, 3.1).
    static func affinity(_ declared: String) -> String {
        let type = declared.uppercased()
        if type.contains("INT") { return "INTEGER" }
        if type.contains("CHAR") || type.contains("CLOB") || type.contains("TEXT") { return "TEXT" }
        if type.isEmpty || type.contains("BLOB") { return "BLOB" }
        if type.contains("REAL") || type.contains("FLOA") || type.contains("DOUB") { return "REAL" }
        return "NUMERIC"
    }

    public func apply(_ rows: [SinkRow]) throws -> [SinkOutcome] {
        guard let layout else {
            throw FerryError.adapter(.configuration, "system table \(options.table) is used as a sink without key columns")
        }
        let table = Self.quote(options.table)
        do {
            return try database.write { db in
                guard try db.tableExists(options.table) else {
                    throw FerryError.adapter(.configuration, "table \(options.table) does not exist in \(options.path.path)",
                        hint: "restore the table or fix the system's options.table; the records wait and are retried")
                }
                var plan = ApplyPlan(layout: layout, table: table)
                plan.affinities = try Dictionary(db.columns(in: options.table).map { ($0.name, Self.affinity($0.type)) }) { first, _ in first }
                return try rows.map { row in
                    do {
                        return try apply(row, plan: &plan, db: db)
                    } catch let error as DatabaseError where error.resultCode == .SQLITE_CONSTRAINT || error.resultCode == .SQLITE_MISMATCH {
                        // This row breaks the sink's rules: reject it, apply the rest.
                        return .rejected("\(error.message ?? "SQLite error \(error.resultCode)")")
                    }
                }
            }
        } catch let error as DatabaseError {
            throw FerryError.adapter(.retryable, "writing \(options.table): \(error.message ?? "SQLite error \(error.resultCode)")")
        }
    }

    /// The SQL of one batch, built once: quoting names and joining clauses per row was a
    /// fifth of apply time.
    private struct ApplyPlan {
        let layout: SinkLayout
        let table: String
        let keyClause: String
        /// Upsert SQL by column set and whether it overwrites the same version.
        var upserts: [[String]: String] = [:]
        var sameVersionUpserts: [[String]: String] = [:]

        /// Each column's SQLite type affinity (SQLite "Datatypes", section 3.1).
        var affinities: [String: String] = [:]

        /// Why a row cannot be written without altering a value: a decimal with more digits
        /// than a REAL holds (15 significant) bound for a column that would convert it.
        func roundingRefusal(_ values: [String: Value]) -> String? {
            for (column, value) in values {
                guard case .decimal(let text) = value, let affinity = affinities[column], ["INTEGER", "REAL", "NUMERIC"].contains(affinity) else { continue }
                let digits = text.drop { $0 == "-" || $0 == "0" || $0 == "." }.filter(\.isNumber)
                // A whole number that fits 64 bits is stored exactly, except in a REAL column.
                let whole = Int64(text) != nil && affinity != "REAL"
                if !whole && digits.count > 15 {
                    return "column \(column) has \(affinity) affinity, which would round \(text) to 15 digits; "
                        + "declare it TEXT (or DECIMAL stored as text) to keep every digit"
                }
            }
            return nil
        }

        init(layout: SinkLayout, table: String) {
            self.layout = layout
            self.table = table
            keyClause = layout.keyColumns.map { "\(SQLiteAdapter.quote($0)) = ?" }.joined(separator: " AND ")
        }

        /// - Parameter documents: columns that take a document: written as `zeroblob(size)`,
        ///   then filled from the document's file.
        mutating func upsert(_ columns: [String], documents: Set<String>, replacingSameVersion: Bool) -> String {
            let cacheKey = columns + documents.sorted().map { "\u{0}" + $0 }
            if let sql = replacingSameVersion ? sameVersionUpserts[cacheKey] : upserts[cacheKey] { return sql }
            let names = columns.map(SQLiteAdapter.quote).joined(separator: ", ")
            let marks = columns.map { documents.contains($0) ? "zeroblob(?)" : "?" }.joined(separator: ", ")
            let updates = columns.filter { !layout.keyColumns.contains($0) }.map { "\(SQLiteAdapter.quote($0)) = excluded.\(SQLiteAdapter.quote($0))" }
            var sql = "INSERT INTO \(table) (\(names)) VALUES (\(marks)) ON CONFLICT(\(layout.keyColumns.map(SQLiteAdapter.quote).joined(separator: ", "))) "
            if updates.isEmpty {
                sql += "DO NOTHING"
            } else {
                sql += "DO UPDATE SET \(updates.joined(separator: ", "))"
                if let version = layout.versionColumn {
                    // The version guard: an older version never overwrites, nor does the same
                    // one unless the record is a same-version change.
                    let comparison = replacingSameVersion ? ">=" : ">"
                    sql += " WHERE excluded.\(SQLiteAdapter.quote(version)) \(comparison) \(table).\(SQLiteAdapter.quote(version)) OR \(table).\(SQLiteAdapter.quote(version)) IS NULL"
                }
            }
            if replacingSameVersion { sameVersionUpserts[cacheKey] = sql } else { upserts[cacheKey] = sql }
            return sql
        }
    }

    private func apply(_ row: SinkRow, plan: inout ApplyPlan, db: Database) throws -> SinkOutcome {
        let layout = plan.layout
        let keyArguments = layout.keyColumns.map { Self.databaseValue(row.key[$0] ?? .null) }
        switch row.operation {
        case .delete:
            var sql = "DELETE FROM \(plan.table) WHERE \(plan.keyClause)"
            var arguments = keyArguments
            if let version = layout.versionColumn, let value = row.values[version] {
                sql += " AND \(Self.quote(version)) <= ?"
                arguments.append(Self.databaseValue(value))
            }
            try db.cachedStatement(sql: sql).execute(arguments: StatementArguments(arguments))
            return db.changesCount > 0 ? .applied : .skippedOlder
        case .upsert:
            let columns = row.values.keys.sorted()
            // Rows of one mapping share their SQL, so the statement is prepared once per batch.
            if let refusal = plan.roundingRefusal(row.values) { return .rejected(refusal) }
            let documents = row.values.compactMapValues { value -> DocumentRef? in
                if case .document(let reference) = value { return reference }
                return nil
            }
            try db.cachedStatement(sql: plan.upsert(columns, documents: Set(documents.keys), replacingSameVersion: row.replacesSameVersion)).execute(
                arguments: StatementArguments(columns.map { column in
                    documents[column].map { $0.size.databaseValue } ?? Self.databaseValue(row.values[column] ?? .null)
                }))
            if db.changesCount > 0 {
                try fill(documents, table: plan.table, keyClause: plan.keyClause, key: keyArguments, db: db)
                return .applied
            }
            // Unchanged: if the sink already holds exactly this row (an apply whose outcome a
            // crash lost), the record is in effect, which is what "applied" means. The same
            // version with other values is not this record.
            if layout.versionColumn != nil {
                // A document column is compared by its length: its bytes were checked against
                // the digest when the document arrived.
                let same = columns.map { documents[$0] == nil ? "\(Self.quote($0)) IS ?" : "length(\(Self.quote($0))) IS ?" }.joined(separator: " AND ")
                let statement = try db.cachedStatement(sql: "SELECT 1 FROM \(plan.table) WHERE \(plan.keyClause) AND \(same)")
                let arguments = keyArguments + columns.map { column in
                    documents[column].map { $0.size.databaseValue } ?? Self.databaseValue(row.values[column] ?? .null)
                }
                if try Int.fetchOne(statement, arguments: StatementArguments(arguments)) != nil { return .applied }
            }
            return .skippedOlder
        }
    }
}

extension SQLiteAdapter: CursorIndexed {
    public func cursorIndexed() throws -> Bool? {
        guard options.cursor != "rowid", options.cursor != "changes" else { return nil }
        return try database.read { db in
            try db.indexes(on: options.table).contains { $0.columns.first == options.cursor }
        }
    }
}
