public import Foundation
public import FerryCore
import CFerryODBC

/// A table reached through unixODBC and the database's own driver: DM8 (达梦), Oracle,
/// and anything else with one. Reads by a growing cursor column with ties broken by the
/// primary key (keyset paging); writes are version-guarded updates, then inserts, one row
/// at a time under a savepoint. Names and columns come from the driver's catalog functions
/// (`SQLColumns`, `SQLPrimaryKeys`); the `dialect` option says how to quote and page.
public struct ODBCAdapter: Source, Sink {
    /// A read is a query: a sync may read ahead of its writes.
    public var readsAhead: Bool { true }

    public struct Options: Sendable {
        /// `DSN=…` or the connection string given, with `UID=` when `user` is set; never a password.
        public var connection: String
        public var password: String?
        public var dialect = SQLDialect.generic
        public var schema: String?
        public var table: String
        public var cursor: String
        public var timeoutSeconds = 30
        public var window = CursorWindow()

        public init(connection: String, table: String, cursor: String) {
            (self.connection, self.table, self.cursor) = (connection, table, cursor)
        }

        var qualified: String { (schema.map { dialect.quote($0) + "." } ?? "") + dialect.quote(table) }
        /// For messages: the DSN or driver, never the whole string.
        var place: String { connection.split(separator: ";").first.map(String.init) ?? "odbc" }
    }

    public let options: Options
    public let layout: SinkLayout?

    public init(options: Options, layout: SinkLayout? = nil) {
        self.options = options
        self.layout = layout
    }

    /// Parses `options:` of a system with `adapter: odbc`.
    public static func options(_ node: ConfigNode, system: String, environment: [String: String] = ProcessInfo.processInfo.environment,
        baseDirectory: URL) throws -> Options
    {
        let what = "options of system \(system)"
        try node.rejectUnknownKeys(
            Set(["dsn", "connection", "user", "password_env", "password_file", "dialect", "schema", "table", "cursor", "timeout"] + CursorWindow.optionKeys),
            in: what)
        var connection: String
        switch (node["dsn"], node["connection"]) {
        case (let dsn?, nil): connection = "DSN=" + (try dsn.string("dsn"))
        case (nil, let text?):
            connection = try text.string("connection")
            let keys = connection.split(separator: ";").compactMap { $0.split(separator: "=", maxSplits: 1).first?.trimmingCharacters(in: .whitespaces).uppercased() }
            if keys.contains("PWD") || keys.contains("PASSWORD") {
                throw text.error("the connection string holds a password", hint: "put it in password_env or password_file")
            }
        default:
            throw node.error("\(what): give dsn (a name in odbc.ini) or connection (a driver connection string), not both",
                hint: "dsn: DM8 or connection: \"Driver=DM8 ODBC DRIVER;Server=…;TCP_Port=5236\"")
        }
        if let user = node["user"] { connection += ";UID=" + (try user.string("user")) }
        var options = Options(connection: connection, table: try node.require("table", in: what).string("table"),
            cursor: try node.require("cursor", in: what).string("cursor"))
        options.password = try SecretOption.read(node, "password", environment: environment, baseDirectory: baseDirectory)
        options.schema = try node["schema"]?.string("schema")
        options.window = try CursorWindow.options(node)
        if let dialectNode = node["dialect"] {
            let text = try dialectNode.string("dialect")
            guard let dialect = SQLDialect(rawValue: text) else {
                throw dialectNode.error("dialect is one of \(SQLDialect.allCases.map(\.rawValue).joined(separator: ", ")), not '\(text)'")
            }
            options.dialect = dialect
        }
        if let timeoutNode = node["timeout"] {
            options.timeoutSeconds = try timeoutNode.int("timeout")
            guard options.timeoutSeconds >= 1 else { throw timeoutNode.error("timeout is seconds, at least 1") }
        }
        return options
    }

    func connect() throws -> ODBCConnection {
        do {
            let connection = try ODBCConnection(connection: options.connection, password: options.password, timeoutSeconds: options.timeoutSeconds)
            if options.dialect == .oracle || options.dialect == .dm {
                // Dates bound and read as text must not depend on the server's NLS settings
                // (DD-MON-RR by default): ISO 8601 shapes, as the other dialects use.
                try? connection.run("ALTER SESSION SET NLS_DATE_FORMAT = 'YYYY-MM-DD HH24:MI:SS' "
                    + "NLS_TIMESTAMP_FORMAT = 'YYYY-MM-DD HH24:MI:SS.FF' NLS_TIMESTAMP_TZ_FORMAT = 'YYYY-MM-DD HH24:MI:SS.FF TZH:TZM'")
            }
            return connection
        } catch let failure as ODBCConnection.Failure {
            // IMxxx: no such DSN or driver; 01000 from the driver manager: a driver library it
            // cannot load; or the login refused.
            let configuration = failure.sqlState.hasPrefix("IM") || failure.sqlState == "01000" || failure.refusedLogin
            throw FerryError.adapter(configuration ? .configuration : .retryable, "cannot connect through ODBC (\(options.place)): \(failure)",
                hint: configuration ? "check odbc.ini (odbcinst -q -s lists the DSNs), the driver in odbcinst.ini, the user and its password"
                    : "check the server; the records wait and are retried")
        }
    }

    /// Fixed statements (no values), committed together: for tests' and the benchmark's tables.
    package func execute(_ statements: [String]) throws {
        let connection = try connect()
        try guarded("running statements on") {
            for sql in statements { try connection.run(sql) }
            try connection.end(commit: true)
        }
    }

    func guarded<T>(_ what: String, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as FerryError {
            throw error
        } catch let failure as ODBCConnection.Failure {
            let configuration = failure.sqlState.hasPrefix("42") || failure.sqlState.hasPrefix("28") || failure.sqlState.hasPrefix("IM")
            throw FerryError.adapter(configuration ? .configuration : .retryable, "\(what) \(options.qualified) through ODBC: \(failure)",
                hint: configuration ? "check the table, its columns, the dialect and this user's privileges" : "the records wait and are retried")
        }
    }

    // MARK: the catalog

    struct ColumnInfo {
        var name: String
        /// The ODBC SQL type.
        var type: Int16
        /// The database's own name for it (`VARCHAR2`, `timestamp`, `INTEGER`).
        var typeName: String

        var isInteger: Bool { [SQL_INTEGER, SQL_SMALLINT, SQL_TINYINT, SQL_BIGINT].map(Int16.init).contains(type) }

        /// Text bound for this column: an integer as an integer (see `ODBCConnection.Parameter`).
        func bound(_ text: String) -> ODBCConnection.Parameter {
            isInteger ? Int64(text).map(ODBCConnection.Parameter.int) ?? .text(text) : .text(text)
        }
    }

    /// The table's columns in order, by `SQLColumns`.
    func columns(_ connection: ODBCConnection) throws -> [ColumnInfo] {
        let result = try connection.catalog { handle in
            Self.wide(options.schema) { schema, schemaLength in
                Self.wide(options.table) { table, tableLength in SQLColumnsW(handle, nil, 0, schema, schemaLength, table, tableLength, nil, 0) }
            }
        }
        // TABLE_NAME is column 3, COLUMN_NAME 4, DATA_TYPE 5, TYPE_NAME 6. The name arguments
        // are patterns (`_` matches any character): other tables' columns are dropped.
        return result.rows.filter { Self.text($0[2]) == options.table }.map { row in
            ColumnInfo(name: Self.text(row[3]) ?? "", type: Int16(Self.text(row[4]) ?? "") ?? 0, typeName: Self.text(row[5]) ?? "")
        }
    }

    /// The primary key's columns in key order, by `SQLPrimaryKeys`.
    func primaryKey(_ connection: ODBCConnection) throws -> [String] {
        let result = try connection.catalog { handle in
            Self.wide(options.schema) { schema, schemaLength in
                Self.wide(options.table) { table, tableLength in SQLPrimaryKeysW(handle, nil, 0, schema, schemaLength, table, tableLength) }
            }
        }
        // COLUMN_NAME is column 4, KEY_SEQ 5.
        return result.rows.filter { Self.text($0[2]) == options.table }.sorted { (Int(Self.text($0[4]) ?? "") ?? 0) < (Int(Self.text($1[4]) ?? "") ?? 0) }.compactMap { Self.text($0[3]) }
    }

    /// A name as the wide catalog functions take it: UTF-16 and its length, or none.
    static func wide<T>(_ name: String?, _ body: (UnsafeMutablePointer<SQLWCHAR>?, SQLSMALLINT) -> T) -> T {
        guard let name else { return body(nil, 0) }
        var units = Array(name.utf16)
        return units.withUnsafeMutableBufferPointer { body($0.baseAddress, SQLSMALLINT($0.count)) }
    }

    static func text(_ bytes: [UInt8]?) -> String? { bytes.map { String(decoding: $0, as: UTF8.self) } }

    public func check() throws {
        let connection = try connect()
        try guarded("checking") {
            let columns = try self.columns(connection)
            guard !columns.isEmpty else {
                throw FerryError.adapter(.configuration, "table \(options.qualified) is not in the driver's catalog",
                    hint: "fix options.table or schema (Oracle and DM keep unquoted names in upper case)")
            }
            if options.cursor == "changes" {
                guard let trigger = try capture().triggers.first, try installed(connection, trigger: trigger.name) else {
                    throw FerryError.adapter(.configuration, "table \(options.qualified) has no change capture installed",
                        hint: "run 'ferry adapters install-capture SYSTEM', or give options.cursor a growing column")
                }
            } else if !columns.contains(where: { $0.name == options.cursor }) {
                throw FerryError.adapter(.configuration, "cursor column \(options.cursor) is not in \(options.qualified)",
                    hint: "columns: \(columns.map(\.name).joined(separator: ", "))")
            }
            guard try !primaryKey(connection).isEmpty else {
                throw FerryError.adapter(.configuration, "table \(options.qualified) has no primary key, which a cursor read orders ties by",
                    hint: "add a primary key to the table")
            }
        }
    }

    public func discover() throws -> [String] {
        let connection = try connect()
        return try guarded("discovering") { try columns(connection).map(\.name) }
    }

    /// A fetched value by its column's ODBC type: integers as `int`, exact and floating
    /// numbers as `decimal` text, `SQL_BIT` as a bool, binary types as bytes, the rest as text.
    static func value(_ bytes: [UInt8], type: Int16) -> Value {
        let text = { String(decoding: bytes, as: UTF8.self) }
        switch Int32(type) {
        case SQL_INTEGER, SQL_SMALLINT, SQL_TINYINT, SQL_BIGINT: return Int64(text()).map(Value.int) ?? .decimal(text())
        case SQL_DECIMAL, SQL_NUMERIC, SQL_FLOAT, SQL_REAL, SQL_DOUBLE: return .decimal(text())
        case SQL_BIT: return .bool(text() == "1")
        case SQL_BINARY, SQL_VARBINARY, SQL_LONGVARBINARY: return .bytes(Data(bytes))
        default: return .string(text())
        }
    }

    static func values(_ row: [[UInt8]?], _ columns: [ODBCConnection.Column]) -> [String: Value] {
        var values: [String: Value] = [:]
        for (index, column) in columns.enumerated() { values[column.name] = row[index].map { value($0, type: column.type) } ?? .null }
        return values
    }

    /// A record value as a bound parameter: text the database converts by the column's type.
    static func parameter(_ value: Value) throws -> ODBCConnection.Parameter {
        switch value {
        case .null: return .null
        case .bool(let flag): return .text(flag ? "1" : "0")
        case .int(let number): return .int(number)
        case .decimal(let text), .string(let text): return .text(text)
        case .bytes(let data): return .bytes(data)
        case .document(let reference):
            guard let path = reference.localPath, let data = FileManager.default.contents(atPath: path) else {
                throw FerryError.adapter(.retryable, "document \(reference.digest) is not in this node's blob store")
            }
            return .bytes(data)
        case .list, .object: return .text(String(decoding: CanonicalJSON.encode(value), as: UTF8.self))
        }
    }
}
