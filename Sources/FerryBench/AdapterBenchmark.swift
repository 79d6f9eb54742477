public import Foundation
import FerryCore
import FerryAdapters
import FerrySeal
import FerryNode
import FerryOps

/// `ferry bench adapters`: read and apply records/s of the database adapters on generated
/// rows, beside the database's own bulk load of the same rows (`sqlite3 .import`,
/// `psql \copy`, `LOAD DATA LOCAL INFILE`) measured in the same run.
public enum AdapterBenchmark {
    public struct Figures: Sendable {
        public var adapter: String
        public var records: Int
        public var applyPerSecond: Double
        public var readPerSecond: Double
        /// The database's own bulk load, or nil when its command-line tool is missing.
        public var bulkLoadPerSecond: Double?
        public var bulkTool: String
    }

    /// - Parameters:
    ///   - postgres: a server to measure too, as `postgres://USER@HOST:PORT/DB`, with the
    ///     password in `password` (never printed).
    ///   - mysql: a MySQL-protocol server to measure too, as `mysql://USER@HOST:PORT/DB`, with
    ///     the password in `mysqlPassword`.
    public static func run(records: Int, directory: URL, postgres: String?, password: String?, mysql: String? = nil, mysqlPassword: String? = nil) throws
        -> [Figures]
    {
        try? FileManager.default.removeItem(at: directory)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let csv = directory.appendingPathComponent("rows.csv")
        try writeCSV(records: records, to: csv)
        var figures = [try sqlite(records: records, csv: csv, directory: directory)]
        if let postgres { figures.append(try self.postgres(records: records, csv: csv, url: postgres, password: password)) }
        if let mysql { figures.append(try self.mysql(records: records, csv: csv, url: mysql, password: mysqlPassword)) }
        return figures
    }

    static func row(_ index: Int) -> (id: String, name: String, amount: String, updated: String) {
        let names = ["陈静", "王伟", "李娜", "张敏", "刘洋", "杨帆", "赵磊", "黄丽"]
        return (String(format: "R%08d", index), names[index % names.count], "\(index % 100000).\(index % 100)",
            String(format: "2026-11-24 %02d:%02d:%02d", (index / 3600) % 24, (index / 60) % 60, index % 60))
    }

    static func writeCSV(records: Int, to url: URL) throws {
        var text = ""
        text.reserveCapacity(records * 48)
        for index in 0..<records {
            let r = row(index)
            text += "\(r.id),\(r.name),\(r.amount),\(r.updated)\n"
        }
        try Data(text.utf8).write(to: url)
    }

    static func sinkRows(records: Int) -> [[SinkRow]] {
        stride(from: 0, to: records, by: 5000).map { start in
            (start..<min(start + 5000, records)).map { index in
                let r = row(index)
                return SinkRow(key: ["id": .string(r.id)], values: [
                    "id": .string(r.id), "name": .string(r.name), "amount": .decimal(r.amount), "updated": .string(r.updated),
                ])
            }
        }
    }

    static func time(_ body: () throws -> Void) rethrows -> Double {
        var clock = Stopwatch()
        try body()
        return clock.lap()
    }

    static func drain(_ source: any Source) throws -> Int {
        var reader = try source.read(since: nil, batchSize: 5000)
        var count = 0
        while let batch = try reader.next() { count += batch.rows.count }
        return count
    }

    static func sqlite(records: Int, csv: URL, directory: URL) throws -> Figures {
        // Incremental reads need the cursor column indexed, as any source table should have it;
        // the bulk load's table has the same index, so both maintain the same structures.
        let schema = "CREATE TABLE t (id TEXT PRIMARY KEY, name TEXT NOT NULL, amount REAL, updated TEXT NOT NULL); CREATE INDEX t_updated ON t(updated);"
        var bulk: Double?
        if let sqlite3 = PeerTool.locate("sqlite3") {
            let file = directory.appendingPathComponent("bulk.db")
            bulk = Double(records) / (try time {
                try PeerTool.run(sqlite3, [file.path, schema, ".mode csv", ".import \(csv.path) t"])
            })
        }
        let file = directory.appendingPathComponent("ferry.db")
        try SQLiteSystemFile(path: file).execute(schema)
        let adapter = try SQLiteAdapter(options: .init(path: file, table: "t", cursor: "updated"),
            layout: SinkLayout(keyColumns: ["id"], versionColumn: "updated"))
        return try measure(adapter, name: "sqlite", records: records, bulk: bulk, bulkTool: "sqlite3 .import")
    }

    static func postgres(records: Int, csv: URL, url: String, password: String?) throws -> Figures {
        guard let parts = URLComponents(string: url), let host = parts.host, let user = parts.user else {
            throw FerryError(.config, "--postgres takes postgres://USER@HOST:PORT/DATABASE", hint: "the password goes in FERRY_BENCH_POSTGRES_PASSWORD")
        }
        var options = PostgresAdapter.Options(host: host, user: user, database: String(parts.path.dropFirst()), table: "ferry_bench", cursor: "updated")
        options.port = parts.port ?? 5432
        options.password = password
        options.timeoutSeconds = 600
        let adapter = PostgresAdapter(options: options, layout: SinkLayout(keyColumns: ["id"], versionColumn: "updated"))
        let schema = "(id text PRIMARY KEY, name text NOT NULL, amount numeric, updated timestamp NOT NULL)"
        try adapter.execute([
            "DROP TABLE IF EXISTS ferry_bench, ferry_bench_bulk", "CREATE TABLE ferry_bench \(schema)", "CREATE TABLE ferry_bench_bulk \(schema)",
            "CREATE INDEX ferry_bench_updated ON ferry_bench (updated)", "CREATE INDEX ferry_bench_bulk_updated ON ferry_bench_bulk (updated)",
        ])
        var bulk: Double?
        if let psql = PeerTool.locate("psql") {
            bulk = Double(records) / (try time {
                try PeerTool.run(psql, [url, "-q", "-c", "\\copy ferry_bench_bulk FROM '\(csv.path)' CSV"], environment: ["PGPASSWORD": password ?? ""])
            })
        }
        let figures = try measure(adapter, name: "postgres", records: records, bulk: bulk, bulkTool: "psql \\copy")
        try adapter.execute(["DROP TABLE IF EXISTS ferry_bench, ferry_bench_bulk"])
        return figures
    }

    /// Applies the generated rows in batches of 5,000, then reads them all back; checks the count.
    static func measure(_ adapter: any Source & Sink, name: String, records: Int, bulk: Double?, bulkTool: String) throws -> Figures {
        let batches = sinkRows(records: records)
        let apply = try time { for batch in batches { _ = try adapter.apply(batch) } }
        var read = 0
        let readSeconds = try time { read = try drain(adapter) }
        guard read == records else { throw FerryError(.internalFailure, "the benchmark read \(read) of \(records) rows back") }
        return Figures(adapter: name, records: records, applyPerSecond: Double(records) / apply, readPerSecond: Double(records) / readSeconds,
            bulkLoadPerSecond: bulk, bulkTool: bulkTool)
    }
}
