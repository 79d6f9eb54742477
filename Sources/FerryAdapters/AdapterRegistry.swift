public import FerryCore

/// The adapter types this build has: the one place a type name (`adapter:` in the
/// topology) is looked up, its options parsed, and the adapter built. Adding an adapter
/// touches this module only (and the topology loader's list of names).
public enum AdapterRegistry {
    /// A system's adapter type with its options parsed and checked, nothing connected.
    ///
    /// The one place an adapter type name is looked up: building an adapter and
    /// `ferry check` both start here, so they cannot disagree about which types this build
    /// has (check once refused every http system that sync ran).
    public enum Configured {
        case sqlite(SQLiteAdapter.Options)
        case postgres(PostgresAdapter.Options)
        case mysql(MySQLAdapter.Options)
        case odbc(ODBCAdapter.Options)
        case exec(ExecAdapter.Options)
        case http(HTTPAdapter.Options)
        case folder(FolderAdapter.Options)
        case airbyte(AirbyteAdapter.Options)
    }

    /// Parses the options of one entity of a system, by its `adapter:` type.
    /// - Throws: the options' located error, or `unsupported` for a type this build lacks.
    public static func configured(_ system: Topology.System, entity: String, topology: Topology) throws -> Configured {
        let options = system.options(for: entity)
        let base = topology.baseDirectory
        switch system.adapter {
        case "sqlite": return .sqlite(try SQLiteAdapter.options(options, system: system.name, baseDirectory: base))
        case "postgres": return .postgres(try PostgresAdapter.options(options, system: system.name, baseDirectory: base))
        case "mysql": return .mysql(try MySQLAdapter.options(options, system: system.name, baseDirectory: base))
        case "odbc": return .odbc(try ODBCAdapter.options(options, system: system.name, baseDirectory: base))
        case "exec": return .exec(try ExecAdapter.options(options, system: system.name, baseDirectory: base))
        case "http": return .http(try HTTPAdapter.options(options, system: system.name, baseDirectory: base))
        case "airbyte": return .airbyte(try AirbyteAdapter.options(options, system: system.name, baseDirectory: base))
        case "ndjson", "csv", "xml":
            return .folder(try FolderAdapter.options(
                options, format: RecordFileFormat(rawValue: system.adapter) ?? .ndjson, system: system.name, baseDirectory: base))
        default:
            throw unsupported(system)
        }
    }

    /// The adapter for one entity of a system, from its topology entry; with `layout` it
    /// can also write.
    public static func adapter(for system: Topology.System, entity: String, topology: Topology, layout: SinkLayout? = nil) throws -> any Source & Sink {
        switch try configured(system, entity: entity, topology: topology) {
        case .sqlite(let options): return try SQLiteAdapter(options: options, layout: layout)
        case .postgres(let options): return PostgresAdapter(options: options, layout: layout)
        case .mysql(let options): return MySQLAdapter(options: options, layout: layout)
        case .odbc(let options): return ODBCAdapter(options: options, layout: layout)
        case .exec(let options): return ExecAdapter(options: options, layout: layout)
        case .http(let options): return HTTPAdapter(options: options, layout: layout)
        case .folder(let options): return FolderAdapter(options: options)
        case .airbyte(let options): return AirbyteAdapter(options: options, layout: layout)
        }
    }

    public static func source(for system: Topology.System, entity: String, topology: Topology) throws -> any Source {
        try adapter(for: system, entity: entity, topology: topology)
    }

    public static func unsupported(_ system: Topology.System) -> FerryError {
        FerryError(.config, "system \(system.name): the \(system.adapter) adapter is not available in this build",
            at: .file(system.location), hint: "built in: \(known.joined(separator: ", "))")
    }

    /// The adapter types this build has, with their options, for `ferry adapters list`.
    public static let catalogue: [(type: String, role: String, options: String)] = [
        ("sqlite", "source, sink",
            "path, table, cursor (a growing column, rowid, or changes after ferry adapters install-capture), lookback (5m, 2h or a number of rows re-read before the last cursor value), null_cursor (read or skip)"),
        ("postgres", "source, sink",
            "url (postgres://USER@HOST:PORT/DB), password_env or password_file, schema, table, cursor (a growing column, or changes), lookback, null_cursor, tls, timeout"),
        ("mysql", "source, sink",
            "url (mysql://USER@HOST:PORT/DB; MySQL, MariaDB, OceanBase MySQL mode, TiDB, GoldenDB, TDSQL), password_env or password_file, table, cursor (a growing column with ties by primary key, or changes), lookback, null_cursor, time_zone (+08:00; default UTC, for TIMESTAMP), tls (disable or require), tls_ca, timeout"),
        ("odbc", "source, sink",
            "dsn (a name in odbc.ini) or connection (Driver=…;Server=…), user, password_env or password_file, dialect (mysql, postgresql, oracle, dm, sqlite, generic: quoting, paging, savepoints), schema, table, cursor (a growing column with ties by primary key, or changes after install-capture under dialects mysql, postgresql, sqlite), lookback, null_cursor, timeout"),
        ("ndjson", "source, sink",
            "folder (files dropped to read), done (default folder/done), out (where files are written), pattern, roll_records, encoding (utf-8, gb18030, gbk, utf-16, utf-16le, utf-16be; read and written), on_malformed (quarantine, the default: set a bad line aside and read on; or stop)"),
        ("csv", "source, sink",
            "folder, done, out, pattern, roll_records, delimiter (header row required; \"\" is the empty string, an empty cell null), encoding, on_malformed"),
        ("http", "source, sink",
            "url, items, paging (none, page, offset, cursor, link, keyset, since), page_size, page_param, size_param, offset_param, limit_param, cursor_param, next_cursor, keyset + after_param, since_param + cursor, success (like \"code == 0\"), message, auth_codes, write (record or batch), method, record_url, headers, bearer_env/bearer_file, user + password_env/password_file, ca, cert, key, proxy, timeout, connect_timeout, retries, retry_wait, retry_max_wait, rate_limit"),
        ("exec", "source, sink", "command (a program speaking docs/adapter-protocol.md on stdin/stdout), config, timeout"),
        ("xml", "source, sink",
            "folder, done, out, pattern, roll_records, record (element per record; gx:Record matches that prefix, Record any), root (written around them), encoding (default: the file's byte-order mark or XML declaration)"),
        ("airbyte", "source",
            "command (an Airbyte source connector's executable, e.g. source-faker), config (its config; YAML types kept), secrets (KEY_env / KEY_file into config), stream, namespace, sync_mode (incremental or full_refresh; default incremental where the stream can), cursor_field, timeout (seconds of silence, default 300)"),
    ]

    /// The type names, in the catalogue's order.
    public static var known: [String] { catalogue.map(\.type) }
}
