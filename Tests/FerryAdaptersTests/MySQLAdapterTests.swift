import Foundation
import Testing
import FerryCore
import FerryTestSupport
@testable import FerryAdapters

/// The mysql adapter against a real MariaDB server (`make test` starts one on 127.0.0.1
/// with a password; Ops/test-mariadb.sh). Each test works in its own database.
@Suite(.serialized) struct MySQLAdapterTests {
    /// A hostile table name: quoting, not string building, must carry it.
    static let table = "申请 `x`; DROP TABLE y; --"

    func database(_ columns: String, table: String = table, cursor: String = "updated_at") throws -> MySQLAdapter.Options {
        let options = try TestMariaDB.database(table: table, cursor: cursor)
        try MySQLAdapter(options: options).execute(["CREATE TABLE \(options.qualified) (\(columns))"])
        return options
    }

    static let people = """
        id VARCHAR(40) PRIMARY KEY, name VARCHAR(100) NOT NULL, amount DECIMAL(33,2), big BIGINT UNSIGNED, photo BLOB,
        stamp TIMESTAMP(6) NULL, updated_at DATETIME NOT NULL
        """

    func sink(_ options: MySQLAdapter.Options) -> MySQLAdapter {
        MySQLAdapter(options: options, layout: SinkLayout(keyColumns: ["id"], versionColumn: "updated_at"))
    }

    func row(_ id: String, _ name: Value, _ updated: String, amount: Value? = .decimal("12.50")) -> SinkRow {
        var values: [String: Value] = ["id": .string(id), "name": name, "updated_at": .string(updated)]
        values["amount"] = amount
        return SinkRow(key: ["id": .string(id)], values: values)
    }

    func readAll(_ adapter: MySQLAdapter, since: String? = nil, batch: Int = 2) throws -> ([[String: Value]], String?) {
        var reader = try adapter.read(since: since, batchSize: batch)
        var rows: [[String: Value]] = []
        var checkpoint = since
        while let next = try reader.next() {
            rows += next.rows
            checkpoint = next.checkpoint
        }
        return (rows, checkpoint)
    }

    @Test func upsertsWithTheVersionGuardAndReadsIncrementally() throws {
        let options = try database(Self.people)
        let adapter = sink(options)
        try adapter.check()
        #expect(try adapter.discover() == ["id", "name", "amount", "big", "photo", "stamp", "updated_at"])
        let hostile: Value = "'); DROP TABLE x; -- \\' \\\\ \u{0}end"
        #expect(try adapter.apply([row("A1", "陈静😀", "2026-11-24 09:00:00"), row("A2", hostile, "2026-11-24 09:00:00"),
            row("A3", "王伟", "2026-11-24 09:00:00")]) == [.applied, .applied, .applied])
        // Older, equal and newer versions; rows the table refuses are rejected alone.
        let second = try adapter.apply([row("A1", "old", "2026-11-23 00:00:00"), row("A2", hostile, "2026-11-24 09:00:00"),
            row("A3", "王伟伟", "2026-11-25 09:00:00"), row("A4", .null, "2026-11-25 09:00:00"),
            row("A5", "李娜", "2026-11-25 10:00:00", amount: "not a number")])
        #expect(second[0] == .skippedOlder && second[1] == .applied && second[2] == .applied)
        guard case .rejected(let nullReason) = second[3], case .rejected(let decimalReason) = second[4] else {
            Issue.record("bad rows were not rejected: \(second)")
            return
        }
        #expect(nullReason.contains("name") && decimalReason.contains("amount"))
        #expect(!decimalReason.contains("not a number"), "a refusal must not quote the value back: \(decimalReason)")
        let (rows, checkpoint) = try readAll(adapter)
        #expect(rows.map { $0["id"] } == ["A1", "A2", "A3"])
        #expect(rows[0]["name"] == "陈静😀" && rows[1]["name"] == hostile && rows[2]["name"] == "王伟伟")
        #expect(rows[0]["amount"] == .decimal("12.50") && rows[0]["updated_at"] == "2026-11-24 09:00:00")
        // Incremental: the last second is read again (ties), nothing older.
        _ = try adapter.apply([row("A6", "赵敏", "2026-11-26 08:00:00")])
        let (next, _) = try readAll(adapter, since: checkpoint)
        #expect(next.map { $0["id"] } == ["A3", "A6"])
    }

    @Test func exactValuesRoundTrip() throws {
        let options = try database(Self.people)
        let adapter = sink(options)
        let digits = "1234567890123456789012345678901.25"
        let photo = Data([0, 0xFF, 0xD8, 0x27, 0x5C, 0x00, 0x22])
        let wide = SinkRow(key: ["id": "W"], values: [
            "id": "W", "name": "𠀀 Extension B", "amount": .decimal(digits), "big": .decimal("18446744073709551615"), "photo": .bytes(photo),
            "stamp": "2026-02-01T01:30:00.250000Z", "updated_at": "2026-02-01T01:30:00Z",
        ])
        #expect(try adapter.apply([wide]) == [.applied])
        let (rows, _) = try readAll(adapter)
        #expect(rows.count == 1)
        #expect(rows.first?["amount"] == .decimal(digits))
        #expect(rows.first?["big"] == .decimal("18446744073709551615"))
        #expect(rows.first?["photo"] == .bytes(photo))
        #expect(rows.first?["name"] == "𠀀 Extension B")
        // TIMESTAMP names an instant (read with the session's offset); DATETIME holds the wall clock.
        #expect(rows.first?["stamp"] == "2026-02-01T01:30:00.250000Z")
        #expect(rows.first?["updated_at"] == "2026-02-01 01:30:00")
        var beijing = options
        beijing.timeZone = try #require(MySQLTime.Offset("+08:00"))
        let (local, _) = try readAll(MySQLAdapter(options: beijing))
        #expect(local.first?["stamp"] == "2026-02-01T09:30:00.250000+08:00")
        #expect(local.first?["updated_at"] == "2026-02-01 01:30:00")
    }

    @Test func sameSecondTiesAreReadByKeyAcrossPages() throws {
        let options = try database(Self.people)
        let adapter = sink(options)
        _ = try adapter.apply((1...5).map { row("K\($0)", .string("n\($0)"), "2026-11-24 09:00:00") })
        let (first, checkpoint) = try readAll(adapter, batch: 2)
        #expect(first.map { $0["id"] } == ["K1", "K2", "K3", "K4", "K5"])
        // A row committed later with the same stamp, and a key that sorts first.
        _ = try adapter.apply([row("K0", "late", "2026-11-24 09:00:00")])
        let (again, _) = try readAll(adapter, since: checkpoint, batch: 2)
        #expect(again.contains { $0["id"] == "K0" }, "a same-second row was skipped: \(again)")
    }

    @Test func rowsWithoutACursorValueAreReadOrLeftOut() throws {
        let options = try database("id INT PRIMARY KEY, name VARCHAR(20), stamp VARCHAR(20)", cursor: "stamp")
        try MySQLAdapter(options: options).execute([
            "INSERT INTO \(options.qualified) VALUES (1, 'a', NULL), (2, 'b', ''), (3, 'c', '2026-11-24'), (4, 'd', NULL)"
        ])
        let (rows, _) = try readAll(MySQLAdapter(options: options), batch: 1)
        #expect(rows.map { $0["id"] } == [.int(1), .int(2), .int(4), .int(3)])
        var skipping = options
        skipping.window.nullPolicy = .skip
        #expect(try readAll(MySQLAdapter(options: skipping)).0.map { $0["id"] } == [.int(3)])
        #expect(try MySQLAdapter(options: options).cursorHealth()?.nullRows == 3)
    }

    @Test func aThreeByteUTF8ColumnRefusesFourByteCharactersByName() throws {
        let options = try database("id VARCHAR(10) PRIMARY KEY, name VARCHAR(50) CHARACTER SET utf8mb3, updated_at DATETIME NOT NULL")
        let outcomes = try sink(options).apply([row("U1", "陈静", "2026-11-24 09:00:00", amount: nil),
            row("U2", "笑😀", "2026-11-24 09:00:00", amount: nil)])
        #expect(outcomes.first == .applied)
        guard case .rejected(let reason) = outcomes.last else {
            Issue.record("a 4-byte character went into a utf8mb3 column: \(outcomes)")
            return
        }
        #expect(reason.contains("utf8mb4") && reason.contains("name"))
        #expect(try readAll(MySQLAdapter(options: options)).0.map { $0["name"] } == ["陈静"])
    }

    @Test func keysEqualUnderTheCollationFallBackToRowByRow() throws {
        let options = try database("id VARCHAR(10) COLLATE utf8mb4_general_ci PRIMARY KEY, name VARCHAR(20), updated_at DATETIME NOT NULL")
        let outcomes = try sink(options).apply([row("a", "first", "2026-11-24 09:00:00", amount: nil),
            row("A", "second", "2026-11-24 09:00:01", amount: nil)])
        #expect(outcomes == [.applied, .applied])
        #expect(try readAll(MySQLAdapter(options: options)).0.map { $0["name"] } == ["second"])
    }

    @Test func changeCaptureCarriesDeletesAndKeyChanges() throws {
        let options = try database("id INT PRIMARY KEY, name VARCHAR(20), version INT NOT NULL", table: "申请's `t`", cursor: "changes")
        let adapter = MySQLAdapter(options: options)
        #expect(throws: FerryError.self) { _ = try readAll(adapter) }
        #expect(try adapter.installCapture(keyColumns: ["id"], versionColumn: "version").count == 3)
        #expect(try adapter.installCapture(keyColumns: ["id"], versionColumn: "version").isEmpty)
        try adapter.execute(["INSERT INTO \(options.qualified) VALUES (1, 'a', 1), (2, 'b', 1)"])
        let (snapshot, checkpoint) = try readAll(adapter)
        #expect(Set(snapshot.compactMap { $0["id"] }) == [.int(1), .int(2)])
        try adapter.execute([
            "UPDATE \(options.qualified) SET name = 'a2', version = 2 WHERE id = 1",
            "UPDATE \(options.qualified) SET id = 3, version = 2 WHERE id = 2",
            "DELETE FROM \(options.qualified) WHERE id = 1",
        ])
        let (changes, _) = try readAll(adapter, since: checkpoint, batch: 10)
        let deletes = changes.filter { $0["_op"] == "delete" }.compactMap { $0["id"] }
        #expect(Set(deletes) == [.int(1), .int(2)], "\(changes)")
        #expect(changes.contains { $0["id"] == .int(3) && $0["_op"] == nil })
        #expect(changes.contains { $0["id"] == .int(1) && $0["_op"] == "delete" && $0["version"] == .int(2) })
    }

    @Test func connectionErrorsSayWhatToDoWithoutTheSecret() throws {
        var options = try database(Self.people)
        options.password = "wrong-secret-1234"
        let error = try #require(throws: FerryError.self) { try MySQLAdapter(options: options).check() }
        #expect(!error.description.contains("wrong-secret-1234"))
        #expect(error.description.contains("refused") && error.hint?.contains("password") == true)
        options.port = 1
        let unreachable = try #require(throws: FerryError.self) { try MySQLAdapter(options: options).check() }
        #expect(unreachable.description.contains("cannot connect"))
        var missing = try TestMariaDB.database(table: "nope")
        missing.table = "nope"
        #expect(throws: FerryError.self) { try MySQLAdapter(options: missing).check() }
    }

    @Test func anotherUniqueIndexNeverTurnsAnInsertIntoAnUpdateOfAnotherRow() throws {
        let options = try database("id VARCHAR(10) PRIMARY KEY, email VARCHAR(50) UNIQUE, name VARCHAR(20), updated_at DATETIME NOT NULL")
        let adapter = sink(options)
        func person(_ id: String, _ email: String, _ name: Value, _ updated: String) -> SinkRow {
            SinkRow(key: ["id": .string(id)], values: ["id": .string(id), "email": .string(email), "name": name, "updated_at": .string(updated)])
        }
        #expect(try adapter.apply([person("1", "chen.jing@example.cn", "陈静", "2026-11-24 09:00:00")]) == [.applied])
        let outcomes = try adapter.apply([person("2", "chen.jing@example.cn", "王伟", "2026-11-25 09:00:00"),
            person("3", "wang@example.cn", "李娜", "2026-11-25 09:00:00")])
        guard case .rejected(let reason) = outcomes.first else {
            Issue.record("a clash on another unique index was not refused: \(outcomes)")
            return
        }
        #expect(outcomes.last == .applied)
        #expect(!reason.contains("chen.jing@example.cn"), "a refusal must not quote the value back: \(reason)")
        let rows = try readAll(MySQLAdapter(options: options)).0
        #expect(rows.map { $0["name"] } == ["陈静", "李娜"], "row 1 is untouched")
    }

    @Test func integerKeysPast2To53ArePagedExactly() throws {
        let options = try database("id BIGINT UNSIGNED PRIMARY KEY, name VARCHAR(20), updated_at DATETIME NOT NULL")
        let adapter = sink(options)
        let ids: [Value] = [.int(9_007_199_254_740_992), .int(9_007_199_254_740_993), .int(9_007_199_254_740_994), .decimal("18446744073709551615")]
        _ = try adapter.apply(ids.map { SinkRow(key: ["id": $0], values: ["id": $0, "name": "n", "updated_at": "2026-11-24 09:00:00"]) })
        #expect(try readAll(MySQLAdapter(options: options), batch: 1).0.map { $0["id"] } == ids)
        // A delete by one key removes that row only (2⁵³ + 1 is not 2⁵³ here).
        #expect(try adapter.apply([SinkRow(key: ["id": ids[1]], values: ["id": ids[1]], operation: .delete)]) == [.applied])
        #expect(try readAll(MySQLAdapter(options: options)).0.count == 3)
    }

    @Test func aBinaryKeyIsRefusedForIncrementalReads() throws {
        let options = try database("id BINARY(16) PRIMARY KEY, updated_at DATETIME NOT NULL")
        let error = try #require(throws: FerryError.self) { _ = try readAll(MySQLAdapter(options: options)) }
        #expect(error.description.contains("binary(16)") && error.hint?.contains("mode: full") == true)
    }

    /// The test server speaks TLS with a certificate for 127.0.0.1 from a throwaway CA
    /// (Ops/test-mariadb.sh): verified with that CA, refused with another.
    @Test func tlsVerifiesTheServerByItsCA() throws {
        guard let ca = ProcessInfo.processInfo.environment["FERRY_TEST_MARIADB_CA"] else {
            Issue.record("FERRY_TEST_MARIADB_CA is not set: run the tests with 'make test'")
            return
        }
        var options = try database(Self.people)
        options.host = "127.0.0.1"
        options.requireTLS = true
        options.tlsCA = ca
        let adapter = sink(options)
        try adapter.check()
        #expect(try adapter.apply([row("T1", "陈静", "2026-11-24 09:00:00")]) == [.applied])
        let connection = try adapter.connect()
        let cipher = try connection.query("SHOW SESSION STATUS LIKE 'Ssl_cipher'").rows.first?[1].map { String(decoding: $0, as: UTF8.self) }
        #expect(cipher?.isEmpty == false, "the session is encrypted")
        // Another CA: the server's certificate does not verify, and the error says where to look.
        let other = try TestPKI(TemporaryDirectory.url("mysql-other-ca"), servers: [], clients: [])
        options.tlsCA = other.path("ca.pem")
        let error = try #require(throws: FerryError.self) { try MySQLAdapter(options: options).check() }
        #expect(error.hint?.contains("tls_ca") == true, "\(error)")
    }

    @Test func optionsRefuseAPasswordInTheURLAndBadZones() throws {
        let base = URL(fileURLWithPath: "/tmp")
        func parse(_ yaml: String) throws -> MySQLAdapter.Options {
            try MySQLAdapter.options(try ConfigNode.parse(yaml, file: "ferry.yaml"), system: "s", environment: ["PW": "secret"], baseDirectory: base)
        }
        let options = try parse("{ url: \"mysql://u@db.example:3307/reg\", password_env: PW, table: t, cursor: updated, time_zone: \"+08:00\" }")
        #expect(options.port == 3307 && options.database == "reg" && options.password == "secret" && options.timeZone.seconds == 8 * 3600)
        #expect(throws: FerryError.self) { _ = try parse("{ url: \"mysql://u:pw@db/reg\", table: t }") }
        #expect(throws: FerryError.self) { _ = try parse("{ url: \"mysql://u@db/reg\", table: t, time_zone: Asia/Shanghai }") }
        #expect(throws: FerryError.self) { _ = try parse("{ url: \"mysql://u@db\", table: t }") }
    }
}
