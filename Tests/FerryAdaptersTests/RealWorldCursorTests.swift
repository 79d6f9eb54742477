import Foundation
import GRDB
import Testing
import FerryCore
@testable import FerryAdapters

/// Cursor reads on an SQLite table: NULL cursors, look-back windows, full reads, and the
/// arithmetic of a window's start.
@Suite struct RealWorldCursorTests {
    /// A table `t(id, v, updated_at)` with rows `(id, updated_at)`; nil stamps are NULL.
    func table(_ rows: [(String, String?)]) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("ferry-cursor-\(UUID().uuidString).db")
        try DatabaseQueue(path: url.path).write { db in
            try db.execute(sql: "CREATE TABLE t (id TEXT PRIMARY KEY, v TEXT, updated_at TEXT)")
            for (id, stamp) in rows { try db.execute(sql: "INSERT INTO t VALUES (?, 'x', ?)", arguments: [id, stamp]) }
        }
        return url
    }

    /// Every batch of a read from `since`, or of a whole read (`readAll`) when `whole`.
    func readAll(_ adapter: SQLiteAdapter, since: String?, whole: Bool = false) throws -> (ids: [String], checkpoint: String?) {
        var reader = whole ? try adapter.readAll(batchSize: 2) : try adapter.read(since: since, batchSize: 2)
        var ids: [String] = []
        var checkpoint: String?
        while let batch = try reader.next() {
            ids += batch.rows.compactMap { $0["id"]?.text }
            checkpoint = batch.checkpoint
        }
        return (ids, checkpoint)
    }

    @Test func rowsWithoutACursorValueAreReadByEveryRunAndEveryFullRead() throws {
        let url = try table([("a", "2026-01-01 00:00:01"), ("b", nil), ("c", "2026-01-01 00:00:02"), ("d", nil), ("e", nil)])
        let adapter = try SQLiteAdapter(options: .init(path: url, table: "t", cursor: "updated_at"))
        let full = try readAll(adapter, since: nil, whole: true)
        #expect(Set(full.ids) == ["a", "b", "c", "d", "e"], "a full read (and so a reconcile) sees every row")
        let again = try readAll(adapter, since: full.checkpoint)
        #expect(Set(again.ids) == ["b", "d", "e", "c"], "NULL rows again, and the row at the last value")

        var skipping = adapter.options
        skipping.window.nullPolicy = .skip
        let skipper = try SQLiteAdapter(options: skipping)
        #expect(try readAll(skipper, since: full.checkpoint).ids == ["c"], "null_cursor: skip leaves them out of incremental reads")
        #expect(Set(try readAll(skipper, since: nil, whole: true).ids).count == 5, "…but not out of a full read")
        #expect(try readAll(skipper, since: nil).ids == ["a", "c"], "…nor of a first incremental read")
        let health = try #require(try adapter.cursorHealth())
        #expect(health.nullRows == 3 && health.warnings.contains { $0.contains("3 rows have no updated_at") })
    }

    @Test func aRowLookbackGoesBackThatManyRowsWhateverTheCursorHolds() throws {
        let url = try table((1...6).map { ("r\($0)", String(format: "%04d", $0 * 10)) })
        var options = SQLiteAdapter.Options(path: url, table: "t", cursor: "updated_at")
        options.window.lookback = .rows(2)
        let adapter = try SQLiteAdapter(options: options)
        let first = try readAll(adapter, since: nil)
        #expect(first.ids.count == 6)
        #expect(try readAll(adapter, since: first.checkpoint).ids == ["r4", "r5", "r6"], "two rows back, and the last one")
    }

    @Test func aTimeLookbackOnACursorThatIsNotATimeSaysWhatToDo() throws {
        let url = try table([("a", "17"), ("b", "18")])
        var options = SQLiteAdapter.Options(path: url, table: "t", cursor: "updated_at")
        options.window.lookback = .seconds(300)
        let adapter = try SQLiteAdapter(options: options)
        let first = try readAll(adapter, since: nil)
        let error = #expect(throws: FerryError.self) { _ = try readAll(adapter, since: first.checkpoint) }
        #expect(error?.hint?.contains("number of rows") == true)
    }

    @Test func aWindowStartKeepsTheShapeOfTheCursorValue() {
        func earlier(_ text: String, _ seconds: Int) -> String? { CursorWindow.earlier(.string(text), bySeconds: seconds)?.text }
        #expect(earlier("2026-12-01 09:00:00", 300) == "2026-12-01 08:55:00")
        #expect(earlier("2026-12-01T00:02:00.123+08:00", 180) == "2026-11-30T23:59:00.123+08:00")
        #expect(earlier("20261201090000", 3600) == "20261201080000")
        #expect(earlier("2026-03-01", 86400) == "2026-02-28")
        #expect(earlier("20240301", 86400) == "20240229", "a leap day")
        #expect(earlier("2026-13-01", 60) == nil)
        #expect(earlier("12345", 60) == nil)
        #expect(CursorWindow.earlier(.int(1_700_000_000), bySeconds: 60) == nil, "a number is not taken for a time")
        #expect(CursorWindow.earlier(.int(20_261_201_090_000), bySeconds: 3600) == .int(20_261_201_080_000),
            "yyyyMMddHHmmss kept as a number (a DATETIME column in SQLite) moves as a time")
        #expect(CursorWindow.hasSecondResolution(.string("2026-02-01 09:30:00")))
        #expect(!CursorWindow.hasSecondResolution(.string("2026-02-01 09:30:00.123456")))
    }

    @Test func lookbackOptionsReadAsSpansOrRows() throws {
        func parse(_ yaml: String) throws -> CursorWindow {
            try CursorWindow.options(try ConfigNode.parse(yaml, file: "ferry.yaml"))
        }
        #expect(try parse("{ lookback: 5m }").lookback == .seconds(300))
        #expect(try parse("{ lookback: 2h, null_cursor: skip }") == CursorWindow(lookback: .seconds(7200), nullPolicy: .skip))
        #expect(try parse("{ lookback: 100 }").lookback == .rows(100))
        let error = #expect(throws: FerryError.self) { try parse("{ lookback: 5 minutes }") }
        #expect(error?.location != nil, "the error names where it was written")
    }

    @Test func decimalsKeepEveryDigitInATextColumnAndAreRefusedWhereTheyWouldRound() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("ferry-decimal-\(UUID().uuidString).db")
        try DatabaseQueue(path: url.path).write { db in
            try db.execute(sql: "CREATE TABLE m (id TEXT PRIMARY KEY, amount TEXT, price NUMERIC)")
        }
        let sink = try SQLiteAdapter(options: .init(path: url, table: "m", cursor: "rowid"), layout: SinkLayout(keyColumns: ["id"], versionColumn: nil))
        let outcomes = try sink.apply([
            SinkRow(key: ["id": "a"], values: ["id": "a", "amount": .decimal("12345678901234.5678"), "price": .decimal("12.5")]),
            SinkRow(key: ["id": "b"], values: ["id": "b", "amount": .decimal("1"), "price": .decimal("1234567890123456789.12")]),
        ])
        #expect(outcomes[0] == .applied)
        guard case .rejected(let reason) = outcomes[1] else { Issue.record("a decimal a NUMERIC column would round must be refused"); return }
        #expect(reason.contains("price") && reason.contains("TEXT"))
        let amount = try DatabaseQueue(path: url.path).read { db in try String.fetchOne(db, sql: "SELECT amount FROM m WHERE id = 'a'") }
        #expect(amount == "12345678901234.5678")
    }

    @Test func blankCursorsAreReadLikeNullsAndMixedKindsAreWarnedOf() throws {
        // A column without a declared type keeps whatever kind of value it is given.
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("ferry-blank-\(UUID().uuidString).db")
        try DatabaseQueue(path: url.path).write { db in
            try db.execute(sql: "CREATE TABLE t (id TEXT PRIMARY KEY, v, updated_at)")
            try db.execute(sql: "INSERT INTO t VALUES ('a', 'x', '2026-01-01 00:00:01'), ('b', 'x', '2026-01-01 00:00:02')")
        }
        let adapter = try SQLiteAdapter(options: .init(path: url, table: "t", cursor: "updated_at"))
        let first = try readAll(adapter, since: nil)
        try DatabaseQueue(path: url.path).write { db in
            try db.execute(sql: "INSERT INTO t VALUES ('blank', 'x', '')")
            try db.execute(sql: "INSERT INTO t VALUES ('number', 'x', 20260101000003)")
        }
        let next = try readAll(adapter, since: first.checkpoint)
        #expect(next.ids.contains("blank"), "a row whose cursor is '' is read, as a NULL one is: \(next.ids)")
        let health = try #require(try adapter.cursorHealth())
        #expect(health.nullRows == 1)
        #expect(health.warnings.contains { $0.contains("several kinds") && $0.contains("integer") }, "\(health.warnings)")
    }

    @Test func nullAndBlankCursorsInterleavedAreEachReadOnceByEveryRun() throws {
        let url = try table([("a", "2026-01-01 00:00:01"), ("b", nil), ("c", ""), ("d", nil), ("e", ""), ("f", ""), ("g", "2026-01-01 00:00:02")])
        let adapter = try SQLiteAdapter(options: .init(path: url, table: "t", cursor: "updated_at"))
        let first = try readAll(adapter, since: nil)
        #expect(first.ids.sorted() == ["a", "b", "c", "d", "e", "f", "g"], "pages of two across NULL, blank and stamped rows: \(first.ids)")
        let again = try readAll(adapter, since: first.checkpoint)
        #expect(again.ids.sorted() == ["b", "c", "d", "e", "f", "g"], "every row without a cursor value, and the last stamp: \(again.ids)")
        #expect(first.checkpoint?.contains("2026-01-01 00:00:02") == true, "rows without a value never move the checkpoint")

        var skipping = adapter.options
        skipping.window.nullPolicy = .skip
        let skipped = try readAll(try SQLiteAdapter(options: skipping), since: first.checkpoint)
        #expect(skipped.ids == ["g"], "null_cursor: skip leaves out blank rows as well as NULL ones: \(skipped.ids)")
    }

    @Test func aWholeSecondStampStoredAsANumberMovesBackByTheLookback() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("ferry-int-stamp-\(UUID().uuidString).db")
        try DatabaseQueue(path: url.path).write { db in
            try db.execute(sql: "CREATE TABLE t (id TEXT PRIMARY KEY, c DATETIME)")
            try db.execute(sql: "INSERT INTO t VALUES ('a', '20260201093001'), ('b', '20260201093005')")
        }
        var options = SQLiteAdapter.Options(path: url, table: "t", cursor: "c")
        options.window.lookback = .seconds(300)
        let adapter = try SQLiteAdapter(options: options)
        let first = try readAll(adapter, since: nil)
        try DatabaseQueue(path: url.path).write { db in try db.execute(sql: "INSERT INTO t VALUES ('late', '20260201093003')") }
        #expect(try readAll(adapter, since: first.checkpoint).ids.contains("late"), "the late commit inside five minutes is read")
    }

    @Test func aWithoutRowidTableIsAConfigurationErrorNotARetry() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("ferry-norowid-\(UUID().uuidString).db")
        try DatabaseQueue(path: url.path).write { db in
            try db.execute(sql: "CREATE TABLE t (id TEXT PRIMARY KEY, updated_at TEXT) WITHOUT ROWID")
        }
        let adapter = try SQLiteAdapter(options: .init(path: url, table: "t", cursor: "updated_at"))
        let error = #expect(throws: FerryError.self) { _ = try adapter.read(since: nil, batchSize: 10) }
        #expect(error?.adapterFailure == .configuration, "an engineer must act; retrying never helps")
    }
}
