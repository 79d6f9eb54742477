import Foundation
import Testing
import FerryCore
@testable import FerryAdapters

/// Files as real systems save them: Excel's "CSV UTF-8" with a byte-order mark, Chinese
/// Excel's GB18030, Windows' UTF-16; `encoding:` on reading and writing, through iconv.
@Suite struct RealWorldEncodingTests {
    let fixture = FolderFixture()
    /// U+20000 𠀀, four bytes in GB18030 (GB 18030-2005 four-byte area).
    static let rare = "𠀀"
    static let rareGB18030: [UInt8] = [0x95, 0x32, 0x82, 0x36]

    @Test(arguments: [RecordFileFormat.csv, .ndjson, .xml])
    func aUTF8ByteOrderMarkIsNotPartOfTheFirstField(_ format: RecordFileFormat) throws {
        let text: String
        switch format {
        case .csv: text = "编号,姓名\r\nWB1,陈静\r\n"
        case .ndjson: text = "{\"编号\":\"WB1\",\"姓名\":\"陈静\"}\n"
        case .xml: text = "<?xml version=\"1.0\"?><r><record><编号>WB1</编号><姓名>陈静</姓名></record></r>"
        }
        try fixture.drop("a.\(format.rawValue)", [0xEF, 0xBB, 0xBF] + Array(text.utf8))
        let source = try fixture.adapter(format)
        #expect(try source.discover().sorted() == ["姓名", "编号"])
        let rows = try fixture.read(source).rows
        #expect(rows == [["编号": "WB1", "姓名": "陈静"]])
    }

    @Test(arguments: [RecordFileFormat.csv, .ndjson])
    func aUTF16FileWithoutTheOptionSaysWhatToSet(_ format: RecordFileFormat) throws {
        try fixture.drop("a.\(format.rawValue)", [0xFF, 0xFE] + (try encoded("id\r\n1\r\n", as: "UTF-16LE")))
        let error = try fixture.refusal(try fixture.adapter(format))
        #expect(error?.hint?.contains("encoding: utf-16") == true, "\(String(describing: error))")
        #expect(error?.location?.description.hasSuffix("a.\(format.rawValue):1:1") == true)
        #expect(fixture.waiting("a.\(format.rawValue)"), "held, not retired")
    }

    @Test(arguments: [TextEncoding.gb18030, .gbk])
    func chineseExcelCSVReadsWithTheEncodingOption(_ encoding: TextEncoding) throws {
        try fixture.drop("a.csv", try encoded("编号,姓名,事由\r\nWB1,陈静,\"学术交流,会议\"\r\n", as: encoding.label))
        let rows = try fixture.read(try fixture.adapter(.csv) { $0.encoding = encoding }).rows
        #expect(rows == [["编号": "WB1", "姓名": "陈静", "事由": "学术交流,会议"]])
    }

    @Test func aFourByteGB18030CharacterSurvivesReadingAndWriting() throws {
        #expect(try encoded(Self.rare, as: "GB18030") == Self.rareGB18030)
        for format in [RecordFileFormat.csv, .ndjson, .xml] {
            let fixture = FolderFixture()
            let sink = try fixture.adapter(format) { $0.encoding = .gb18030 }
            let row = SinkRow(key: ["id": "1"], values: ["id": "1", "name": .string("陈\(Self.rare)静")])
            #expect(try sink.apply([row]) == [.applied])
            let file = try #require(try fixture.written().first)
            #expect(file.firstRange(of: Self.rareGB18030) != nil, "\(format): written as GB18030's four bytes")
            #expect(file.firstRange(of: Array(Self.rare.utf8)) == nil, "\(format): not as UTF-8")
            try fixture.readBack()
            #expect(try fixture.read(sink).rows == [row.values], "\(format)")
        }
    }

    /// A GB18030 sequence split between two read blocks of 1 MiB is joined, not refused.
    @Test func aSequenceSplitBetweenBlocksIsJoined() throws {
        let padding = String(repeating: "x", count: TextInput.blockSize - "id,name\r\n1,".utf8.count - 2)
        try fixture.drop("a.csv", Array("id,name\r\n1,".utf8) + Array(padding.utf8) + Self.rareGB18030 + Array("\r\n2,b\r\n".utf8))
        let rows = try fixture.read(try fixture.adapter(.csv) { $0.encoding = .gb18030 }).rows
        #expect(rows.count == 2 && rows[0]["name"]?.text?.hasSuffix("x" + Self.rare) == true && rows[1]["name"] == "b")
    }

    @Test func utf16TakesItsByteOrderFromTheMark() throws {
        let text = "编号,姓名\r\nWB1,陈\(Self.rare)\r\n"
        try fixture.drop("a.csv", [0xFF, 0xFE] + (try encoded(text, as: "UTF-16LE")))
        try fixture.drop("b.csv", [0xFE, 0xFF] + (try encoded(text, as: "UTF-16BE")))
        let rows = try fixture.read(try fixture.adapter(.csv) { $0.encoding = .utf16 }).rows
        #expect(rows == [["编号": "WB1", "姓名": .string("陈\(Self.rare)")], ["编号": "WB1", "姓名": .string("陈\(Self.rare)")]])
        // Without a mark the order is unknown: refused, with what to set.
        try fixture.drop("c.csv", try encoded(text, as: "UTF-16LE"))
        let error = try fixture.refusal(try fixture.adapter(.csv) { $0.encoding = .utf16 })
        #expect(error?.hint?.contains("utf-16le") == true)
        // Named explicitly, no mark is needed.
        let explicit = FolderFixture()
        try explicit.drop("c.csv", try encoded(text, as: "UTF-16LE"))
        #expect(try explicit.read(try explicit.adapter(.csv) { $0.encoding = .utf16le }).rows.count == 1)
    }

    @Test func utf16IsWrittenWithAMarkAndReadBack() throws {
        let sink = try fixture.adapter(.csv) { $0.encoding = .utf16 }
        #expect(try sink.apply([SinkRow(key: ["id": "1"], values: ["id": "1", "name": "陈静"])]) == [.applied])
        #expect(try fixture.written().first?.starts(with: [0xFF, 0xFE]) == true)
        try fixture.readBack()
        #expect(try fixture.read(sink).rows == [["id": "1", "name": "陈静"]])
    }

    /// Bytes invalid in the declared encoding: a located reason, never U+FFFD; the line is set
    /// aside and the rest of the file is read.
    @Test func bytesInvalidInTheEncodingAreLocatedNeverReplaced() throws {
        try fixture.drop("a.csv", Array("id,name\r\n1,".utf8) + [0xB3, 0xC2] + Array("\r\n2,".utf8) + [0x81, 0x20] + Array("x\r\n3,ok\r\n".utf8))
        let bytes = Array("id,name\r\n1,".utf8) + [0xB3, 0xC2] + Array("\r\n2,".utf8) + [0x81, 0x20] + Array("x\r\n3,ok\r\n".utf8)
        let held = FolderFixture()
        try held.drop("a.csv", bytes)
        let read = try fixture.read(try fixture.adapter(.csv) { $0.encoding = .gb18030 })
        #expect(read.rows == [["id": "1", "name": "陈"], ["id": "3", "name": "ok"]])
        #expect(read.malformed.map(\.position) == ["a.csv:3:3"])
        #expect(read.malformed.first?.reason == "bytes that are not GB18030 text")
        #expect(!read.rows.contains { $0.values.contains { $0.text?.contains("\u{FFFD}") == true } })
        // Under on_malformed: stop, the same line stops the file there.
        let error = try held.refusal(try held.adapter(.csv) {
            $0.encoding = .gb18030
            $0.onMalformed = .stop
        })
        #expect(error?.location?.description.hasSuffix("a.csv:3:3") == true, "\(String(describing: error))")
        #expect(held.waiting("a.csv"))
    }

    @Test func aCharacterTheEncodingLacksRefusesItsRecordAlone() throws {
        for format in [RecordFileFormat.csv, .ndjson, .xml] {
            let fixture = FolderFixture()
            let sink = try fixture.adapter(format) { $0.encoding = .gbk }
            let outcomes = try sink.apply([
                SinkRow(key: ["id": "1"], values: ["id": "1", "note": "陈静"]),
                SinkRow(key: ["id": "2"], values: ["id": "2", "note": "ok 😀"]),
                SinkRow(key: ["id": "3"], values: ["id": "3", "note": .string("陈\(Self.rare)")]),
            ])
            #expect(outcomes[0] == .applied, "\(format)")
            guard case .rejected(let reason) = outcomes[1], case .rejected(let rare) = outcomes[2] else {
                Issue.record("\(format): \(outcomes)")
                continue
            }
            #expect(reason.contains("column note holds U+1F600") && reason.contains("GBK"), "\(reason)")
            #expect(rare.contains("U+20000"))
            let file = try #require(try fixture.written().first)
            #expect(!file.contains(UInt8(ascii: "?")) || format == .xml, "no stand-in character written")
            try fixture.readBack()
            #expect(try fixture.read(sink).rows.map { $0["id"] } == ["1"], "\(format)")
        }
    }

    @Test func theOptionIsParsedAndChecked() throws {
        let good = try ConfigNode.parse("folder: in\nencoding: GB18030\non_malformed: stop\n", file: "ferry.yaml")
        let options = try FolderAdapter.options(good, format: .csv, system: "s", baseDirectory: fixture.root)
        #expect(options.encoding == .gb18030 && options.onMalformed == .stop)
        #expect(TextEncoding(option: "UTF16LE") == .utf16le && TextEncoding(option: "utf8") == .utf8)
        let bad = try ConfigNode.parse("folder: in\nencoding: big5\n", file: "ferry.yaml")
        #expect(throws: FerryError.self) { try FolderAdapter.options(bad, format: .csv, system: "s", baseDirectory: fixture.root) }
        let policy = try ConfigNode.parse("folder: in\non_malformed: skip\n", file: "ferry.yaml")
        #expect(throws: FerryError.self) { try FolderAdapter.options(policy, format: .csv, system: "s", baseDirectory: fixture.root) }
    }
}
