import Foundation
import FerryCore
public import FerryAdapters

/// MariaDB on the server `make test` starts (`FERRY_TEST_MARIADB`, Ops/test-mariadb.sh),
/// one new database per call, so tests never see each other's tables.
public enum TestMariaDB {
    public static let url = ProcessInfo.processInfo.environment["FERRY_TEST_MARIADB"]
    public static let password = ProcessInfo.processInfo.environment["FERRY_TEST_MARIADB_PASSWORD"]

    /// Options for `table` in a fresh database (created with `utf8mb4`), reading by `cursor`.
    /// - Throws: when `FERRY_TEST_MARIADB` is not set (run the tests with `make test`).
    public static func database(table: String = "t", cursor: String = "updated_at") throws -> MySQLAdapter.Options {
        guard let url, let base = URLComponents(string: url) else {
            throw FerryError(.config, "FERRY_TEST_MARIADB is not set", hint: "run the tests with 'make test', which starts MariaDB (Ops/test-mariadb.sh)")
        }
        var options = MySQLAdapter.Options(host: base.host ?? "127.0.0.1", user: base.user ?? "ferry", database: "mysql", table: table, cursor: cursor)
        options.port = base.port ?? 3306
        options.password = password
        let name = "ferry_\(UUID().uuidString.prefix(8).lowercased())"
        try MySQLAdapter(options: options).execute(["CREATE DATABASE \(name) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"])
        options.database = name
        return options
    }

    /// The url a topology's `options.url` takes for `options`' database.
    public static func url(_ options: MySQLAdapter.Options) -> String { "mysql://\(options.user)@\(options.host):\(options.port)/\(options.database)" }
}
