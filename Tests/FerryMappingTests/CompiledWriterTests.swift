import Foundation
import Testing
import FerryCore
@testable import FerryMapping

/// The compiled writer is only a faster road: over ordinary and awkward lines alike, the
/// output and the rejects are byte for byte those of the general path.
@Suite struct CompiledWriterTests {
    static let base = #"{"application_id":"WB2026000007","applicant_name":"陈静","id_number":"11010519491231002X","gender":"female","employer_code":"91110000600037341L","destinations":["AUS","USA","JPN"],"depart_date":"2027-03-01","return_date":"2027-03-12","purpose":"学术交流","approval":"approved","updated_at":"2026-11-24T01:30:05Z"}"#

    static let lines: [String] = [
        base,
        base.replacingOccurrences(of: #""gender":"female""#, with: #""gender":"other""#),  // fixed: not stated
        base.replacingOccurrences(of: #""approval":"approved""#, with: #""approval":"lost""#),  // fail: rejected
        base.replacingOccurrences(of: #""destinations":["AUS","USA","JPN"]"#, with: #""destinations":["AUS","XXX"]"#),
        base.replacingOccurrences(of: #""destinations":["AUS","USA","JPN"]"#, with: #""destinations":[]"#),
        base.replacingOccurrences(of: #""destinations":["AUS","USA","JPN"]"#, with: #""destinations":"AUS""#),
        base.replacingOccurrences(of: #""purpose":"学术交流""#, with: #""purpose":"say \"hi\"\n""#),  // escapes
        base.replacingOccurrences(of: #""purpose":"学术交流""#, with: #""purpose":null"#),
        base.replacingOccurrences(of: #","purpose":"学术交流""#, with: ""),  // missing
        base.replacingOccurrences(of: #""purpose":"学术交流""#, with: #""purpose":42"#),
        base.replacingOccurrences(of: #""purpose":"学术交流""#, with: #""purpose":-0"#),
        base.replacingOccurrences(of: #""purpose":"学术交流""#, with: #""purpose":1.50"#),
        base.replacingOccurrences(of: #""purpose":"学术交流""#, with: #""purpose":{"a":1}"#),
        base.replacingOccurrences(of: #""depart_date":"2027-03-01""#, with: #""depart_date":"2027-02-30""#),
        base.replacingOccurrences(of: #""depart_date":"2027-03-01""#, with: #""depart_date":"20270301""#),
        base.replacingOccurrences(of: #""updated_at":"2026-11-24T01:30:05Z""#, with: #""updated_at":"2026-12-31T20:00:00Z""#),  // day changes in +08:00
        base.replacingOccurrences(of: #""updated_at":"2026-11-24T01:30:05Z""#, with: #""updated_at":"2026-11-24 01:30:05""#),
        base.replacingOccurrences(of: "{", with: "{ ").replacingOccurrences(of: #"","#, with: #"" , "#),  // whitespace
        base.replacingOccurrences(of: #""applicant_name":"陈静""#, with: #""applicant_name":"陈静","applicant_name":"王伟""#),  // duplicate
        base.replacingOccurrences(of: #""unused":1,"#, with: "").replacingOccurrences(of: "{", with: #"{"extra":true,"#),
        "[1,2]", "{", "{}", #"{"application_id":"WB1"} trailing"#,
    ]

    func run(compile: Bool, input: URL) throws -> (output: Data, rejects: Data, counts: MappingStream.Counts) {
        let mapping = try MappingLibrary.containing(Self.approval).mapping(Self.approval)
        let output = input.deletingLastPathComponent().appendingPathComponent("out-\(compile).ndjson")
        let rejects = input.deletingLastPathComponent().appendingPathComponent("rejects-\(compile).ndjson")
        _ = FileManager.default.createFile(atPath: output.path, contents: nil)
        _ = FileManager.default.createFile(atPath: rejects.path, contents: nil)
        let counts = try MappingStream(mapping: mapping, direction: .write, compile: compile).run(
            input: try FileHandle(forReadingFrom: input), output: try FileHandle(forWritingTo: output),
            rejects: try FileHandle(forWritingTo: rejects), inputName: "lines")
        return (try Data(contentsOf: output), try Data(contentsOf: rejects), counts)
    }

    static let approval = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Mappings/foreign-affairs/approval.yaml")

    @Test func bothRoadsWriteTheSameBytes() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ferry-compiled-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let input = directory.appendingPathComponent("in.ndjson")
        try Data(Self.lines.joined(separator: "\n").utf8).write(to: input)
        let fast = try run(compile: true, input: input)
        let slow = try run(compile: false, input: input)
        #expect(fast.output == slow.output, "\n\(String(decoding: fast.output, as: UTF8.self))\n---\n\(String(decoding: slow.output, as: UTF8.self))")
        #expect(fast.rejects == slow.rejects)
        #expect(fast.counts.mapped == slow.counts.mapped && fast.counts.rejected == slow.counts.rejected)
        #expect(fast.counts.mapped >= 12 && fast.counts.rejected >= 6, "the lines exercise both outcomes")
        // The compiled writer really takes the ordinary line, and writes what the system expects.
        let compiled = try #require(CompiledWriter(try MappingLibrary.containing(Self.approval).mapping(Self.approval)))
        var out: [UInt8] = []
        #expect(compiled.write(Array(Self.base.utf8)[...], into: &out))
        let text = String(decoding: out, as: UTF8.self)
        #expect(text.contains(#""QWGJ":"036,840,392""#) && text.contains(#""XB":"2""#) && text.contains(#""GXSJ":"20261124093005""#))
    }
}
