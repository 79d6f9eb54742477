import Foundation
import Testing
import FerryCore
import FerryTestSupport
@testable import FerryAdapters

/// The odbc adapter through Debian's real drivers: MariaDB and PostgreSQL on the servers
/// `make test` starts, and SQLite on a file (see `TestODBC`). Every test runs on all three.
@Suite(.serialized) struct ODBCAdapterTests {
    /// A hostile table name: the dialect's quoting, not string building, must carry it.
    static let table = "申请 `x` \"y\"; DROP TABLE z; --"
    static let directory = TemporaryDirectory.url("odbc-adapter")

    static let columns: [TestODBC.Backend: String] = [
        .mariadb: "id VARCHAR(40) PRIMARY KEY, name VARCHAR(5000) NOT NULL, amount DECIMAL(33,2), photo BLOB, updated_at DATETIME NULL",
        .postgresql: "id varchar(40) PRIMARY KEY, name varchar(5000) NOT NULL, amount numeric(33,2), photo bytea, updated_at timestamp NULL",
        // SQLite's NUMERIC affinity would turn 12.50 into 12.5: exact decimals are text there.
        .sqlite: "id TEXT PRIMARY KEY, name TEXT NOT NULL, amount TEXT, photo BLOB, updated_at TEXT NULL",
    ]

    func table(_ backend: TestODBC.Backend, cursor: String = "updated_at") throws -> ODBCAdapter.Options {
        let options = try TestODBC.options(backend, table: Self.table, cursor: cursor, directory: Self.directory)
        try ODBCAdapter(options: options).execute(["CREATE TABLE \(options.qualified) (\(Self.columns[backend]!))"])
        return options
    }

    func sink(_ options: ODBCAdapter.Options) -> ODBCAdapter {
        ODBCAdapter(options: options, layout: SinkLayout(keyColumns: ["id"], versionColumn: "updated_at"))
    }

    func row(_ id: String, _ name: Value, _ updated: Value, amount: Value = .decimal("12.50")) -> SinkRow {
        SinkRow(key: ["id": .string(id)], values: ["id": .string(id), "name": name, "amount": amount, "updated_at": updated])
    }

    func readAll(_ adapter: ODBCAdapter, since: String? = nil, batch: Int = 2) throws -> ([[String: Value]], String?) {
        var reader = try adapter.read(since: since, batchSize: batch)
        var rows: [[String: Value]] = []
        var checkpoint = since
        while let next = try reader.next() {
            rows += next.rows
            checkpoint = next.checkpoint
        }
        return (rows, checkpoint)
    }

    /// A value's text whatever type the driver reports it as (SQLite's columns are untyped).
    func text(_ value: Value?) -> String? {
        switch value {
        case .string(let text)?, .decimal(let text)?: return text
        case .int(let number)?: return String(number)
        default: return nil
        }
    }

    @Test(arguments: TestODBC.Backend.allCases)
    func upsertsWithTheVersionGuardAndReadsIncrementally(_ backend: TestODBC.Backend) throws {
        let options = try table(backend)
        let adapter = sink(options)
        try adapter.check()
        #expect(try adapter.discover() == ["id", "name", "amount", "photo", "updated_at"])
        let hostile: Value = "'); DROP TABLE x; -- \\' \\\\ \" ` ?"
        #expect(try adapter.apply([row("A1", "陈静😀", "2026-11-24 09:00:00"), row("A2", hostile, "2026-11-24 09:00:00"),
            row("A3", "王伟", "2026-11-24 09:00:00")]) == [.applied, .applied, .applied])
        let second = try adapter.apply([row("A1", "old", "2026-11-23 00:00:00"), row("A2", hostile, "2026-11-24 09:00:00"),
            row("A3", "王伟伟", "2026-11-25 09:00:00"), row("A4", .null, "2026-11-25 09:00:00"), row("A5", "李娜", "2026-11-25 10:00:00")])
        #expect(second[0] == .skippedOlder && second[1] == .applied && second[2] == .applied && second[4] == .applied,
            "older skipped, the same row again in effect, newer applied: \(second)")
        guard case .rejected(let reason) = second[3] else {
            Issue.record("a NULL into a NOT NULL column was not rejected: \(second)")
            return
        }
        #expect(reason.contains("name") && reason.contains("SQLSTATE"), "the refusal names the column and the SQLSTATE: \(reason)")
        let (rows, checkpoint) = try readAll(adapter)
        #expect(rows.map { $0["id"] } == ["A1", "A2", "A3", "A5"])
        #expect(rows[0]["name"] == "陈静😀" && rows[1]["name"] == hostile && rows[2]["name"] == "王伟伟")
        #expect(text(rows[0]["amount"]) == "12.50")
        #expect(text(rows[0]["updated_at"])?.hasPrefix("2026-11-24 09:00:00") == true)
        // Incremental: rows at the last cursor value again (a same-second write may have
        // landed after the read), newer rows, nothing older.
        _ = try adapter.apply([row("A6", "赵敏", "2026-11-26 08:00:00"), row("A0", "钱", "2026-11-20 08:00:00")])
        let (next, _) = try readAll(adapter, since: checkpoint)
        #expect(next.map { $0["id"] } == ["A5", "A6"])
        // A delete removes a row no newer than itself.
        var delete = row("A6", "赵敏", "2026-11-26 08:00:00")
        delete.operation = .delete
        var stale = row("A5", "李娜", "2026-11-01 00:00:00")
        stale.operation = .delete
        #expect(try adapter.apply([delete, stale]) == [.applied, .skippedOlder])
        #expect(try readAll(adapter).0.map { $0["id"] } == ["A0", "A1", "A2", "A3", "A5"])
    }

    @Test(arguments: TestODBC.Backend.allCases)
    func exactValuesAndLongTextRoundTrip(_ backend: TestODBC.Backend) throws {
        let options = try table(backend)
        let adapter = sink(options)
        let digits = "1234567890123456789012345678901.25"
        let photo = Data([0, 0xFF, 0xD8, 0x27, 0x5C, 0x00, 0x22] + Array(repeating: 0xAB, count: 9000))
        // Past one 8 KB SQLGetData piece and past the 4000-character parameter limit.
        let long = String(repeating: "𠀀中a", count: 1100)
        var wide = row("W", .string(long), "2026-02-01 01:30:00", amount: .decimal(digits))
        wide.values["photo"] = .bytes(photo)
        let empty = row("E", "", "2026-02-01 01:30:01", amount: .null)
        #expect(try adapter.apply([wide, empty]) == [.applied, .applied])
        let (rows, _) = try readAll(adapter)
        #expect(rows.count == 2)
        #expect(text(rows.first?["amount"]) == digits)
        #expect(rows.first?["photo"] == .bytes(photo))
        #expect(rows.first?["name"] == .string(long))
        #expect(rows.last?["name"] == "" && rows.last?["amount"] == .null, "an empty string stays empty and NULL stays NULL")
    }

    @Test(arguments: TestODBC.Backend.allCases)
    func sameStampTiesAndMissingCursorsAreReadByKey(_ backend: TestODBC.Backend) throws {
        let options = try table(backend)
        let adapter = sink(options)
        _ = try adapter.apply((1...5).map { row("K\($0)", .string("n\($0)"), "2026-11-24 09:00:00") } + [row("N1", "none", .null)])
        let (first, checkpoint) = try readAll(adapter, batch: 2)
        #expect(first.map { $0["id"] } == ["N1", "K1", "K2", "K3", "K4", "K5"])
        // The next run reads the last stamp again (a row committed later with it is not lost)
        // and, by default, the row without a stamp, which no checkpoint can pass.
        _ = try adapter.apply([row("K6", "late", "2026-11-24 09:00:00")])
        let again = try readAll(adapter, since: checkpoint).0.map { $0["id"] }
        #expect(again == ["N1", "K1", "K2", "K3", "K4", "K5", "K6"], "\(again)")
        var skipping = options
        skipping.window.nullPolicy = .skip
        #expect(try readAll(ODBCAdapter(options: skipping)).0.count == 6)
        var generic = options
        generic.dialect = backend == .mariadb ? .mysql : .generic
        #expect(try readAll(ODBCAdapter(options: generic), batch: 4).0.count == 7, "a dialect without LIMIT still pages")
    }

    @Test(arguments: TestODBC.Backend.allCases)
    func checkNamesWhatIsWrong(_ backend: TestODBC.Backend) throws {
        let options = try table(backend)
        var missing = options
        missing.table = "no_such_table"
        let noTable = try #require(throws: FerryError.self) { try ODBCAdapter(options: missing).check() }
        #expect(noTable.description.contains("no_such_table"))
        var badCursor = options
        badCursor.cursor = "changed_on"
        let noCursor = try #require(throws: FerryError.self) { try ODBCAdapter(options: badCursor).check() }
        #expect(noCursor.description.contains("changed_on") && noCursor.hint?.contains("updated_at") == true)
    }

    @Test(arguments: [TestODBC.Backend.mariadb, .postgresql])
    func aRefusedLoginSaysWhatToDoWithoutTheSecret(_ backend: TestODBC.Backend) throws {
        var options = try TestODBC.options(backend, table: "t", cursor: "c", directory: Self.directory)
        options.password = "wrong-secret-1234"
        let error = try #require(throws: FerryError.self) { try ODBCAdapter(options: options).check() }
        #expect(!error.description.contains("wrong-secret-1234") && error.hint?.contains("password") == true, "\(error)")
        options.connection = "Driver={No Such Driver};Server=127.0.0.1"
        let noDriver = try #require(throws: FerryError.self) { try ODBCAdapter(options: options).check() }
        #expect(noDriver.hint?.contains("odbcinst") == true, "\(noDriver)")
    }

    @Test(arguments: TestODBC.Backend.allCases)
    func changeCaptureCarriesDeletesAndKeyChanges(_ backend: TestODBC.Backend) throws {
        var options = try TestODBC.options(backend, table: "申请's `t` \"q\"", cursor: "changes", directory: Self.directory)
        let adapter = ODBCAdapter(options: options)
        try adapter.execute(["CREATE TABLE \(options.qualified) (id INTEGER PRIMARY KEY, name VARCHAR(20), version INTEGER NOT NULL)"])
        #expect(throws: FerryError.self) { _ = try readAll(adapter) }
        #expect(try adapter.installCapture(keyColumns: ["id"], versionColumn: "version").count == (backend == .postgresql ? 1 : 3))
        #expect(try adapter.installCapture(keyColumns: ["id"], versionColumn: "version").isEmpty, "a second install changes nothing")
        try adapter.check()
        try adapter.execute(["INSERT INTO \(options.qualified) VALUES (1, 'a', 1)", "INSERT INTO \(options.qualified) VALUES (2, 'b', 1)"])
        let (snapshot, checkpoint) = try readAll(adapter)
        #expect(Set(snapshot.compactMap { $0["id"] }) == [.int(1), .int(2)])
        try adapter.execute([
            "UPDATE \(options.qualified) SET name = 'a2', version = 2 WHERE id = 1",
            "UPDATE \(options.qualified) SET id = 3, version = 2 WHERE id = 2",
            "DELETE FROM \(options.qualified) WHERE id = 1",
        ])
        options.window.lookback = .rows(0)
        let (changes, _) = try readAll(ODBCAdapter(options: options), since: checkpoint, batch: 10)
        let deletes = changes.filter { $0["_op"] == "delete" }.compactMap { $0["id"] }
        #expect(Set(deletes) == [.int(1), .int(2)], "\(changes)")
        #expect(changes.contains { $0["id"] == .int(3) && $0["_op"] == nil && $0["name"] == "b" })
        #expect(changes.contains { $0["id"] == .int(1) && $0["_op"] == "delete" && $0["version"] == .int(2) })
        // The default look-back reads the last minutes of changes again; nothing is lost.
        let (again, _) = try readAll(adapter, since: checkpoint, batch: 10)
        #expect(again.count >= changes.count)
    }

    @Test func captureIsRefusedWhereItIsNotWritten() throws {
        var options = ODBCAdapter.Options(connection: "DSN=DM8", table: "T", cursor: "changes")
        options.dialect = .dm
        let error = try #require(throws: FerryError.self) { _ = try ODBCAdapter(options: options).installCapture(keyColumns: ["ID"], versionColumn: nil) }
        #expect(error.description.contains("dm") && error.hint?.contains("cursor") == true)
    }

    @Test func optionsKeepThePasswordOutOfTheConnectionString() throws {
        let base = URL(fileURLWithPath: "/tmp")
        func parse(_ yaml: String) throws -> ODBCAdapter.Options {
            try ODBCAdapter.options(try ConfigNode.parse(yaml, file: "ferry.yaml"), system: "s", environment: ["PW": "secret"], baseDirectory: base)
        }
        let dsn = try parse("{ dsn: DM8, user: SYSDBA, password_env: PW, dialect: dm, schema: REG, table: APPLY, cursor: UPDATED }")
        #expect(dsn.connection == "DSN=DM8;UID=SYSDBA" && dsn.password == "secret" && dsn.dialect == .dm)
        #expect(dsn.qualified == #""REG"."APPLY""#)
        #expect(throws: FerryError.self) { _ = try parse("{ connection: \"Driver=X;Server=h;PWD=secret\", table: t, cursor: c }") }
        #expect(throws: FerryError.self) { _ = try parse("{ dsn: a, connection: \"Driver=X\", table: t, cursor: c }") }
        #expect(throws: FerryError.self) { _ = try parse("{ dsn: a, table: t, cursor: c, dialect: sybase }") }
        #expect(throws: FerryError.self) { _ = try parse("{ dsn: a, table: t }") }
    }
}
