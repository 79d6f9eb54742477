public import Foundation
public import FerryCore
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import PostgresNIO

/// A table in PostgreSQL, or in a PostgreSQL-compatible government database: only core SQL
/// and PL/pgSQL, no extensions. Rows travel as `row_to_json` text and are written through
/// `json_populate_record`, so the table's own column types do the conversions and every
/// value is bound, never spliced into SQL.
///
/// Calls block on NIO futures (never on Swift's cooperative threads), one connection per
/// read or apply, closed when done.
public struct PostgresAdapter: Source, Sink, ChangeCapturing {
    /// A read is a query: a sync may read ahead of its writes.
    public var readsAhead: Bool { true }

    public struct Options: Sendable {
        public var host: String
        public var port = 5432
        public var user: String
        public var database: String
        /// Read from `password_env` or `password_file` when the options are parsed; never
        /// printed, logged or put in an error.
        public var password: String?
        public var schema = "public"
        public var table: String
        /// A growing column, or `changes` (the table `ferry adapters install-capture` fills).
        public var cursor: String
        public var requireTLS = false
        /// Write with plain parameterised statements rather than through
        /// `json_populate_recordset`; nil asks the server whether it has that function.
        public var plainWrites: Bool?
        public var timeoutSeconds = 30
        /// Where a cursor read starts again and what it does with NULL cursor values.
        public var window = CursorWindow()

        public init(host: String, user: String, database: String, table: String, cursor: String) {
            (self.host, self.user, self.database, self.table, self.cursor) = (host, user, database, table, cursor)
        }

        /// `"schema"."table"`.
        var qualified: String { "\(PostgresAdapter.quote(schema)).\(PostgresAdapter.quote(table))" }
    }

    public let options: Options
    public let layout: SinkLayout?

    public init(options: Options, layout: SinkLayout? = nil) {
        self.options = options
        self.layout = layout
    }

    static let logger = Logger(label: "ferry.postgres")

    /// Parses `options:` of a system with `adapter: postgres`.
    public static func options(_ node: ConfigNode, system: String, environment: [String: String] = ProcessInfo.processInfo.environment,
        baseDirectory: URL) throws -> Options
    {
        let what = "options of system \(system)"
        try node.rejectUnknownKeys(Set(["url", "password_env", "password_file", "schema", "table", "cursor", "tls", "timeout"] + CursorWindow.optionKeys), in: what)
        let urlNode = try node.require("url", in: what)
        let text = try urlNode.string("url")
        guard let url = URLComponents(string: text), ["postgres", "postgresql"].contains(url.scheme ?? ""), let host = url.host, !host.isEmpty,
            let user = url.user, !user.isEmpty
        else {
            throw urlNode.error("url must read postgres://USER@HOST[:PORT]/DATABASE", hint: "the password goes in password_env or password_file")
        }
        guard url.password == nil else {
            throw urlNode.error("the url holds a password", hint: "put it in password_env or password_file: a URL ends up in logs and process lists")
        }
        var options = Options(
            host: host, user: user, database: String(url.path.drop { $0 == "/" }).isEmpty ? user : String(url.path.drop { $0 == "/" }),
            table: try node.require("table", in: what).string("table"), cursor: try node["cursor"]?.string("cursor") ?? "changes")
        options.port = url.port ?? 5432
        options.password = try SecretOption.read(node, "password", environment: environment, baseDirectory: baseDirectory)
        options.schema = try node["schema"]?.string("schema") ?? "public"
        options.window = try CursorWindow.options(node)
        if let tlsNode = node["tls"] {
            let mode = try tlsNode.string("tls")
            guard mode == "disable" || mode == "require" else { throw tlsNode.error("tls is disable or require") }
            options.requireTLS = mode == "require"
        }
        if let timeoutNode = node["timeout"] {
            options.timeoutSeconds = try timeoutNode.int("timeout")
            guard options.timeoutSeconds >= 1 else { throw timeoutNode.error("timeout is seconds, at least 1") }
        }
        return options
    }

    static func quote(_ name: String) -> String { SQLQuote.identifier(name) }

    // MARK: connections

    final class Session {
        let connection: PostgresConnection
        init(_ connection: PostgresConnection) { self.connection = connection }
        // PostgresNIO wants a connection closed before it goes; closing is quick on loopback
        // and bounded by the socket's own timeouts elsewhere.
        deinit {
            let closing: EventLoopFuture<Void> = connection.close()
            try? closing.wait()
        }
    }

    func connect() throws -> Session {
        var configuration = PostgresConnection.Configuration(
            host: options.host, port: options.port, username: options.user, password: options.password, database: options.database,
            tls: options.requireTLS ? .require(try NIOSSLContext(configuration: .makeClientConfiguration())) : .disable)
        configuration.options.connectTimeout = TimeAmount.seconds(Int64(options.timeoutSeconds))
        let connection: PostgresConnection
        do {
            connection = try PostgresConnection.connect(
                on: MultiThreadedEventLoopGroup.singleton.any(), configuration: configuration, id: 1, logger: Self.logger
            ).wait()
        } catch {
            throw connectFailure(error)
        }
        let session = Session(connection)
        // Statements that hang are cut off: an unattended sync must not wait forever.
        _ = try run(session, "SET statement_timeout = \(options.timeoutSeconds * 1000)")
        // timestamptz values read as UTC (+00:00) whatever the server's TimeZone setting, so a
        // mapping never depends on how a server was installed.
        _ = try run(session, "SET TIME ZONE 'UTC'")
        _ = try run(session, "SET DateStyle = 'ISO, YMD'")
        return session
    }

    /// A connection error a person can act on. When the server did not refuse the login in
    /// words (a server error), it is asked what authentication it wants: a method this
    /// client cannot do is named, with the workaround.
    func connectFailure(_ error: any Error) -> FerryError {
        let place = "\(options.user)@\(options.host):\(options.port)/\(options.database)"
        if Self.sqlState(error) == nil, !options.requireTLS,
            let request = PostgresAuthRequest.probe(host: options.host, port: options.port, user: options.user, database: options.database,
                timeoutSeconds: min(options.timeoutSeconds, 10)),
            !request.supported, request != .refused, request != .unreadable
        {
            return FerryError.adapter(.configuration, "PostgreSQL-compatible server \(place) asks for authentication method \(request.name), which Ferry's client cannot do",
                hint: "give this user an md5 or SCRAM-SHA-256 password (openGauss: password_encryption_type = 1 or 2 and ALTER USER … PASSWORD, and a pg_hba.conf line with md5 or sha256 changed to md5)")
        }
        return FerryError.adapter(.retryable, "cannot connect to PostgreSQL \(place): \(Self.describe(error))",
            hint: "check the server, the url and the credentials; the records wait and are retried")
    }

    /// The server's own message, never the query's values or the credentials.
    static func describe(_ error: any Error) -> String {
        if let error = error as? PSQLError {
            if let message = error.serverInfo?[.message] { return message }
            return "\(error.code)"
        }
        return "\(type(of: error))"
    }

    static func sqlState(_ error: any Error) -> String? { (error as? PSQLError)?.serverInfo?[.sqlState] }

    /// Runs SQL with text parameters; the first column of each row comes back as text.
    func run(_ session: Session, _ sql: String, _ parameters: [String?] = []) throws -> [[String?]] {
        var bindings = PostgresBindings(capacity: parameters.count)
        for parameter in parameters {
            if let parameter { bindings.append(parameter) } else { bindings.appendNull() }
        }
        let result = try session.connection.query(PostgresQuery(unsafeSQL: sql, binds: bindings), logger: Self.logger).wait()
        return try result.rows.map { row in try row.map { cell in try cell.decode(String?.self) } }
    }

    /// Fixed statements (no values) on one connection: for the benchmark's tables.
    package func execute(_ statements: [String]) throws {
        let session = try connect()
        try guarded("running statements on") { for sql in statements { _ = try run(session, sql) } }
    }

    func guarded<T>(_ what: String, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as FerryError {
            throw error
        } catch {
            let state = Self.sqlState(error) ?? ""
            // 42xxx: a table or column that is not there; 28xxx: not allowed in.
            let failure: AdapterFailure = state.hasPrefix("42") || state.hasPrefix("28") ? .configuration : .retryable
            throw FerryError.adapter(failure, "\(what) \(options.qualified): \(Self.describe(error))",
                hint: failure == .configuration ? "check the table, its columns and this user's privileges" : "the records wait and are retried")
        }
    }

    // MARK: checking

    public func check() throws {
        let session = try connect()
        try guarded("checking") {
            let found = try run(session, "SELECT to_regclass($1)::text", [options.qualified])
            guard found.first?.first??.isEmpty == false else {
                throw FerryError.adapter(.configuration, "table \(options.qualified) does not exist in \(options.database)", hint: "fix options.table or schema")
            }
            if options.cursor != "changes", try columnType(session, options.cursor) == nil {
                throw FerryError.adapter(.configuration, "cursor column \(options.cursor) is not in \(options.qualified)", hint: "columns: \(try discover().joined(separator: ", "))")
            }
        }
    }

    public func discover() throws -> [String] {
        let session = try connect()
        return try guarded("discovering") {
            try run(session, """
                SELECT attname::text FROM pg_attribute WHERE attrelid = to_regclass($1) AND attnum > 0 AND NOT attisdropped ORDER BY attnum
                """, [options.qualified]).compactMap { $0.first ?? nil }
        }
    }

    /// The column's SQL type as the catalog spells it, or nil if there is no such column.
    func columnType(_ session: Session, _ column: String) throws -> String? {
        let rows = try run(session, """
            SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = to_regclass($1) AND attname = $2 AND NOT attisdropped
            """, [options.qualified, column])
        guard let type = rows.first?.first ?? nil else { return nil }
        // From the catalog, but it is spliced into a cast: allow only what type names use.
        guard type.allSatisfy({ $0.isLetter || $0.isNumber || " _(),[]\"".contains($0) }) else {
            throw FerryError.adapter(.configuration, "unusual type \(type) of column \(column)", hint: "use a column of a plain type as the cursor")
        }
        return type
    }

    // MARK: reading

    public func read(since checkpoint: String?, batchSize: Int) throws -> any SourceReader {
        let position = try Position(checkpoint)
        // A checkpoint another kind of cursor made starts the read afresh (see SQLiteAdapter).
        guard checkpoint != nil, position.fits(cursor: options.cursor) else {
            return Reader(adapter: self, position: try Position(nil), full: false, fresh: true, batchSize: batchSize)
        }
        return Reader(adapter: self, position: position, full: false, fresh: false, batchSize: batchSize)
    }

    public func readAll(batchSize: Int) throws -> any SourceReader {
        Reader(adapter: self, position: try Position(nil), full: true, fresh: true, batchSize: batchSize)
    }

    /// The last cursor value and physical row id read (ties on the cursor are ordered by
    /// ctid), or the last change sequence in `changes` mode (with, during a first full read,
    /// the ctid its snapshot of the table reached).
    struct Position {
        var value: String?
        var ctid: String?
        var sequence: Int64 = 0
        var snapshot: String?
        /// The cursor that made this checkpoint (absent in checkpoints of earlier versions).
        var cursor: String?

        init(_ text: String?) throws {
            guard let text else { return }
            guard case .object(let object) = try? CanonicalJSON.decode(Array(text.utf8)) else {
                throw FerryError.adapter(.configuration, "unreadable checkpoint '\(text)'", hint: "reset it with 'ferry queue reset-checkpoint'")
            }
            value = object["value"]?.text
            ctid = object["ctid"]?.text
            snapshot = object["snapshot"]?.text
            cursor = object["cursor"]?.text
            if case .int(let sequence)? = object["seq"] { self.sequence = sequence }
        }

        /// Whether this checkpoint was made by reading with `cursor`; earlier ones do not say,
        /// but only a column cursor leaves a value.
        func fits(cursor expected: String) -> Bool {
            if let cursor { return cursor == expected }
            return expected == "changes" ? value == nil : (value != nil || sequence == 0)
        }

        var text: String {
            var object: [String: Value] = [
                "value": value.map(Value.string) ?? .null, "ctid": ctid.map(Value.string) ?? .null, "seq": .int(sequence),
            ]
            if let snapshot { object["snapshot"] = .string(snapshot) }
            if let cursor { object["cursor"] = .string(cursor) }
            return String(decoding: CanonicalJSON.encode(.object(object)), as: UTF8.self)
        }
    }

    static func object(_ text: String?) throws -> [String: Value] {
        guard let text, case .object(let members) = try CanonicalJSON.decode(Array(text.utf8)) else { return [:] }
        return members
    }

    // MARK: writing

    /// Upserts (or deletes) each row with the version guard, in one transaction with a
    /// savepoint per row: a row the table refuses is rejected alone, the rest are applied.
    public func apply(_ rows: [SinkRow]) throws -> [SinkOutcome] {
        guard let layout else {
            throw FerryError.adapter(.configuration, "system table \(options.qualified) is used as a sink without key columns")
        }
        let session = try connect()
        let table = options.qualified
        let keys = layout.keyColumns.map(Self.quote)
        let match = keys.map { "t.\($0) = r.\($0)" }.joined(separator: " AND ")
        let version = layout.versionColumn.map(Self.quote)
        return try guarded("writing") {
            _ = try run(session, "BEGIN")
            var outcomes: [SinkOutcome] = []
            do {
                // One statement for the whole batch when it can be; a savepoint per row when
                // it cannot, or when the table refuses something in it. A server without
                // json_populate_recordset gets plain statements, row by row.
                let types = try writesThroughJSON(session) ? nil : try declaredTypes(session)
                if types == nil, let batch = try applyBatch(session, rows, table: table, keys: keys, match: match, version: version) {
                    _ = try run(session, "COMMIT")
                    return batch
                }
                for row in rows {
                    _ = try run(session, "SAVEPOINT ferry_row")
                    do {
                        if let types {
                            outcomes.append(try applyPlain(session, row, types: types, layout: layout))
                        } else {
                            let json = String(decoding: CanonicalJSON.encode(.object(try Self.textual(row.values))), as: UTF8.self)
                            outcomes.append(try applyOne(session, row, json: json, table: table, keys: keys, match: match, version: version))
                        }
                        _ = try run(session, "RELEASE SAVEPOINT ferry_row")
                    } catch where ["22", "23"].contains(Self.sqlState(error)?.prefix(2) ?? "") {
                        // Data and integrity errors belong to this row only.
                        _ = try run(session, "ROLLBACK TO SAVEPOINT ferry_row")
                        outcomes.append(.rejected(Self.describe(error)))
                    }
                }
                _ = try run(session, "COMMIT")
            } catch {
                _ = try? run(session, "ROLLBACK")
                throw error
            }
            return outcomes
        }
    }

    /// Upserts a batch of rows with one column set and distinct keys in one statement;
    /// nil (with nothing changed) when the batch does not qualify or the table refused a row.
    private func applyBatch(_ session: Session, _ rows: [SinkRow], table: String, keys: [String], match: String, version: String?) throws
        -> [SinkOutcome]?
    {
        guard let first = rows.first, rows.allSatisfy({ $0.operation == .upsert && $0.replacesSameVersion == first.replacesSameVersion }) else { return nil }
        let names = first.values.keys.sorted()
        guard rows.allSatisfy({ $0.values.keys.sorted() == names }) else { return nil }
        let json = String(decoding: CanonicalJSON.encode(.list(try rows.map { .object(try Self.textual($0.values)) })), as: UTF8.self)
        let columns = names.map(Self.quote)
        let list = columns.joined(separator: ", ")
        let updates = columns.filter { !keys.contains($0) }.map { "\($0) = EXCLUDED.\($0)" }
        // Each row's key as the server spells it after its own type conversions, in order.
        func identity(_ alias: String) -> String { "concat_ws(chr(31), " + keys.map { "\(alias).\($0)::text" }.joined(separator: ", ") + ")" }
        // From here a value the table's types refuse (too long, not a number) sends the batch
        // row by row, where it is rejected alone.
        _ = try run(session, "SAVEPOINT ferry_batch")
        let identities: [String]
        do {
            identities = try run(session, """
                SELECT \(identity("r")) FROM json_populate_recordset(NULL::\(table), $1::json) WITH ORDINALITY AS r ORDER BY r.ordinality
                """, [json]).map { $0.first.flatMap { $0 } ?? "" }
        } catch where ["22", "23"].contains(Self.sqlState(error)?.prefix(2) ?? "") {
            _ = try run(session, "ROLLBACK TO SAVEPOINT ferry_batch")
            return nil
        }
        guard identities.count == rows.count, Set(identities).count == rows.count else {
            _ = try run(session, "RELEASE SAVEPOINT ferry_batch")
            return nil
        }
        let identity = identity("t")
        var sql = "INSERT INTO \(table) AS t (\(list)) SELECT \(list) FROM json_populate_recordset(NULL::\(table), $1::json) "
            + "ON CONFLICT (\(keys.joined(separator: ", "))) "
        if updates.isEmpty {
            sql += "DO NOTHING"
        } else {
            sql += "DO UPDATE SET \(updates.joined(separator: ", "))"
            if let version { sql += " WHERE EXCLUDED.\(version) \(first.replacesSameVersion ? ">=" : ">") t.\(version) OR t.\(version) IS NULL" }
        }
        let applied: Set<String>
        do {
            applied = Set(try run(session, sql + " RETURNING \(identity)", [json]).compactMap { $0.first ?? nil })
        } catch where ["22", "23", "21"].contains(Self.sqlState(error)?.prefix(2) ?? "") {
            _ = try run(session, "ROLLBACK TO SAVEPOINT ferry_batch")
            return nil
        }
        _ = try run(session, "RELEASE SAVEPOINT ferry_batch")
        // Rows not written: in effect if the table holds exactly them (a lost outcome), else
        // (compared as text: json, xml and point columns have no equality operator)
        // the table holds a newer version or this version with other values.
        var current: Set<String> = []
        if applied.count < rows.count, version != nil {
            let same = columns.map { "t.\($0)::text IS NOT DISTINCT FROM r.\($0)::text" }.joined(separator: " AND ")
            current = Set(try run(session, """
                SELECT \(identity) FROM \(table) AS t JOIN json_populate_recordset(NULL::\(table), $1::json) AS r ON \(match) WHERE \(same)
                """, [json]).compactMap { $0.first ?? nil })
        }
        return identities.map { applied.contains($0) || current.contains($0) ? .applied : .skippedOlder }
    }

    private func applyOne(_ session: Session, _ row: SinkRow, json: String, table: String, keys: [String], match: String, version: String?) throws
        -> SinkOutcome
    {
        let source = "json_populate_record(NULL::\(table), $1::json) AS r"
        if row.operation == .delete {
            var sql = "DELETE FROM \(table) AS t USING \(source) WHERE \(match)"
            if let version, row.values[layout?.versionColumn ?? ""] != nil { sql += " AND t.\(version) <= r.\(version)" }
            return try run(session, sql + " RETURNING 1", [json]).isEmpty ? .skippedOlder : .applied
        }
        let columns = row.values.keys.sorted().map(Self.quote)
        let list = columns.joined(separator: ", ")
        let updates = columns.filter { !keys.contains($0) }.map { "\($0) = EXCLUDED.\($0)" }
        var sql = "INSERT INTO \(table) AS t (\(list)) SELECT \(list) FROM \(source) ON CONFLICT (\(keys.joined(separator: ", "))) "
        if updates.isEmpty {
            sql += "DO NOTHING"
        } else {
            sql += "DO UPDATE SET \(updates.joined(separator: ", "))"
            // An older version never overwrites; the same one only as a same-version change.
            if let version { sql += " WHERE EXCLUDED.\(version) \(row.replacesSameVersion ? ">=" : ">") t.\(version) OR t.\(version) IS NULL" }
        }
        if try !run(session, sql + " RETURNING 1", [json]).isEmpty { return .applied }
        // Unchanged: if the table holds exactly this row, the record is in effect.
        if version != nil {
            let same = columns.map { "t.\($0)::text IS NOT DISTINCT FROM r.\($0)::text" }.joined(separator: " AND ")
            if try !run(session, "SELECT 1 FROM \(table) AS t, \(source) WHERE \(match) AND \(same)", [json]).isEmpty { return .applied }
        }
        return .skippedOlder
    }

    // MARK: change capture

    /// Installs a PL/pgSQL trigger that records every insert, update and delete of the table
    /// in `ferry_changes` (no extensions). Returns what it created; safe to run again.
    public func installCapture(keyColumns: [String], versionColumn: String?) throws -> [String] {
        let session = try connect()
        let table = options.qualified
        let ddl = CaptureDDL(dialect: .postgresql, schema: options.schema, table: options.table, keyColumns: keyColumns, versionColumn: versionColumn)
        return try guarded("installing capture on") {
            let columns = try discover()
            guard !columns.isEmpty else {
                throw FerryError.adapter(.configuration, "table \(table) does not exist", hint: "fix options.table or schema")
            }
            for column in keyColumns + (versionColumn.map { [$0] } ?? []) where !columns.contains(column) {
                throw FerryError.adapter(.configuration, "column \(column) is not in \(table)", hint: "columns: \(columns.joined(separator: ", "))")
            }
            _ = try run(session, ddl.createChangeTable)
            guard let trigger = ddl.triggers.first, let function = trigger.statements.first else { return [] }
            // The function is replaced, so a reinstall brings an older one up to date.
            _ = try run(session, function)
            let existing = try run(session, "SELECT tgname::text FROM pg_trigger WHERE tgrelid = to_regclass($1) AND tgname = $2", [table, trigger.name])
            guard existing.isEmpty else { return [] }
            for statement in trigger.statements.dropFirst() { _ = try run(session, statement) }
            return ["\(options.schema).\(options.table).\(trigger.name)"]
        }
    }
}

extension PostgresAdapter: CursorIndexed {
    public func cursorIndexed() throws -> Bool? {
        guard options.cursor != "changes" else { return nil }
        let session = try connect()
        return try guarded("inspecting the indexes of") {
            !(try run(session, """
                SELECT 1 FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
                WHERE i.indrelid = to_regclass($1) AND a.attname = $2
                """, [options.qualified, options.cursor]).isEmpty)
        }
    }
}
