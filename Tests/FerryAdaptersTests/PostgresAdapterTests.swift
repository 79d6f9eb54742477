import Foundation
import Testing
import FerryCore
@testable import FerryAdapters

/// The PostgreSQL adapter against a real server (`make test` starts one on 127.0.0.1 with
/// password authentication; Ops/test-postgres.sh). Each test works in its own database.
@Suite(.serialized) struct PostgresAdapterTests {
    static let url = ProcessInfo.processInfo.environment["FERRY_TEST_POSTGRES"]
    static let password = ProcessInfo.processInfo.environment["FERRY_TEST_POSTGRES_PASSWORD"]

    /// A hostile table name: quoting, not string building, must carry it.
    static let table = #"申请 "x"; DROP TABLE y; --"#

    /// A fresh database with the test table, and options for it.
    func database(cursor: String = "updated_at") throws -> PostgresAdapter.Options? {
        guard let url = Self.url, let base = URLComponents(string: url) else {
            Issue.record("FERRY_TEST_POSTGRES is not set: run the tests with 'make test', which starts PostgreSQL (Ops/test-postgres.sh)")
            return nil
        }
        var admin = PostgresAdapter.Options(host: base.host ?? "127.0.0.1", user: base.user ?? "ferry", database: "postgres", table: "x", cursor: cursor)
        admin.port = base.port ?? 5432
        admin.password = Self.password
        let name = "ferry_test_\(UUID().uuidString.prefix(8).lowercased())"
        let adminSession = try PostgresAdapter(options: admin).connect()
        _ = try PostgresAdapter(options: admin).run(adminSession, "CREATE DATABASE \(name)")
        var options = admin
        options.database = name
        options.table = Self.table
        let adapter = PostgresAdapter(options: options)
        _ = try adapter.run(try adapter.connect(), """
            CREATE TABLE \(options.qualified) (
                id text PRIMARY KEY, name text NOT NULL, amount numeric, born date, active boolean, visits integer,
                updated_at timestamp NOT NULL)
            """)
        return options
    }

    func sink(_ options: PostgresAdapter.Options) -> PostgresAdapter {
        PostgresAdapter(options: options, layout: SinkLayout(keyColumns: ["id"], versionColumn: "updated_at"))
    }

    func row(_ id: String, _ name: String, _ updated: String, amount: Value = .decimal("12.50")) -> SinkRow {
        SinkRow(key: ["id": .string(id)], values: [
            "id": .string(id), "name": .string(name), "amount": amount, "born": "1990-01-31", "active": "true", "visits": 3,
            "updated_at": .string(updated),
        ])
    }

    func readAll(_ adapter: PostgresAdapter, since: String? = nil, batch: Int = 2) throws -> ([[String: Value]], String?) {
        var reader = try adapter.read(since: since, batchSize: batch)
        var rows: [[String: Value]] = []
        var checkpoint = since
        while let next = try reader.next() {
            rows += next.rows
            checkpoint = next.checkpoint
        }
        return (rows, checkpoint)
    }

    /// Through json_populate_recordset, and by plain statements as on a compatible server
    /// that lacks it: the same outcomes.
    @Test(arguments: [false, true])
    func upsertsWithTheVersionGuardAndReadsIncrementally(plain: Bool) throws {
        guard var options = try database() else { return }
        options.plainWrites = plain ? true : nil
        let adapter = sink(options)
        try adapter.check()
        #expect(try adapter.discover() == ["id", "name", "amount", "born", "active", "visits", "updated_at"])
        let hostile = "'); DROP TABLE x; --"
        let first = try adapter.apply([row("A1", "陈静", "2026-11-24 09:00:00"), row("A2", hostile, "2026-11-24 09:00:00"),
            row("A3", "王伟", "2026-11-24 09:00:00")])
        #expect(first == [.applied, .applied, .applied])
        // Older, equal and newer versions; a row the table refuses is rejected alone.
        let second = try adapter.apply([row("A1", "old", "2026-11-23 00:00:00"), row("A2", hostile, "2026-11-24 09:00:00"),
            row("A3", "王伟伟", "2026-11-25 09:00:00"), SinkRow(key: ["id": "A4"], values: ["id": "A4", "name": .null, "updated_at": "2026-11-25 09:00:00"]),
            row("A5", "李娜", "2026-11-25 10:00:00", amount: "not a number")])
        #expect(second[0] == .skippedOlder && second[1] == .applied && second[2] == .applied)
        guard case .rejected = second[3], case .rejected = second[4] else {
            Issue.record("bad rows were not rejected: \(second)")
            return
        }

        let (rows, checkpoint) = try readAll(adapter)
        #expect(rows.map { $0["id"]?.text } == ["A1", "A2", "A3"], "ordered by the cursor, ties by ctid")
        #expect(rows[0]["name"] == "陈静" && rows[0]["amount"] == .decimal("12.50") && rows[0]["born"] == "1990-01-31")
        #expect(rows[1]["name"]?.text == hostile, "hostile text stored and read literally")
        #expect(rows[2]["name"] == "王伟伟" && rows[2]["visits"] == 3 && rows[2]["active"] == true)
        // Incremental: what changed after the checkpoint, and the row at the checkpoint's own
        // cursor value read again (a row stamped in that instant later would be read too).
        _ = try adapter.apply([row("A1", "陈静静", "2026-11-26 08:00:00")])
        let (changed, _) = try readAll(adapter, since: checkpoint)
        #expect(changed.map { $0["id"]?.text } == ["A3", "A1"])
        // One statement for a clean batch: an older version skipped, the same version in effect.
        #expect(try adapter.apply([row("A1", "old", "2026-11-01 00:00:00"), row("A3", "王伟伟", "2026-11-25 09:00:00")]) == [.skippedOlder, .applied])
        // Deletes are version-guarded too.
        let deletes = try adapter.apply([
            SinkRow(key: ["id": "A2"], values: ["id": "A2", "updated_at": "2026-11-24 09:00:00"], operation: .delete),
            SinkRow(key: ["id": "A1"], values: ["id": "A1", "updated_at": "2026-11-20 00:00:00"], operation: .delete),
        ])
        #expect(deletes == [.applied, .skippedOlder])
        // Too long for its column: refused, never cut to fit (an explicit cast would cut).
        _ = try adapter.run(try adapter.connect(), "ALTER TABLE \(options.qualified) ADD COLUMN code varchar(4)")
        var long = row("A7", "周", "2026-11-27 08:00:00")
        long.values["code"] = "350203"
        guard case .rejected = try adapter.apply([long]).first else {
            Issue.record("a value longer than its varchar(4) column was written")
            return
        }
    }

    @Test func triggersCaptureInsertsUpdatesAndDeletes() throws {
        guard var options = try database(cursor: "changes") else { return }
        let adapter = sink(options)
        #expect(try adapter.installCapture(keyColumns: ["id"], versionColumn: "updated_at").count == 1)
        #expect(try adapter.installCapture(keyColumns: ["id"], versionColumn: "updated_at").isEmpty, "installing twice changes nothing")
        _ = try adapter.apply([row("B1", "甲", "2026-11-24 09:00:00"), row("B2", "乙", "2026-11-24 09:00:00")])
        // A first read: the table (a snapshot), then its change table from the start.
        let (inserted, checkpoint) = try readAll(adapter)
        #expect(Set(inserted.compactMap { $0["id"]?.text }) == ["B1", "B2"])
        _ = try adapter.apply([
            row("B1", "甲二", "2026-11-25 09:00:00"),
            SinkRow(key: ["id": "B2"], values: ["id": "B2", "updated_at": "2026-11-24 09:00:00"], operation: .delete),
        ])
        // A run looks back over recent changes (a transaction may commit after a later-numbered
        // one): they come again as the rows now are, and the node recognises them as sent.
        let (changes, _) = try readAll(adapter, since: checkpoint)
        let upserts = changes.filter { $0["_op"] == nil }
        #expect(!upserts.isEmpty && upserts.allSatisfy { $0["id"] == "B1" && $0["name"] == "甲二" }, "\(upserts)")
        let last = try #require(changes.last)
        #expect(last["_op"] == "delete" && last["id"] == "B2" && last["updated_at"]?.text == "2026-11-24T09:00:00")
        // A source without capture says so.
        options.table = "x"
        #expect(throws: FerryError.self) { _ = try readAll(PostgresAdapter(options: options)) }
    }

    @Test func credentialsStayOutOfErrorsAndURLs() throws {
        guard var options = try database() else { return }
        options.password = "wrong-secret-42"
        do {
            try PostgresAdapter(options: options).check()
            Issue.record("a wrong password got in")
        } catch let error as FerryError {
            #expect(error.adapterFailure == .retryable)
            #expect(!error.description.contains("wrong-secret-42"))
            #expect(error.message.contains("password authentication failed"), "\(error.message)")
        }
        let yaml = try ConfigNode.parse("url: postgres://ferry:hunter2@127.0.0.1/db\ntable: t\n", file: "t.yaml")
        do {
            _ = try PostgresAdapter.options(yaml, system: "s", baseDirectory: URL(fileURLWithPath: "/"))
            Issue.record("a password in the URL was accepted")
        } catch let error as FerryError {
            #expect(!error.description.contains("hunter2") && error.message.contains("holds a password"))
        }
        let env = try ConfigNode.parse("url: postgres://ferry@127.0.0.1/db\ntable: t\npassword_env: PGPW\n", file: "t.yaml")
        #expect(try PostgresAdapter.options(env, system: "s", environment: ["PGPW": "s3cret"], baseDirectory: URL(fileURLWithPath: "/")).password == "s3cret")
    }
}

/// `bytea` columns on a real server: bytes and documents written, bytes read back.
@Suite(.serialized) struct PostgresByteaTests {
    @Test(arguments: [false, true])
    func byteaColumnsWriteBytesAndDocumentsAndReadBackAsBytes(plain: Bool) throws {
        guard var options = try PostgresAdapterTests().database() else { return }
        options.plainWrites = plain ? true : nil
        let adapter = PostgresAdapter(options: options, layout: SinkLayout(keyColumns: ["id"], versionColumn: "updated_at"))
        _ = try adapter.run(try adapter.connect(), "ALTER TABLE \(options.qualified) ADD COLUMN scan bytea")
        let content = Data((0..<70_000).map { UInt8(truncatingIfNeeded: $0 &* 13) }) + Data([0, 0x5C, 0x78, 0xFF])
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("ferry-bytea-\(UUID().uuidString)")
        try content.write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let document = DocumentRef(digest: "sha256:" + String(repeating: "0", count: 64), size: Int64(content.count), mediaType: MediaType.octetStream,
            name: "scan.bin", localPath: file.path)
        func row(_ id: String, _ scan: Value) -> SinkRow {
            SinkRow(key: ["id": .string(id)], values: ["id": .string(id), "name": "n", "updated_at": "2026-11-24 09:00:00", "scan": scan])
        }
        #expect(try adapter.apply([row("B1", .bytes(Data([0, 1, 0x5C, 0xFF]))), row("D1", .document(document)), row("E1", .bytes(Data()))])
            == [.applied, .applied, .applied])
        var reader = try adapter.readAll(batchSize: 10)
        var scans: [String: Value] = [:]
        while let batch = try reader.next() { for read in batch.rows { scans[read["id"]?.text ?? ""] = read["scan"] } }
        #expect(scans["B1"] == .bytes(Data([0, 1, 0x5C, 0xFF])))
        #expect(scans["D1"] == .bytes(content))
        #expect(scans["E1"] == .bytes(Data()))
        // A document whose file is gone is a retryable failure, never an empty value.
        var gone = document
        gone.localPath = "/nonexistent/ferry-scan"
        #expect(throws: FerryError.self) { try adapter.apply([row("D2", .document(gone))]) }
    }
}
