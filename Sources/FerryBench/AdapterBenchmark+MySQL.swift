import Foundation
import FerryCore
import FerryAdapters

extension AdapterBenchmark {
    /// The mysql adapter on a MySQL-protocol server, beside `LOAD DATA LOCAL INFILE` of the
    /// same CSV through the `mariadb` (or `mysql`) client, into a table of the same shape (columns,
    /// key and cursor index).
    static func mysql(records: Int, csv: URL, url: String, password: String?) throws -> Figures {
        guard let parts = URLComponents(string: url), parts.scheme == "mysql", let host = parts.host, let user = parts.user, parts.path.count > 1 else {
            throw FerryError(.config, "--mysql takes mysql://USER@HOST:PORT/DATABASE", hint: "the password goes in FERRY_BENCH_MYSQL_PASSWORD")
        }
        let database = String(parts.path.dropFirst())
        var options = MySQLAdapter.Options(host: host, user: user, database: database, table: "ferry_bench", cursor: "updated")
        options.port = parts.port ?? 3306
        options.password = password
        options.timeoutSeconds = 600
        let adapter = MySQLAdapter(options: options, layout: SinkLayout(keyColumns: ["id"], versionColumn: "updated"))
        let schema = "(id VARCHAR(20) PRIMARY KEY, name VARCHAR(50) NOT NULL, amount DECIMAL(12,2), updated DATETIME NOT NULL) CHARACTER SET utf8mb4"
        try adapter.execute([
            "DROP TABLE IF EXISTS ferry_bench, ferry_bench_bulk", "CREATE TABLE ferry_bench \(schema)", "CREATE TABLE ferry_bench_bulk \(schema)",
            // The bulk table has the sink's shape, cursor index included, so both loads maintain the same indexes.
            "CREATE INDEX ferry_bench_updated ON ferry_bench (updated)", "CREATE INDEX ferry_bench_bulk_updated ON ferry_bench_bulk (updated)",
        ])
        var bulk: Double?
        if let client = PeerTool.locate("mariadb") ?? PeerTool.locate("mysql") {
            // The password goes by environment, never on the command line.
            let load = "LOAD DATA LOCAL INFILE '\(csv.path.replacingOccurrences(of: "'", with: "''"))' INTO TABLE ferry_bench_bulk CHARACTER SET utf8mb4 FIELDS TERMINATED BY ','"
            bulk = Double(records) / (try time {
                try PeerTool.run(client, ["--local-infile=1", "--protocol=tcp", "-h", host, "-P", String(options.port), "-u", user, database, "-e", load],
                    environment: ["MYSQL_PWD": password ?? ""])
            })
        }
        let figures = try measure(adapter, name: "mysql", records: records, bulk: bulk, bulkTool: "LOAD DATA LOCAL INFILE")
        try adapter.execute(["DROP TABLE IF EXISTS ferry_bench, ferry_bench_bulk"])
        return figures
    }
}
