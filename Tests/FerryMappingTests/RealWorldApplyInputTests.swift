import Foundation
import Testing
import FerryCore
@testable import FerryMapping

/// `ferry mapping apply` reads its input bytes as strictly as a folder source does: bytes
/// that are not UTF-8 are refused at their line and column, never turned into U+FFFD; a BOM
/// at the start of the file is not data; hostile lines become rejects, never a crash. The
/// compiled (fast) road and the general one agree on all of it.
@Suite struct RealWorldApplyInputTests {
    static let mappings = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Mappings/foreign-affairs")

    static let portalRow = #"{"app_no":"WB2026000001","applicant_name":"王伟","id_card":"350203198001010013","sex":"M","employer_uscc":"91350200MA2YH12349","destinations":"AU;US","depart_on":"2026-03-01","return_on":"2026-03-10","purpose":"商务","updated_at":"2026-02-01 09:30:00"}"#

    struct Run {
        var counts: MappingStream.Counts
        var output: String
        var rejects: [Value]
    }

    /// Runs `input` through `mapping` as `ferry mapping apply --in <dir>/in.ndjson` would.
    static func apply(_ input: [UInt8], mapping file: String, direction: MappingStream.Direction, compile: Bool = true) throws -> Run {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ferry-apply-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let (source, output, rejects) = (directory.appendingPathComponent("in.ndjson"), directory.appendingPathComponent("out"), directory.appendingPathComponent("rejects"))
        try Data(input).write(to: source)
        for file in [output, rejects] { _ = FileManager.default.createFile(atPath: file.path, contents: nil) }
        let url = mappings.appendingPathComponent(file)
        let counts = try MappingStream(mapping: try MappingLibrary.containing(url).mapping(url), direction: direction, compile: compile).run(
            input: try FileHandle(forReadingFrom: source), output: try FileHandle(forWritingTo: output),
            rejects: try FileHandle(forWritingTo: rejects), inputName: "in.ndjson")
        let rejected = try Data(contentsOf: rejects).split(separator: 0x0A).map { try CanonicalJSON.decode($0) }
        return Run(counts: counts, output: String(decoding: try Data(contentsOf: output), as: UTF8.self), rejects: rejected)
    }

    static func issue(_ reject: Value) -> (message: String, at: String)? {
        guard case .object(let line) = reject, case .list(let issues)? = line["issues"], case .object(let first)? = issues.first,
            case .string(let message)? = first["message"], case .string(let at)? = first["at"]
        else { return nil }
        return (message, at)
    }

    @Test func bytesThatAreNotUTF8AreRefusedAtTheirLineAndColumnNotReplaced() throws {
        // Line 2 holds 0xFF after `{"app_no":"WB2026000001","applicant_name":"王伟` (49 bytes, 45 characters).
        let bad = Array(Self.portalRow.utf8.prefix(49)) + [0xFF] + Array(Self.portalRow.utf8.dropFirst(49))
        let input = Array(Self.portalRow.utf8) + [0x0A] + bad + [0x0A] + Array(Self.portalRow.utf8)
        let run = try Self.apply(input, mapping: "portal.yaml", direction: .read)
        #expect(run.counts.lines == 3 && run.counts.mapped == 2 && run.counts.rejected == 1)
        #expect(!run.output.contains("\u{FFFD}"))
        let issue = Self.issue(run.rejects.first ?? .null)
        #expect(issue?.at == "in.ndjson:2:46")
        #expect(issue?.message.contains("not UTF-8 text") == true && issue?.message.contains("byte 49") == true, "\(String(describing: issue))")
    }

    @Test func bothRoadsOfTheWriteDirectionRefuseTheSameHostileLines() throws {
        let canonical = #"{"application_id":"WB2026000007","applicant_name":"陈静","id_number":"11010519491231002X","gender":"female","employer_code":"91110000600037341L","destinations":["AUS"],"depart_date":"2027-03-01","return_date":"2027-03-12","purpose":"学术交流","approval":"approved","updated_at":"2026-11-24T01:30:05Z"}"#
        let hostile: [([UInt8], String)] = [
            (Array(canonical.replacingOccurrences(of: #""approval":"approved""#, with: #""approval":"rejected","approval":"approved""#).utf8), "duplicate name \"approval\""),
            (Array(canonical.replacingOccurrences(of: #""purpose":"学术交流""#, with: #""purpose":"x","purpose":"y""#).utf8), "duplicate name \"purpose\""),
            (Array(canonical.replacingOccurrences(of: "陈静", with: "陈").utf8), ""),
            (Array(canonical.utf8.prefix(40)) + [0xC0, 0xAF] + Array(canonical.utf8.dropFirst(40)), "not UTF-8 text"),
            (Array(canonical.replacingOccurrences(of: "学术交流", with: #"\ud83d\u0041"#).utf8), "low surrogate"),
            (Array(String(repeating: "[", count: 30_000).utf8), "nested deeper than 512"),
            (Array(canonical.replacingOccurrences(of: "学术交流", with: "a\tb").utf8), "control character U+0009"),
        ]
        var input: [UInt8] = []
        for (line, _) in hostile { input += line + [0x0A] }
        let fast = try Self.apply(input, mapping: "approval.yaml", direction: .write, compile: true)
        let slow = try Self.apply(input, mapping: "approval.yaml", direction: .write, compile: false)
        #expect(fast.output == slow.output && fast.rejects == slow.rejects)
        #expect(fast.counts.mapped == 1 && fast.counts.rejected == hostile.count - 1)
        let messages = fast.rejects.compactMap { Self.issue($0)?.message }
        for (_, expected) in hostile where !expected.isEmpty {
            #expect(messages.contains { $0.contains(expected) }, "\(expected) in \(messages)")
        }
    }

    @Test func aByteOrderMarkStartsTheFileButIsNotData() throws {
        let bom: [UInt8] = [0xEF, 0xBB, 0xBF]
        let run = try Self.apply(bom + Array(Self.portalRow.utf8) + [0x0D, 0x0A] + bom + Array(Self.portalRow.utf8), mapping: "portal.yaml", direction: .read)
        #expect(run.counts.mapped == 1 && run.counts.rejected == 1)
        #expect(Self.issue(run.rejects.first ?? .null)?.at == "in.ndjson:2:1")
        #expect(Self.issue(run.rejects.first ?? .null)?.message.contains("byte order mark") == true)
    }

    @Test func blankLinesAreSkippedAsTheFolderSourceSkipsThem() throws {
        let input = Array(("\n  \t\r\n" + Self.portalRow + "\n\r\n \n").utf8)
        let run = try Self.apply(input, mapping: "portal.yaml", direction: .read)
        #expect(run.counts.lines == 1 && run.counts.mapped == 1 && run.counts.rejected == 0)
    }
}
