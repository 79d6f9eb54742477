import Foundation
import Testing
import FerryCore
@testable import FerryAdapters

/// NDJSON and CSV files through folders, on real files: round trips, checkpoints, the
/// moved-file convention, and hostile input that must stop at its line and column.
@Suite struct FolderAdapterTests {
    let root = FileManager.default.temporaryDirectory.appendingPathComponent("ferry-folder-\(UUID().uuidString)")

    func adapter(_ format: RecordFileFormat, folder: String = "in", out: String = "out", roll: Int = 10_000,
        onMalformed: FolderAdapter.MalformedPolicy = .quarantine) throws -> FolderAdapter {
        var options = FolderAdapter.Options(format: format)
        options.onMalformed = onMalformed
        options.folder = root.appendingPathComponent(folder)
        options.out = root.appendingPathComponent(out)
        options.rollRecords = roll
        options.prefix = "test"
        for url in [options.folder, options.out].compactMap({ $0 }) {
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        }
        return FolderAdapter(options: options)
    }

    func readAll(_ adapter: FolderAdapter, since: String? = nil, batch: Int = 100) throws -> (rows: [[String: Value]], checkpoint: String?) {
        var reader = try adapter.read(since: since, batchSize: batch)
        var rows: [[String: Value]] = []
        var checkpoint: String?
        while let next = try reader.next() {
            rows += next.rows
            checkpoint = next.checkpoint
        }
        return (rows, checkpoint)
    }

    static let rows: [SinkRow] = [
        SinkRow(key: ["SQBH": "WB1"], values: ["SQBH": "WB1", "XM": "陈静", "CFSY": "学术交流, \"国际\"会议\n第二行", "JE": .decimal("12.5")]),
        SinkRow(key: ["SQBH": "WB2"], values: ["SQBH": "WB2", "XM": "王伟", "CFSY": "商务", "JE": .null, "BZ": ""]),
        SinkRow(key: ["SQBH": "WB3"], values: ["SQBH": "WB3", "XM": "李娜", "CFSY": "培训", "JE": 3]),
    ]

    @Test(arguments: [RecordFileFormat.ndjson, .csv, .xml])
    func writtenFilesReadBackTheSame(_ format: RecordFileFormat) throws {
        let sink = try adapter(format, out: "x", roll: 2)
        #expect(try sink.apply(Self.rows) == [.applied, .applied, .applied])
        let written = try FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent("x").path)
        #expect(written.count == 2 && written.allSatisfy { $0.hasSuffix("." + format.rawValue) }, "rolled every 2 records: \(written)")
        let back = try readAll(try adapter(format, folder: "x")).rows
        #expect(back.count == 3)
        #expect(back.map { $0["XM"] } == ["陈静", "王伟", "李娜"])
        #expect(back[0]["CFSY"] == "学术交流, \"国际\"会议\n第二行", "delimiters, quotes and line breaks survive")
        #expect((back[1]["JE"] ?? .null) == .null, "null stays null (in XML, an absent element)")
        #expect(back[1]["BZ"] == "", "the empty string stays the empty string, in every format")
        let amount = back[0]["JE"]?.text
        #expect(amount == "12.5")
    }

    @Test func readingResumesFromItsCheckpointAndMovesFinishedFiles() throws {
        let source = try adapter(.ndjson)
        let folder = root.appendingPathComponent("in")
        let lines = (1...5).map { #"{"id":"\#($0)","name":"名\#($0)"}"# }.joined(separator: "\n")
        try Data(lines.utf8).write(to: folder.appendingPathComponent("a.ndjson"))
        try Data(#"{"id":"6"}"#.utf8).write(to: folder.appendingPathComponent("b.ndjson"))
        try Data("half".utf8).write(to: folder.appendingPathComponent("c.ndjson.part"))
        try Data("hidden".utf8).write(to: folder.appendingPathComponent(".d.ndjson"))

        // Two records, then "a crash": the next reader starts from the committed checkpoint.
        var reader = try source.read(since: nil, batchSize: 2)
        let first = try #require(try reader.next())
        #expect(first.rows.map { $0["id"] } == ["1", "2"] && first.positions == ["a.ndjson:1", "a.ndjson:2"])
        let resumed = try readAll(source, since: first.checkpoint, batch: 2)
        #expect(resumed.rows.map { $0["id"] } == ["3", "4", "5", "6"], "nothing skipped, nothing read twice; .part and hidden files left alone")
        // A finished file moves when the batch after its last is asked for: by then the sync
        // has committed that last batch.
        #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent("done/a.ndjson").path))
        #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent("done/b.ndjson").path))
        #expect(try readAll(source, since: resumed.checkpoint).rows.isEmpty)
        // Killed after b's batch was read but before it committed: from a's final checkpoint,
        // b (put back) is read again, whole.
        try FileManager.default.moveItem(at: folder.appendingPathComponent("done/b.ndjson"), to: folder.appendingPathComponent("b.ndjson"))
        var replay = try source.read(since: FolderAdapter.Position(file: "a.ndjson", records: 5, complete: true).text, batchSize: 10)
        #expect(try replay.next()?.rows.map { $0["id"] } == ["6"])
        #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent("c.ndjson.part").path))
        #expect(try source.discover() == ["id"], "the first waiting file offers its keys")
    }

    /// Reconcile and checks read the whole copy: that must take no file from the sync. The
    /// copy is done/ (renamed copies too) then the waiting files; a write-only system's copy
    /// is what was written to `out`.
    @Test func aWholeCopyReadMovesNoFile() throws {
        let source = try adapter(.ndjson)
        let folder = root.appendingPathComponent("in")
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("done"), withIntermediateDirectories: true)
        try Data(#"{"id":"1"}"#.utf8).write(to: folder.appendingPathComponent("done/a.ndjson"))
        try Data(#"{"id":"2"}"#.utf8).write(to: folder.appendingPathComponent("done/a.ndjson.2"))
        try Data(#"{"id":"2b"}"#.utf8).write(to: folder.appendingPathComponent("done/a.ndjson.10"))
        try Data("{\"id\":\"3\"}\n{\"id\":\"4\"}".utf8).write(to: folder.appendingPathComponent("b.ndjson"))
        try Data("half".utf8).write(to: folder.appendingPathComponent("c.ndjson.part"))
        var whole = try source.readCopy(batchSize: 1)
        var ids: [Value?] = []
        while let batch = try whole.next() { ids += batch.rows.map { $0["id"] } }
        #expect(ids == ["1", "2", "2b", "3", "4"], "copies of a name in the order they arrived")
        #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent("b.ndjson").path), "the waiting file stays for the sync")
        #expect(try readAll(source).rows.map { $0["id"] } == ["3", "4"], "the sync still reads what the whole-copy read saw")

        var writeOnly = FolderAdapter.Options(format: .ndjson)
        writeOnly.out = root.appendingPathComponent("out")
        let sink = FolderAdapter(options: writeOnly)
        _ = try sink.apply(Self.rows)
        var written = try sink.readCopy(batchSize: 10)
        #expect(try written.next()?.rows.map { $0["SQBH"] } == ["WB1", "WB2", "WB3"])
    }

    /// Hostile files stop with the file, line and column under `on_malformed: stop`, and the
    /// file stays where it is.
    @Test func hostileInputStopsAtItsLineAndColumn() throws {
        let folder = root.appendingPathComponent("in")
        func failure(_ format: RecordFileFormat, _ name: String, _ bytes: [UInt8]) throws -> FerryError? {
            let source = try adapter(format, onMalformed: .stop)
            try Data(bytes).write(to: folder.appendingPathComponent(name))
            defer { try? FileManager.default.removeItem(at: folder.appendingPathComponent(name)) }
            do {
                _ = try readAll(source)
                return nil
            } catch let error as FerryError {
                #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent(name).path))
                return error
            }
        }
        let gbk = try failure(.csv, "gbk.csv", Array("id,name\n1,ok\n2,".utf8) + [0xC0, 0xEE] + Array("\n".utf8))  // 李 in GBK
        #expect(gbk?.message == "not UTF-8 text" && gbk?.location?.description.hasSuffix("gbk.csv:3:3") == true, "\(String(describing: gbk))")
        #expect(gbk?.hint?.contains("encoding: gb18030") == true)
        let quote = try failure(.csv, "quote.csv", Array("id,name\n1,\"never closed\n2,x\n".utf8))
        #expect(quote?.message.contains("never closed") == true && quote?.location?.description.hasSuffix("quote.csv:2:3") == true,
            "\(String(describing: quote))")
        let fields = try failure(.csv, "fields.csv", Array("id,name\n1,a,extra\n".utf8))
        #expect(fields?.location?.description.hasSuffix("fields.csv:2:1") == true)
        let xml = try failure(.xml, "open.xml", Array("<records>\n  <record><id>1</id></record>\n  <record><id>2</id>\n</records>\n".utf8))
        #expect(xml?.message.contains("not well-formed XML") == true && xml?.location?.description.contains("open.xml:4:") == true,
            "\(String(describing: xml))")
        let json = try failure(.ndjson, "bad.ndjson", Array("{\"id\":1}\n{\"id\":\n".utf8))
        #expect(json?.location?.description.hasSuffix("bad.ndjson:2:1") == true)
        // A 100 MB line without a line break: refused before it is held whole.
        var huge = Array("{\"id\":\"".utf8)
        huge += [UInt8](repeating: UInt8(ascii: "x"), count: 100 << 20)
        let long = try failure(.ndjson, "huge.ndjson", huge)
        #expect(long?.message.contains("longer than 16 MiB") == true && long?.location?.description.hasSuffix("huge.ndjson:1:1") == true)
    }

    /// Older systems' XML: repeated elements, attributes, nested and repeated children.
    /// (Entities: RealWorldXMLTests.)
    @Test func xmlRecordsReadAsFields() throws {
        var options = FolderAdapter.Options(format: .xml)
        options.folder = root.appendingPathComponent("in")
        options.recordElement = "申请"
        try FileManager.default.createDirectory(at: options.folder!, withIntermediateDirectories: true)
        let document = """
            <?xml version="1.0" encoding="UTF-8"?>
            <批量 版本="2">
              <申请 编号="WB1"><姓名>陈静</姓名><国家>AUS</国家><国家>USA</国家><单位><代码>9135</代码></单位></申请>
              <申请 编号="WB2"><姓名><![CDATA[王<伟>]]></姓名><备注>a &amp; b</备注></申请>
            </批量>
            """
        try Data(document.utf8).write(to: options.folder!.appendingPathComponent("a.xml"))
        let rows = try readAll(FolderAdapter(options: options)).rows
        #expect(rows.count == 2)
        #expect(rows[0]["编号"] == "WB1" && rows[0]["姓名"] == "陈静" && rows[0]["国家"] == ["AUS", "USA"])
        #expect(rows[0]["单位"] == .object(["代码": "9135"]))
        #expect(rows[1]["姓名"] == "王<伟>")
        #expect(rows[1]["备注"] == "a & b")
    }
}
