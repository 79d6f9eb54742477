import Foundation
import GRDB
import Testing
@testable import FerryAdapters

/// Keyset paging must seek, not scan: a page that scans costs in proportion to the table,
/// so a read of a large registry slows as it goes (a million rows: 1 ms a page at the start,
/// 235 ms by the middle). SQLite's own planner is asked, with the values left as bound
/// parameters, as the adapter runs them.
@Suite struct CursorPagingPlanTests {
    /// `EXPLAIN QUERY PLAN` of `sql` on a table `t` with an index on its cursor column.
    func plan(_ sql: String, cursorDeclaration: String = "TEXT") throws -> [String] {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("ferry-plan-\(UUID().uuidString).db")
        defer { try? FileManager.default.removeItem(at: url) }
        return try DatabaseQueue(path: url.path).write { db in
            try db.execute(sql: "CREATE TABLE t (id TEXT PRIMARY KEY, v TEXT, updated_at \(cursorDeclaration))")
            try db.execute(sql: "CREATE INDEX t_updated ON t(updated_at)")
            // Unanalysed, the table has no statistics the values could steer the plan by.
            let parameters = Array(repeating: DatabaseValue.null, count: sql.filter { $0 == "?" }.count)
            return try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN " + sql, arguments: StatementArguments(parameters)).map { $0["detail"] as String }
        }
    }

    @Test(arguments: ["TEXT", "TEXT NOT NULL", "DATETIME"])
    func everyPageOfACursorReadSeeksTheCursorIndex(declaration: String) throws {
        let sql = CursorSQL(table: "t", cursor: "updated_at")
        for (name, statement) in [("nulls", sql.nulls), ("blanks", sql.blanks), ("from", sql.from), ("after", sql.after(value: .null, rowid: 0).sql), ("lookback", sql.lookback)] {
            let steps = try plan(statement, cursorDeclaration: declaration)
            // SQLite knows `IS NULL` is false on a NOT NULL column and reads nothing at all.
            if name == "nulls", declaration.hasSuffix("NOT NULL") { continue }
            #expect(steps.allSatisfy { $0.hasPrefix("SEARCH t USING ") && $0.contains("INDEX t_updated") }, "\(name) on updated_at \(declaration): \(steps)")
        }
        // The first page of a whole read starts at the index's beginning either way: walking
        // it in order is right, as its LIMIT stops the walk after one page. Sorting is not.
        let first = try plan(sql.first, cursorDeclaration: declaration)
        #expect(first.allSatisfy { $0.contains("USING INDEX t_updated") && !$0.contains("TEMP B-TREE") }, "first on updated_at \(declaration): \(first)")
    }

    @Test func keysetPagingSeeksTheIndexOfItsLeadingColumn() throws {
        // Keyset's condition as the MySQL and ODBC adapters send it, here to SQLite (which
        // ODBC reaches too). Without the leading `a >= ?`, SQLite 3.40 walks the whole index.
        let keyset = Keyset.after(["updated_at", "rowid"], ["v", "7"])
        let bounded = try plan("SELECT * FROM t WHERE \(keyset.sql) ORDER BY updated_at, rowid LIMIT 10")
        #expect(bounded.contains { $0.hasPrefix("SEARCH t USING INDEX t_updated (updated_at>?)") }, "\(bounded)")
    }

    @Test func keysetPlaceholdersTakeTheirValuesInOrder() {
        #expect(Keyset.after(["a"], ["1"]).sql == "a > ?")
        let two = Keyset.after(["a", "b"], ["1", "2"])
        #expect(two.sql == "(a >= ? AND (a > ? OR (a = ? AND b > ?)))")
        #expect(two.values == ["1", "1", "1", "2"])
        let three = Keyset.after(["a", "b", "c"], ["1", "2", "3"])
        #expect(three.sql == "(a >= ? AND (a > ? OR (a = ? AND (b > ? OR (b = ? AND c > ?)))))")
        #expect(three.values == ["1", "1", "1", "2", "2", "3"])
        #expect(Keyset.after([], []).sql == "1 = 0", "no columns: no row is after")
    }
}
