public import Foundation
public import FerryCore

/// A table in MySQL or a MySQL-protocol database (MariaDB, OceanBase in MySQL mode, TiDB,
/// GoldenDB, TDSQL), through MariaDB Connector/C. The contract is the `postgres` adapter's:
/// reads by a growing cursor column with ties broken by the primary key, or by the change
/// table that `ferry adapters install-capture` fills with triggers; writes are
/// version-guarded upserts and deletes in batches.
///
/// Every value is bound to a prepared statement. The session runs in strict mode, so a value
/// the column cannot hold is refused rather than truncated, with `utf8mb4` and the
/// configured `time_zone` (UTC by default) for `TIMESTAMP` columns.
public struct MySQLAdapter: Source, Sink, ChangeCapturing {
    /// A read is a query: a sync may read ahead of its writes.
    public var readsAhead: Bool { true }

    public struct Options: Sendable {
        public var host: String
        public var port = 3306
        public var user: String
        public var database: String
        /// Read from `password_env` or `password_file`; never printed, logged or put in an error.
        public var password: String?
        public var table: String
        /// A growing column, or `changes` (the table `ferry adapters install-capture` fills).
        public var cursor: String
        public var requireTLS = false
        /// A CA file: with it the server's certificate and name are verified.
        public var tlsCA: String?
        public var timeoutSeconds = 30
        /// The session's `time_zone`, `±HH:MM`: `TIMESTAMP` values are read and written in it.
        public var timeZone = MySQLTime.Offset.utc
        public var window = CursorWindow()

        public init(host: String, user: String, database: String, table: String, cursor: String) {
            (self.host, self.user, self.database, self.table, self.cursor) = (host, user, database, table, cursor)
        }

        /// `` `database`.`table` ``.
        var qualified: String { "\(MySQLAdapter.quote(database)).\(MySQLAdapter.quote(table))" }
    }

    public let options: Options
    public let layout: SinkLayout?

    public init(options: Options, layout: SinkLayout? = nil) {
        self.options = options
        self.layout = layout
    }

    /// Parses `options:` of a system with `adapter: mysql`.
    public static func options(_ node: ConfigNode, system: String, environment: [String: String] = ProcessInfo.processInfo.environment,
        baseDirectory: URL) throws -> Options
    {
        let what = "options of system \(system)"
        try node.rejectUnknownKeys(
            Set(["url", "password_env", "password_file", "table", "cursor", "tls", "tls_ca", "timeout", "time_zone"] + CursorWindow.optionKeys), in: what)
        let urlNode = try node.require("url", in: what)
        guard let url = URLComponents(string: try urlNode.string("url")), url.scheme == "mysql", let host = url.host, !host.isEmpty,
            let user = url.user, !user.isEmpty, url.path.count > 1
        else {
            throw urlNode.error("url must read mysql://USER@HOST[:PORT]/DATABASE", hint: "the password goes in password_env or password_file")
        }
        guard url.password == nil else {
            throw urlNode.error("the url holds a password", hint: "put it in password_env or password_file: a URL ends up in logs and process lists")
        }
        var options = Options(host: host, user: user, database: String(url.path.dropFirst()),
            table: try node.require("table", in: what).string("table"), cursor: try node["cursor"]?.string("cursor") ?? "changes")
        options.port = url.port ?? 3306
        options.password = try SecretOption.read(node, "password", environment: environment, baseDirectory: baseDirectory)
        options.window = try CursorWindow.options(node)
        if let tlsNode = node["tls"] {
            let mode = try tlsNode.string("tls")
            guard mode == "disable" || mode == "require" else { throw tlsNode.error("tls is disable or require") }
            options.requireTLS = mode == "require"
        }
        if let caNode = node["tls_ca"] {
            options.tlsCA = URL(fileURLWithPath: try caNode.string("tls_ca"), relativeTo: baseDirectory).standardizedFileURL.path
            options.requireTLS = true
        }
        if let timeoutNode = node["timeout"] {
            options.timeoutSeconds = try timeoutNode.int("timeout")
            guard options.timeoutSeconds >= 1 else { throw timeoutNode.error("timeout is seconds, at least 1") }
        }
        if let zoneNode = node["time_zone"] {
            let text = try zoneNode.string("time_zone")
            guard let zone = MySQLTime.Offset(text) else {
                throw zoneNode.error("time_zone is an offset like +08:00, not '\(text)'", hint: "named zones depend on the server's zone tables; China keeps +08:00 all year")
            }
            options.timeZone = zone
        }
        return options
    }

    /// MySQL's quoting of an identifier: backticks, each one doubled.
    static func quote(_ name: String) -> String { SQLQuote.quoted(name, by: UInt8(ascii: "`")) }

    // MARK: connections

    func connect() throws -> MySQLConnection {
        let connection: MySQLConnection
        do {
            connection = try MySQLConnection(MySQLConnection.Settings(
                host: options.host, port: options.port, user: options.user, password: options.password, database: options.database,
                requireTLS: options.requireTLS, tlsCA: options.tlsCA, timeoutSeconds: options.timeoutSeconds))
        } catch let failure as MySQLConnection.Failure {
            throw connectFailure(failure)
        }
        try guarded("opening a session on") {
            // Strict: a value a column cannot hold is an error, never silently cut or zeroed.
            // No backslash escapes: the few literals Ferry writes (names in triggers) mean what they say.
            try connection.run("""
                SET SESSION sql_mode = 'STRICT_ALL_TABLES,NO_ZERO_IN_DATE,NO_ZERO_DATE,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION,NO_BACKSLASH_ESCAPES',
                time_zone = '\(options.timeZone.text)'
                """)
            // Statements that hang are cut off (MariaDB's name; MySQL's covers SELECTs only).
            try? connection.run("SET SESSION max_statement_time = \(options.timeoutSeconds)")
            try? connection.run("SET SESSION max_execution_time = \(options.timeoutSeconds * 1000)")
        }
        return connection
    }

    /// Fixed statements (no values) on one connection: for tests' and the benchmark's tables.
    package func execute(_ statements: [String]) throws {
        let connection = try connect()
        try guarded("running statements on") { for sql in statements { try connection.run(sql) } }
    }

    /// A connection error a person can act on: auth plugins the client lacks are named.
    func connectFailure(_ failure: MySQLConnection.Failure) -> FerryError {
        let place = "\(options.user)@\(options.host):\(options.port)/\(options.database)"
        switch failure.code {
        case 1045, 1044, 1049, 1698:
            return FerryError.adapter(.configuration, "MySQL refused \(place): \(failure.message)", hint: "check the user, its password and its grants on \(options.database)")
        case 2059, 1251:
            return FerryError.adapter(.configuration, "MySQL \(place) asks for an authentication method this client cannot do: \(failure.message)",
                hint: "give the user mysql_native_password or caching_sha2_password (ALTER USER … IDENTIFIED WITH …)")
        case 2026:
            return FerryError.adapter(.configuration, "TLS with MySQL \(place) failed: \(failure.message)", hint: "check tls, tls_ca and the server's certificate")
        default:
            return FerryError.adapter(.retryable, "cannot connect to MySQL \(place): \(failure.message)",
                hint: "check the server, the url and the credentials; the records wait and are retried")
        }
    }

    /// Runs `body`, turning server errors into located adapter errors.
    func guarded<T>(_ what: String, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as FerryError {
            throw error
        } catch let failure as MySQLConnection.Failure {
            // 42xxx: no such table or column, a syntax the server lacks; 28xxx and 1142: not allowed.
            let configuration = failure.sqlState.hasPrefix("42") || failure.sqlState.hasPrefix("28") || [1142, 1143, 1146, 1054].contains(failure.code)
            throw FerryError.adapter(configuration ? .configuration : .retryable, "\(what) \(options.qualified): \(failure)",
                hint: configuration ? "check the table, its columns and this user's privileges" : "the records wait and are retried")
        }
    }

    // MARK: the table

    /// A column as `information_schema.COLUMNS` describes it.
    struct ColumnInfo {
        var name: String
        /// `DATA_TYPE`: `datetime`, `varchar`, `decimal`…
        var type: String
        /// `COLUMN_TYPE`: `decimal(31,2)`, `bigint(20) unsigned`…
        var declared: String
        /// `utf8mb4`, `utf8mb3`, `latin1`…, or nil for columns that hold no text.
        var characterSet: String?
        /// `CHARACTER_OCTET_LENGTH`: the most bytes a text column's value takes; nil for other types.
        var octets: Int? = nil
        var isTime: Bool { type == "datetime" || type == "timestamp" }
        // Switches, not array literals: these are asked once per value written.
        var isInteger: Bool {
            switch type {
            case "tinyint", "smallint", "mediumint", "int", "integer", "bigint": true
            default: false
            }
        }
        /// Bytes: a key of these cannot travel in a text checkpoint or a JSON change row.
        var isBinary: Bool {
            switch type {
            case "binary", "varbinary", "tinyblob", "blob", "mediumblob", "longblob", "bit": true
            default: false
            }
        }

        /// Text bound for this column: an integer as an integer (see `MySQLConnection.Parameter`).
        func bound(_ text: String) -> MySQLConnection.Parameter {
            guard isInteger else { return .text(text) }
            return Int64(text).map(MySQLConnection.Parameter.int) ?? UInt64(text).map(MySQLConnection.Parameter.unsigned) ?? .text(text)
        }
        /// Whether text must fit in three bytes per character (MySQL's `utf8`).
        var isThreeByte: Bool { characterSet == "utf8" || characterSet == "utf8mb3" }
    }

    func columns(_ connection: MySQLConnection) throws -> [ColumnInfo] {
        try connection.query("""
            SELECT COLUMN_NAME, DATA_TYPE, COLUMN_TYPE, CHARACTER_SET_NAME, CHARACTER_OCTET_LENGTH FROM information_schema.COLUMNS
            WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION
            """, [.text(options.database), .text(options.table)]).rows.map { row in
            ColumnInfo(name: Self.text(row[0]) ?? "", type: (Self.text(row[1]) ?? "").lowercased(), declared: Self.text(row[2]) ?? "",
                characterSet: Self.text(row[3]).map { $0.lowercased() }, octets: Self.text(row[4]).flatMap(Int.init))
        }
    }

    /// The primary key's columns, in key order; a cursor read breaks ties by them.
    func primaryKey(_ connection: MySQLConnection) throws -> [String] {
        try connection.query("""
            SELECT COLUMN_NAME FROM information_schema.KEY_COLUMN_USAGE
            WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND CONSTRAINT_NAME = 'PRIMARY' ORDER BY ORDINAL_POSITION
            """, [.text(options.database), .text(options.table)]).rows.compactMap { Self.text($0[0]) }
    }

    static func text(_ bytes: [UInt8]?) -> String? { bytes.map { String(decoding: $0, as: UTF8.self) } }

    public func check() throws {
        let connection = try connect()
        try guarded("checking") {
            let columns = try self.columns(connection)
            guard !columns.isEmpty else {
                throw FerryError.adapter(.configuration, "table \(options.qualified) does not exist", hint: "fix options.table or the url's database")
            }
            if options.cursor != "changes" {
                guard columns.contains(where: { $0.name == options.cursor }) else {
                    throw FerryError.adapter(.configuration, "cursor column \(options.cursor) is not in \(options.qualified)",
                        hint: "columns: \(columns.map(\.name).joined(separator: ", "))")
                }
                guard try !primaryKey(connection).isEmpty else {
                    throw FerryError.adapter(.configuration, "table \(options.qualified) has no primary key, which a cursor read orders ties by",
                        hint: "add a primary key, or use cursor: changes")
                }
            }
        }
    }

    public func discover() throws -> [String] {
        let connection = try connect()
        return try guarded("discovering") { try columns(connection).map(\.name) }
    }
}

extension MySQLAdapter: CursorIndexed, CursorInspecting {
    public func cursorIndexed() throws -> Bool? {
        guard options.cursor != "changes" else { return nil }
        let connection = try connect()
        return try guarded("inspecting the indexes of") {
            !(try connection.query("""
                SELECT 1 FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND COLUMN_NAME = ? AND SEQ_IN_INDEX = 1
                """, [.text(options.database), .text(options.table), .text(options.cursor)]).rows.isEmpty)
        }
    }

    public func cursorHealth() throws -> CursorHealth? {
        guard options.cursor != "changes" else { return nil }
        let connection = try connect()
        return try guarded("inspecting the cursor of") {
            let column = Self.quote(options.cursor)
            let info = try columns(connection).first { $0.name == options.cursor }
            let blank = info?.characterSet != nil ? " OR \(column) = ''" : ""
            let row = try connection.query("SELECT CAST(SUM(\(column) IS NULL\(blank)) AS CHAR), CAST(MAX(\(column)) AS CHAR) FROM \(options.qualified)").rows.first
            return CursorHealth(column: options.cursor, nullRows: Int(Self.text(row?[0] ?? nil) ?? "0") ?? 0,
                newest: Self.text(row?[1] ?? nil).map(Value.string), declaredType: info?.declared, window: options.window)
        }
    }
}
