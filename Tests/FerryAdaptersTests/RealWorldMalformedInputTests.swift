import Foundation
import Testing
import FerryCore
@testable import FerryAdapters

/// One malformed line must not hold its whole file, nor every later file behind it: by
/// default it goes to quarantine with its raw bytes and place, and the rest is read;
/// `on_malformed: stop` keeps the file where it is for flows where order matters more.
@Suite struct RealWorldMalformedInputTests {
    let fixture = FolderFixture()

    @Test func aBadNDJSONLineIsSetAsideAndTheRestRead() throws {
        let lines = [#"{"id":"1"}"#, #"{"id":"2","#, #"["not","an","object"]"#, #"{"id":"4"}"#]
        try fixture.drop("a.ndjson", Array(lines.joined(separator: "\n").utf8) + Array("\n{\"id\":\"".utf8) + [0xFF] + Array("\"}\n{\"id\":\"6\"}\n".utf8))
        try fixture.drop("b.ndjson", #"{"id":"7"}"#)
        let read = try fixture.read(try fixture.adapter(.ndjson))
        #expect(read.rows.map { $0["id"] } == ["1", "4", "6", "7"])
        #expect(read.positions == ["a.ndjson:1", "a.ndjson:4", "a.ndjson:6", "b.ndjson:1"])
        #expect(read.malformed.map(\.position) == ["a.ndjson:2:1", "a.ndjson:3:1", "a.ndjson:5:8"])
        #expect(read.malformed[0].raw == Array(lines[1].utf8), "the raw line, as it was")
        #expect(read.malformed[0].reason.hasPrefix("not a JSON record"))
        #expect(read.malformed[1].reason == "line is JSON but not an object")
        #expect(read.malformed[2].reason == "not UTF-8 text" && read.malformed[2].raw.contains(0xFF))
        #expect(fixture.retired("a.ndjson") && fixture.retired("b.ndjson"))
    }

    @Test func stopHoldsTheFileAndTheFilesAfterIt() throws {
        try fixture.drop("a.ndjson", "{\"id\":\"1\"}\n{\"id\":\n")
        try fixture.drop("b.ndjson", "{\"id\":\"2\"}\n")
        let source = try fixture.adapter(.ndjson) { $0.onMalformed = .stop }
        var reader = try source.read(since: nil, batchSize: 100)
        #expect(throws: FerryError.self) { try reader.next() }
        #expect(fixture.waiting("a.ndjson") && fixture.waiting("b.ndjson"))
    }

    /// A batch counts set-aside lines towards its size, so a file of bad lines is read in
    /// bounded batches, and a resumed read does not quarantine a line twice.
    @Test func setAsideLinesCountInBatchesAndCheckpoints() throws {
        try fixture.drop("a.ndjson", (1...7).map { $0 % 2 == 0 ? "bad \($0)" : #"{"id":\#($0)}"# }.joined(separator: "\n"))
        let source = try fixture.adapter(.ndjson)
        var reader = try source.read(since: nil, batchSize: 3)
        let first = try #require(try reader.next())
        #expect(first.rows.count + first.malformed.count == 3)
        let rest = try fixture.read(source, since: first.checkpoint, batch: 3)
        #expect((first.malformed + rest.malformed).map(\.position) == ["a.ndjson:2:1", "a.ndjson:4:1", "a.ndjson:6:1"])
        #expect((first.rows + rest.rows).map { $0["id"] } == [1, 3, 5, 7])
    }

    /// A line too long to hold is set aside with a bounded prefix, and reading goes on after it.
    @Test func anOverlongLineIsSetAsideWithABoundedPrefix() throws {
        try fixture.drop("a.ndjson", "{\"id\":1}\n{\"id\":\"" + String(repeating: "x", count: 300) + "\"}\n{\"id\":3}\n")
        var reader = try RecordFileReader(url: fixture.folder.appendingPathComponent("a.ndjson"), format: .ndjson)
        reader.maxLine = 64
        var entries: [String] = []
        while let entry = try reader.next() {
            switch entry {
            case .row(let row, let line): entries.append("\(line):\(row["id"]?.text ?? "")")
            case .malformed(let bad, _): entries.append("\(bad.position) \(bad.raw.count) bytes")
            }
        }
        #expect(entries == ["1:1", "a.ndjson:2:1 64 bytes", "3:3"])
    }

    @Test func theDefaultIsQuarantineAndStopIsAnOption() throws {
        #expect(FolderAdapter.Options(format: .csv).onMalformed == .quarantine)
        let node = try ConfigNode.parse("folder: in\non_malformed: stop\n", file: "ferry.yaml")
        #expect(try FolderAdapter.options(node, format: .ndjson, system: "s", baseDirectory: fixture.root).onMalformed == .stop)
    }
}
