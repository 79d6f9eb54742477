import Foundation
import GRDB
import Logging
import Testing
import FerryTestSupport
import FerryCore
import FerrySeal
@testable import FerryAdapters
@testable import FerryNode
@testable import FerryOps

/// A flow from each adapter type to each other type, on three records, through a real
/// node: read, map, stage, apply, and the target holds exactly the source's records. The
/// database types use the real servers `make test` starts: PostgreSQL, MariaDB (mysql), and
/// PostgreSQL again through Debian's ODBC driver (odbc).
@Suite(.serialized) struct AdapterMatrixTests {
    static let types = ["sqlite", "postgres", "mysql", "odbc", "ndjson", "csv", "xml", "exec", "http"]
    static let servers: Set<String> = ["postgres", "mysql", "odbc"]
    static let pairs = types.flatMap { source in types.filter { $0 != source }.map { (source, $0) } }
    static let people = [("P1", "陈静", "2026-11-24 09:00:00"), ("P2", "王伟, \"小王\"", "2026-11-24 09:01:00"), ("P3", "李娜", "2026-11-24 09:02:00")]
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Ops/adapters/sqlite_table.py")
    /// One REST system serves every http pair, a collection each.
    static let rest = Result { try RESTSystem() }

    @Test(arguments: pairs)
    func aFlowCompletes(_ source: String, _ target: String) throws {
        let directory = DemoTests.temporary("matrix-\(source)-\(target)")
        for folder in ["entities", "codes", "mappings", "keys", "data"] {
            try FileManager.default.createDirectory(at: directory.appendingPathComponent(folder), withIntermediateDirectories: true)
        }
        try Data("""
            entity: Person
            key: [id]
            version: updated
            fields:
              id:      { type: string, required: true }
              name:    { type: string, personal: true }
              updated: { type: timestamp }
            """.utf8).write(to: directory.appendingPathComponent("entities/person.yaml"))
        for system in ["src", "dst"] {
            try Data("""
                system: \(system)
                entity: Person
                unmapped_fields: drop
                fields:
                  id:      { column: id }
                  name:    { column: name }
                  updated: { column: updated, format: "yyyy-MM-dd HH:mm:ss" }
                """.utf8).write(to: directory.appendingPathComponent("mappings/\(system).yaml"))
        }
        _ = try NodeKey.generate(node: "n").write(to: directory.appendingPathComponent("keys"), name: "n")
        let pair = [source, target]
        var servers = Servers()
        if pair.contains("postgres") {
            guard let postgres = try Self.postgresDatabase() else { return }
            servers.postgres = postgres
        }
        if pair.contains("mysql") { servers.mysql = try TestMariaDB.database(table: "people", cursor: "updated") }
        if pair.contains("odbc") { servers.odbc = try TestODBC.options(.postgresql, table: "people", cursor: "updated", directory: directory) }
        let topology = """
            title: adapter matrix \(source) to \(target)
            codes: codes
            zones:
              z: { title: one zone }
            nodes:
              n: { zone: z, store: sqlite:state/n.db, key: keys/n.key }
            trust:
              n: keys/n.pub
            entities:
              Person: entities/person.yaml
            systems:
            \(try system("src", type: source, role: "source", directory: directory, servers: servers))
            \(try system("dst", type: target, role: "target", directory: directory, servers: servers))
            flows:
              - { name: copy, entity: Person, from: src, to: [dst] }
            """
        try Data(topology.utf8).write(to: directory.appendingPathComponent("ferry.yaml"))
        let node = try Node(deployment: Deployment.load(directory.appendingPathComponent("ferry.yaml").path), name: "n",
            logger: Logger(label: "test"))
        let report = try node.sync(flow: "copy")
        #expect(report.pulled == 3 && report.quarantined == 0, "\(source) → \(target): \(report)")
        let held = try landed(target, servers: servers, directory: directory)
        #expect(held == Self.people.map { [$0.0, $0.1, $0.2] }.sorted { $0[0] < $1[0] }, "\(source) → \(target)")
    }

    /// The YAML of one system, with its data (a source) or its empty destination (a target).
    func system(_ name: String, type: String, role: String, directory: URL, servers: Servers) throws -> String {
        let isSource = role == "source"
        let folder = directory.appendingPathComponent("data/\(name)")
        var options: String
        switch type {
        case "sqlite", "exec":
            let database = directory.appendingPathComponent("data/\(name).db")
            try DatabaseQueue(path: database.path).write { db in
                try db.execute(sql: "CREATE TABLE people (id TEXT PRIMARY KEY, name TEXT NOT NULL, updated TEXT NOT NULL)")
                if isSource {
                    for person in Self.people {
                        try db.execute(sql: "INSERT INTO people VALUES (?, ?, ?)", arguments: [person.0, person.1, person.2])
                    }
                }
            }
            options = type == "sqlite"
                ? "{ path: data/\(name).db, table: people, cursor: updated }"
                : "{ command: [python3, \(Self.script.path)], config: { database: data/\(name).db, table: people, cursor: updated, key: [id] } }"
        case "http":
            let rest = try Self.rest.get()
            let collection = "\(directory.lastPathComponent)-\(name)"
            if isSource {
                try rest.seed(collection, Self.people.map { ["id": .string($0.0), "name": .string($0.1), "updated": .string($0.2)] })
            }
            options = isSource
                ? "{ url: \"\(rest.url("/page/\(collection)"))\", paging: page, page_size: 2, cursor: updated, since_param: updated_since }"
                : "{ url: \"\(rest.url("/c/\(collection)"))\", record_url: \"/c/\(collection)/{id}\" }"
        case _ where Self.servers.contains(type):
            guard let table = serverTable(type, name, servers: servers) else { return "" }
            try table.create()
            if isSource {
                _ = try table.adapter.apply(
                    Self.people.map { SinkRow(key: ["id": .string($0.0)], values: ["id": .string($0.0), "name": .string($0.1), "updated": .string($0.2)]) })
            }
            options = table.yaml
        default:
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            if isSource {
                var format = FolderAdapter.Options(format: RecordFileFormat(rawValue: type) ?? .ndjson)
                format.out = folder
                format.recordElement = "person"
                _ = try FolderAdapter(options: format).apply(
                    Self.people.map { SinkRow(key: ["id": .string($0.0)], values: ["id": .string($0.0), "name": .string($0.1), "updated": .string($0.2)]) })
            }
            let element = type == "xml" ? ", record: person" : ""
            options = isSource ? "{ folder: data/\(name)\(element) }" : "{ out: data/\(name)\(element) }"
        }
        return """
              \(name):
                zone: z
                level: municipal
                adapter: \(type)
                options: \(options)
                maps:
                  Person: { file: mappings/\(name).yaml }
            """
    }

    /// What the target holds after the flow, as sorted [id, name, updated] rows.
    func landed(_ type: String, servers: Servers, directory: URL) throws -> [[String]] {
        var rows: [[String: Value]] = []
        switch type {
        case "sqlite", "exec":
            rows = try DatabaseQueue(path: directory.appendingPathComponent("data/dst.db").path).read { db in
                try Row.fetchAll(db, sql: "SELECT id, name, updated FROM people").map { row in
                    ["id": .string(row["id"]), "name": .string(row["name"]), "updated": .string(row["updated"])]
                }
            }
        case "http":
            rows = try Self.rest.get().records("\(directory.lastPathComponent)-dst")
        case _ where Self.servers.contains(type):
            guard let table = serverTable(type, "dst", servers: servers) else { return [] }
            var reader = try table.adapter.readAll(batchSize: 100)
            while let batch = try reader.next() { rows += batch.rows }
        default:
            var options = FolderAdapter.Options(format: RecordFileFormat(rawValue: type) ?? .ndjson)
            options.folder = directory.appendingPathComponent("data/dst")
            options.recordElement = "person"
            var reader = try FolderAdapter(options: options).read(since: nil, batchSize: 100)
            while let batch = try reader.next() { rows += batch.rows }
        }
        return rows.map { [$0["id"]?.text ?? "", $0["name"]?.text ?? "", $0["updated"]?.text ?? ""] }.sorted { $0[0] < $1[0] }
    }

    /// The fresh database (or schema) on each server a pair uses.
    struct Servers {
        var postgres: PostgresAdapter.Options?
        var mysql: MySQLAdapter.Options?
        var odbc: ODBCAdapter.Options?
    }

    /// A table `people_NAME` on a database server: its options as a topology gives them, an
    /// adapter for it, and how to create it.
    func serverTable(_ type: String, _ name: String, servers: Servers) -> (yaml: String, adapter: any Source & Sink, create: () throws -> Void)? {
        let table = "people_\(name)"
        let layout = SinkLayout(keyColumns: ["id"], versionColumn: "updated")
        let columns = "(id VARCHAR(10) PRIMARY KEY, name VARCHAR(100) NOT NULL, updated VARCHAR(20) NOT NULL)"
        switch type {
        case "postgres":
            guard var options = servers.postgres else { return nil }
            options.table = table
            let adapter = PostgresAdapter(options: options, layout: layout)
            return ("{ url: \"postgres://\(options.user)@\(options.host):\(options.port)/\(options.database)\", password_env: FERRY_TEST_POSTGRES_PASSWORD, table: \(table), cursor: updated }",
                adapter, { try adapter.execute(["CREATE TABLE \(options.qualified) \(columns)"]) })
        case "mysql":
            guard var options = servers.mysql else { return nil }
            options.table = table
            let adapter = MySQLAdapter(options: options, layout: layout)
            return ("{ url: \"\(TestMariaDB.url(options))\", password_env: FERRY_TEST_MARIADB_PASSWORD, table: \(table), cursor: updated }",
                adapter, { try adapter.execute(["CREATE TABLE \(options.qualified) \(columns)"]) })
        default:
            guard var options = servers.odbc else { return nil }
            options.table = table
            let adapter = ODBCAdapter(options: options, layout: layout)
            let connection = options.connection.replacingOccurrences(of: ";UID=ferry", with: "")
            return ("""
                { connection: "\(connection)", user: ferry, password_env: FERRY_TEST_POSTGRES_PASSWORD, dialect: postgresql,
                  schema: \(options.schema ?? "public"), table: \(table), cursor: updated }
                """, adapter, { try adapter.execute(["CREATE TABLE \(options.qualified) \(columns)"]) })
        }
    }

    /// A fresh database on the test server, or nil (with an issue) when there is none.
    static func postgresDatabase() throws -> PostgresAdapter.Options? {
        guard let url = ProcessInfo.processInfo.environment["FERRY_TEST_POSTGRES"], let base = URLComponents(string: url) else {
            Issue.record("FERRY_TEST_POSTGRES is not set: run the tests with 'make test', which starts PostgreSQL")
            return nil
        }
        var options = PostgresAdapter.Options(host: base.host ?? "127.0.0.1", user: base.user ?? "ferry", database: "postgres", table: "x", cursor: "updated")
        options.port = base.port ?? 5432
        options.password = ProcessInfo.processInfo.environment["FERRY_TEST_POSTGRES_PASSWORD"]
        let name = "ferry_matrix_\(UUID().uuidString.prefix(8).lowercased())"
        try PostgresAdapter(options: options).execute(["CREATE DATABASE \(name)"])
        options.database = name
        return options
    }
}
