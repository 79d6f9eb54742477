import Foundation
import FerryCore
import FerryMapping
import FerryAdapters

/// Builds the adapter a system's topology entry describes.
enum SystemAdapters {
    /// The adapter for one entity of a system, from its topology entry; with `layout` it
    /// can also write.
    static func adapter(for system: Topology.System, entity: String, topology: Topology, layout: SinkLayout? = nil) throws -> any Source & Sink {
        let options = system.options(for: entity)
        let base = topology.baseDirectory
        switch system.adapter {
        case "sqlite":
            return try SQLiteAdapter(options: SQLiteAdapter.options(options, system: system.name, baseDirectory: base), layout: layout)
        case "postgres":
            return PostgresAdapter(options: try PostgresAdapter.options(options, system: system.name, baseDirectory: base), layout: layout)
        case "exec":
            return ExecAdapter(options: try ExecAdapter.options(options, system: system.name, baseDirectory: base), layout: layout)
        case "http":
            return HTTPAdapter(options: try HTTPAdapter.options(options, system: system.name, baseDirectory: base), layout: layout)
        case "ndjson", "csv", "xml":
            return FolderAdapter(options: try FolderAdapter.options(
                options, format: RecordFileFormat(rawValue: system.adapter) ?? .ndjson, system: system.name, baseDirectory: base))
        default:
            throw unsupported(system)
        }
    }

    static func source(for system: Topology.System, entity: String, topology: Topology) throws -> any Source {
        try adapter(for: system, entity: entity, topology: topology)
    }

    /// A sink keyed by the columns the mapping stores the entity's key and version in.
    static func sink(for system: Topology.System, mapping: Mapping, topology: Topology) throws -> any Sink {
        let keyColumns = try mapping.entity.key.map { field -> String in
            guard let column = mapping.rule(for: field)?.column else {
                throw FerryError(.config, "mapping \(mapping.name) does not store key field \(field) in a column",
                    at: .file(SourceLocation(file: mapping.file, line: 1, column: 1)), hint: "map \(field) to a column to write to \(system.name)")
            }
            return column
        }
        let layout = SinkLayout(keyColumns: keyColumns, versionColumn: mapping.rule(for: mapping.entity.version)?.column)
        return try adapter(for: system, entity: mapping.entity.name, topology: topology, layout: layout)
    }

    static func unsupported(_ system: Topology.System) -> FerryError {
        FerryError(.config, "system \(system.name): the \(system.adapter) adapter is not available in this build",
            at: .file(system.location), hint: "built in: \(known.joined(separator: ", "))")
    }

    /// The adapter types this build has, with their options, for `ferry adapters list`.
    static let catalogue: [(type: String, role: String, options: String)] = [
        ("sqlite", "source, sink", "path, table, cursor (a growing column, rowid, or changes after ferry adapters install-capture)"),
        ("postgres", "source, sink",
            "url (postgres://USER@HOST:PORT/DB), password_env or password_file, schema, table, cursor (a growing column, or changes), tls, timeout"),
        ("ndjson", "source, sink", "folder (files dropped to read), done (default folder/done), out (where files are written), pattern, roll_records"),
        ("csv", "source, sink", "folder, done, out, pattern, roll_records, delimiter (header row required)"),
        ("http", "source, sink",
            "url, items, paging (none, page, offset, cursor, link), page_size, page_param, size_param, offset_param, limit_param, cursor_param, next_cursor, since_param + cursor, write (record or batch), method, record_url, headers, bearer_env/bearer_file, user + password_env/password_file, ca, cert, key, proxy, timeout, connect_timeout, retries, retry_wait, retry_max_wait, rate_limit"),
        ("exec", "source, sink", "command (a program speaking docs/adapter-protocol.md on stdin/stdout), config, timeout"),
        ("xml", "source, sink", "folder, done, out, pattern, roll_records, record (element per record), root (written around them)"),
    ]

    static var known: [String] { catalogue.map(\.type) }
}
