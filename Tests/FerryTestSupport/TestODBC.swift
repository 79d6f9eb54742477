public import Foundation
import FerryCore
public import FerryAdapters

/// The odbc adapter's three reachable back ends on this machine, through Debian's drivers:
/// MariaDB (`odbc-mariadb`) and PostgreSQL (`odbc-postgresql`) on the servers `make test`
/// starts, and SQLite (`libsqliteodbc`) on a file. Each call gives a fresh database, schema
/// or file, so tests never see each other's tables.
public enum TestODBC {
    public enum Backend: String, CaseIterable, Sendable {
        case mariadb, postgresql, sqlite
    }

    /// Options for `table` with `cursor` on a fresh place in `backend`; the password, when
    /// the server has one, is in `options.password`, never in the connection string.
    /// - Throws: when the server's environment variable is not set (run `make test`).
    public static func options(_ backend: Backend, table: String, cursor: String, directory: URL) throws -> ODBCAdapter.Options {
        switch backend {
        case .mariadb:
            let server = try TestMariaDB.database(table: table, cursor: cursor)
            var options = ODBCAdapter.Options(
                connection: "Driver={MariaDB Unicode};Server=\(server.host);Port=\(server.port);Database=\(server.database);UID=\(server.user)",
                table: table, cursor: cursor)
            options.password = server.password
            options.dialect = .mysql
            return options
        case .postgresql:
            let environment = ProcessInfo.processInfo.environment
            guard let url = environment["FERRY_TEST_POSTGRES"], let base = URLComponents(string: url) else {
                throw FerryError(.config, "FERRY_TEST_POSTGRES is not set", hint: "run the tests with 'make test', which starts PostgreSQL (Ops/test-postgres.sh)")
            }
            var options = ODBCAdapter.Options(
                connection: "Driver={PostgreSQL Unicode};Server=\(base.host ?? "127.0.0.1");Port=\(base.port ?? 5432);Database=\(base.path.dropFirst());UID=\(base.user ?? "ferry")",
                table: table, cursor: cursor)
            options.password = environment["FERRY_TEST_POSTGRES_PASSWORD"]
            options.dialect = .postgresql
            let schema = "ferry_\(UUID().uuidString.prefix(8).lowercased())"
            try ODBCAdapter(options: options).execute(["CREATE SCHEMA \(schema)"])
            options.schema = schema
            return options
        case .sqlite:
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            let file = directory.appendingPathComponent("odbc-\(UUID().uuidString.prefix(8)).db").path
            var options = ODBCAdapter.Options(connection: "Driver=SQLite3;Database=\(file)", table: table, cursor: cursor)
            options.dialect = .sqlite
            return options
        }
    }
}
