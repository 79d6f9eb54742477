import Foundation
import Testing
import FerryCore
@testable import FerryAdapters

/// PostgreSQL sources and sinks on the data real systems hold: ties and NULLs on the cursor,
/// key changes under capture, same-version changes, and the column types government
/// tables use. Runs against the real server `make test` starts.
@Suite(.serialized) struct RealWorldPostgresTests {
    let base = PostgresAdapterTests()

    /// Runs statements separated by `;` at line ends, one at a time, in one session.
    func execute(_ options: PostgresAdapter.Options, _ sql: String) throws {
        let adapter = PostgresAdapter(options: options)
        let session = try adapter.connect()
        for statement in sql.components(separatedBy: ";\n") where !statement.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            _ = try adapter.run(session, statement)
        }
    }

    @Test func tiesAndNullCursorsAreReadAndAFullReadSeesEveryRow() throws {
        guard let options = try base.database() else { return }
        let t = options.qualified
        try execute(options, """
            ALTER TABLE \(t) ALTER COLUMN updated_at DROP NOT NULL;
            INSERT INTO \(t)(id, name, updated_at) VALUES ('a', 'A', '2026-12-01 09:00:00'), ('b', 'B', '2026-12-01 09:00:00'), ('n', 'N', NULL)
            """)
        let adapter = PostgresAdapter(options: options)
        var whole = try adapter.readAll(batchSize: 2)
        var all: [[String: Value]] = []
        while let batch = try whole.next() { all += batch.rows }
        let (_, checkpoint) = try base.readAll(adapter)
        #expect(Set(all.compactMap { $0["id"]?.text }) == ["a", "b", "n"], "a full read sees the row without a cursor value")
        // A row stamped in the second the read ended at, committed after it.
        try execute(options, "INSERT INTO \(t)(id, name, updated_at) VALUES ('c', 'C', '2026-12-01 09:00:00')")
        let (again, _) = try base.readAll(adapter, since: checkpoint)
        let againIDs = Set(again.compactMap { $0["id"]?.text })
        #expect(againIDs.isSuperset(of: ["c", "n"]), "the tie and the NULL row are read: \(againIDs)")

        var skipping = options
        skipping.window = CursorWindow(lookback: .seconds(3600), nullPolicy: .skip)
        try execute(options, "INSERT INTO \(t)(id, name, updated_at) VALUES ('late', 'L', '2026-12-01 08:30:00')")
        let (late, _) = try base.readAll(PostgresAdapter(options: skipping), since: checkpoint)
        let ids = Set(late.compactMap { $0["id"]?.text })
        #expect(ids.contains("late") && !ids.contains("n"), "an hour's look-back finds the late commit; skip leaves NULLs out: \(ids)")
        let health = try #require(try adapter.cursorHealth())
        #expect(health.nullRows == 1 && health.warnings.contains { $0.contains("one-second") } == false,
            "a timestamp column with microseconds is not whole seconds")
    }

    @Test func aKeyChangeUnderCaptureDeletesTheOldKeyAndAFirstReadIsASnapshot() throws {
        guard let options = try base.database(cursor: "changes") else { return }
        let t = options.qualified
        try execute(options, "INSERT INTO \(t)(id, name, updated_at) VALUES ('before', 'B', '2026-01-01 00:00:00')")
        let adapter = PostgresAdapter(options: options)
        _ = try adapter.installCapture(keyColumns: ["id"], versionColumn: "updated_at")
        try execute(options, "INSERT INTO \(t)(id, name, updated_at) VALUES ('X1', 'x', '2026-01-01 00:00:00')")
        try execute(options, "UPDATE \(t) SET name = 'x2' WHERE id = 'X1'")
        // A first read: the table itself (a row from before capture too), then the change
        // table from its start (deletions made before the snapshot travel too), whose rows
        // the node recognises as sent already.
        let (first, after) = try base.readAll(adapter)
        #expect(Array(first.prefix(2)).compactMap { $0["id"]?.text }.sorted() == ["X1", "before"], "the snapshot, each row once")
        #expect(first.dropFirst(2).allSatisfy { $0["id"] == "X1" && $0["name"] == "x2" }, "the changes of X1, read as the row now is")
        let whole = try PostgresAdapter(options: options).readAll(batchSize: 10)
        var all: [[String: Value]] = []
        var reader = whole
        while let batch = try reader.next() { all += batch.rows }
        #expect(all.count == 2, "a whole read (reconcile) is the snapshot alone: each record once")
        try execute(options, "UPDATE \(t) SET id = 'X2' WHERE id = 'X1'")
        let (changes, _) = try base.readAll(adapter, since: after)
        #expect(changes.count == 2)
        #expect(changes.first?["id"] == "X1" && changes.first?["_op"] == "delete", "the old key's deletion comes first")
        #expect(changes.last?["id"] == "X2" && changes.last?["_op"] == nil)
    }

    @Test func aSameVersionChangeOverwritesOnlyWhenItIsOne() throws {
        guard let options = try base.database() else { return }
        let sink = base.sink(options)
        #expect(try sink.apply([base.row("a", "submitted", "2026-02-01 09:30:00")]) == [.applied])
        #expect(try sink.apply([base.row("a", "approved", "2026-02-01 09:30:00")]) == [.skippedOlder], "a plain upsert keeps the guard")
        var change = base.row("a", "approved", "2026-02-01 09:30:00")
        change.replacesSameVersion = true
        #expect(try sink.apply([change]) == [.applied])
        var older = base.row("a", "older", "2026-01-01 00:00:00")
        older.replacesSameVersion = true
        #expect(try sink.apply([older]) == [.skippedOlder], "never an older version")
        let (rows, _) = try base.readAll(PostgresAdapter(options: options))
        #expect(rows.first?["name"] == "approved")
    }

    @Test func governmentColumnTypesReadAndWriteByTheDocumentedMapping() throws {
        guard var options = try base.database() else { return }
        options.table = "typed"
        let t = options.qualified
        try execute(options, """
            SET TIME ZONE 'Asia/Shanghai';
            CREATE TABLE \(t) (
                id uuid PRIMARY KEY, amount numeric(31, 10), happened timestamptz NOT NULL DEFAULT now(), local timestamp, day date,
                doc jsonb, tags text[], raw bytea, note text NOT NULL DEFAULT '', updated_at timestamptz NOT NULL DEFAULT now());
            INSERT INTO \(t)(id, amount, happened, local, day, doc, tags, raw, note, updated_at) VALUES (
                '6f1c2a4e-0b6d-4c55-9a1e-2f1d9b7c3e10', 123456789012345678901.1234567891, '2026-02-01 09:30:00.123+08', '2026-02-01 09:30:00',
                '2026-02-01', '{"k": [1, 2.50]}', ARRAY['a', 'b'], '\\x00ff', '', '2026-02-01 09:30:00+08')
            """)
        let (rows, _) = try base.readAll(PostgresAdapter(options: options))
        let row = try #require(rows.first)
        #expect(row["id"] == "6f1c2a4e-0b6d-4c55-9a1e-2f1d9b7c3e10")
        #expect(row["amount"] == .decimal("123456789012345678901.1234567891"), "every digit of a numeric")
        #expect(row["happened"] == "2026-02-01T01:30:00.123+00:00", "timestamptz in UTC whatever the server's zone")
        #expect(row["local"] == "2026-02-01T09:30:00", "timestamp as written, without a zone")
        #expect(row["day"] == "2026-02-01")
        #expect(row["doc"] == .object(["k": .list([.int(1), .decimal("2.50")])]))
        #expect(row["tags"] == .list(["a", "b"]))
        #expect(row["raw"] == .bytes(Data([0x00, 0xFF])), "bytea as bytes (a string field takes their base64)")
        #expect(row["note"] == "", "an empty string is not NULL")
        #expect(row["updated_at"] == "2026-02-01T01:30:00+00:00")

        // Written back through the same mapping of types, into a copy of the table.
        var copy = options
        copy.table = "typed_copy"
        try execute(options, "CREATE TABLE \(copy.qualified) (LIKE \(t) INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING INDEXES)")
        let sink = PostgresAdapter(options: copy, layout: SinkLayout(keyColumns: ["id"], versionColumn: "updated_at"))
        #expect(try sink.apply([SinkRow(key: ["id": row["id"] ?? .null], values: row)]) == [.applied])
        let (copied, _) = try base.readAll(PostgresAdapter(options: copy))
        #expect(copied.first == row, "a row written back reads back the same")
    }
}
