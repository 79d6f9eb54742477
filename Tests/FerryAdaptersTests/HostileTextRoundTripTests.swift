import Foundation
import GRDB
import Testing
import FerryCore
@testable import FerryAdapters

/// What the writers produce from hostile values reads back, with a real parser, as the same
/// records: no extra element, record, cell or SQL token (issue 16). Each fails if quoting
/// goes back to comparing grapheme clusters.
@Suite struct HostileTextRoundTripTests {
    static func rows(_ count: Int, seed: UInt64) -> [[String: Value]] {
        var generator = HostileText(seed: seed)
        return (0..<count).map { ["id": .string("r\($0)"), "note": .string(generator.next()), "Item@code": .string(generator.next(pieces: 6))] }
    }

    @Test func xmlRecordsWithHostileValuesReadBackAsTheSameRecords() throws {
        let fixture = FolderFixture()
        let rows = Self.rows(300, seed: 7) + [["id": "payload", "note": .string(HostileText.clusterPayload + "</note></record><record><id>forged</id>"), "Item@code": "\u{600}\"/><x"]]
        let sink = try fixture.adapter(.xml) { $0.recordElement = "record" }
        _ = try sink.apply(rows.map { SinkRow(key: ["id": $0["id"] ?? .null], values: $0) })
        try fixture.readBack()
        let back = try fixture.read(try fixture.adapter(.xml) { $0.recordElement = "record" }).rows
        #expect(back.count == rows.count, "a value added or removed records")
        // The reader also gives the attribute's element (`Item`) its empty text; compare what was written.
        let mismatched = zip(rows, back).filter { row, read in row.contains { read[$0.key] != $0.value } }.map { $0.0["id"]?.text ?? "" }
        #expect(mismatched.isEmpty, "values changed in \(mismatched.prefix(5))")
    }

    @Test func csvRecordsWithHostileValuesReadBackAsTheSameRecords() throws {
        let fixture = FolderFixture()
        let rows = Self.rows(300, seed: 8).map { $0.filter { $0.key != "Item@code" } }
        let sink = try fixture.adapter(.csv)
        _ = try sink.apply(rows.map { SinkRow(key: ["id": $0["id"] ?? .null], values: $0) })
        try fixture.readBack()
        let back = try fixture.read(try fixture.adapter(.csv)).rows
        #expect(back.count == rows.count, "a value added or removed rows")
        let mismatched = zip(rows, back).filter { $0 != $1 }.map { $0.0["id"]?.text ?? "" }
        #expect(mismatched.isEmpty, "values changed in \(mismatched.prefix(5))")
    }

    /// SQLite parses what SQLQuote wrote: the names and literals come back exactly.
    @Test func sqlIdentifiersAndLiteralsQuoteHostileText() throws {
        let database = try DatabaseQueue()
        var generator = HostileText(seed: 9)
        for index in 0..<300 {
            let name = "c\(index)" + generator.next(pieces: 8)
            let text = generator.next()
            try database.write { db in
                try db.execute(sql: "CREATE TABLE t\(index) (\(SQLQuote.identifier(name)) TEXT)")
                try db.execute(sql: "INSERT INTO t\(index) VALUES (\(SQLQuote.literal(text)))")
                #expect(try Row.fetchAll(db, sql: "PRAGMA table_info(t\(index))").map { $0["name"] as String } == [name])
                #expect(try String.fetchOne(db, sql: "SELECT \(SQLQuote.identifier(name)) FROM t\(index)") == text)
            }
        }
    }
}
