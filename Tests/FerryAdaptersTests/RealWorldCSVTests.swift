import Foundation
import Testing
import FerryCore
@testable import FerryAdapters

/// CSV as real systems write it: line breaks inside quoted fields, empty strings beside
/// nulls, one-column files, and rows that cannot be read among good ones.
@Suite struct RealWorldCSVTests {
    let fixture = FolderFixture()

    @Test func aCarriageReturnInsideQuotesIsKept() throws {
        try fixture.drop("a.csv", "id,note\r\n1,\"x\r\ny\"\r\n2,\"a\rb\"\r\n3,\"x\ny\"\n")
        let rows = try fixture.read(try fixture.adapter(.csv)).rows
        #expect(rows.map { $0["note"] } == ["x\r\ny", "a\rb", "x\ny"])
    }

    /// Ferry's convention: an unquoted empty cell is null, a quoted `""` the empty string.
    @Test func quotedEmptyIsTheEmptyStringAndUnquotedEmptyIsNull() throws {
        try fixture.drop("a.csv", "id,note,extra\r\n1,\"\",\r\n2,,\"\"\r\n")
        let rows = try fixture.read(try fixture.adapter(.csv)).rows
        #expect(rows == [["id": "1", "note": "", "extra": .null], ["id": "2", "note": .null, "extra": ""]])
    }

    @Test func aOneColumnRowOfOnlyQuotesIsARecord() throws {
        try fixture.drop("a.csv", "name\r\n\"\"\r\nx\r\n\r\n\"\"\r\n")
        let rows = try fixture.read(try fixture.adapter(.csv)).rows
        #expect(rows == [["name": ""], ["name": "x"], ["name": ""]], "the empty line between is not a record; \"\" is")
    }

    @Test func emptyStringsNullsAndLineBreaksRoundTrip() throws {
        let sink = try fixture.adapter(.csv)
        let values: [[String: Value]] = [
            ["id": "1", "note": "", "memo": .null, "list": ["a", "b"]],
            ["id": "2", "note": .null, "memo": "x\r\ny \"q\"", "list": .null],
            ["id": "3", "note": " ", "memo": "", "list": .list([])],
        ]
        #expect(try sink.apply(values.map { SinkRow(key: ["id": $0["id"] ?? .null], values: $0) }) == [.applied, .applied, .applied])
        let text = String(decoding: try #require(try fixture.written().first), as: UTF8.self)
        #expect(text.contains("1,\"[\\\"a\\\",\\\"b\\\"]\",,\"\"\r\n") || text.contains("1,\"[\"\"a\"\",\"\"b\"\"]\",,\"\"\r\n"), "\(text)")
        try fixture.readBack()
        let back = try fixture.read(sink).rows
        #expect(back.map { $0["note"] } == ["", .null, " "])
        #expect(back.map { $0["memo"] } == [.null, "x\r\ny \"q\"", ""])
        #expect(back[0]["list"] == "[\"a\",\"b\"]", "a list is written as its JSON text, not dropped")
    }

    /// One bad row among good ones is set aside with its raw bytes and place; the rest are read.
    @Test func aBadRowIsSetAsideAndTheRestRead() throws {
        try fixture.drop("a.csv", Array("id,name\r\n1,a\r\n2,b,extra\r\n3,\"c\"d\r\n4,".utf8) + [0xC0, 0xEE] + Array("\r\n5,\"multi\nline\"\r\n6,f\r\n".utf8))
        try fixture.drop("b.csv", "id,name\r\n7,g\r\n")
        let source = try fixture.adapter(.csv)
        let read = try fixture.read(source)
        #expect(read.rows.map { $0["id"] } == ["1", "5", "6", "7"])
        #expect(read.positions == ["a.csv:2", "a.csv:6", "a.csv:8", "b.csv:2"])
        #expect(read.malformed.map(\.position) == ["a.csv:3:1", "a.csv:4:6", "a.csv:5:3"])
        #expect(read.malformed.map { String(decoding: $0.raw, as: UTF8.self) }.prefix(2) == ["2,b,extra\r", "3,\"c\"d\r"])
        #expect(read.malformed[2].raw == Array("4,".utf8) + [0xC0, 0xEE, 0x0D], "raw bytes kept as they were")
        #expect(read.malformed[0].reason.contains("3 fields, the header 2"))
        #expect(fixture.retired("a.csv") && fixture.retired("b.csv"), "neither file holds up the folder")
    }

    /// A checkpoint counts set-aside rows too, so a resumed read neither repeats nor skips one.
    @Test func resumingNeitherRepeatsNorSkipsSetAsideRows() throws {
        try fixture.drop("a.csv", "id\r\n1\r\n\"2\"x\r\n3\r\n\"4\"y\r\n5\r\n")
        let source = try fixture.adapter(.csv)
        var reader = try source.read(since: nil, batchSize: 2)
        let first = try #require(try reader.next())
        #expect(first.rows.map { $0["id"] } == ["1"] && first.malformed.count == 1)
        let rest = try fixture.read(source, since: first.checkpoint, batch: 2)
        #expect(rest.rows.map { $0["id"] } == ["3", "5"])
        #expect(rest.malformed.map(\.position) == ["a.csv:5:4"])
    }

    @Test func stopKeepsAFileWithABadRowWhereItIs() throws {
        try fixture.drop("a.csv", "id,name\r\n1,a\r\n2,b,extra\r\n")
        let error = try fixture.refusal(try fixture.adapter(.csv) { $0.onMalformed = .stop })
        #expect(error?.location?.description.hasSuffix("a.csv:3:1") == true)
        #expect(fixture.waiting("a.csv"))
    }

    /// Faults that leave the rest of a file unreadable hold the file whatever the policy.
    @Test func aQuoteThatNeverClosesHoldsTheFile() throws {
        try fixture.drop("a.csv", "id,name\r\n1,\"never closed\r\n2,x\r\n")
        let error = try fixture.refusal(try fixture.adapter(.csv))
        #expect(error?.message.contains("never closed") == true && error?.location?.description.hasSuffix("a.csv:2:3") == true)
        #expect(fixture.waiting("a.csv"))
    }
}
