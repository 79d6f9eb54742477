import Foundation
import Testing
import FerryCore
import FerrySeal
@testable import FerryMapping

/// NUL and the other C0 controls inside text: refused when read, with the field and the
/// character's position, or removed only where the mapping says so.
@Suite struct RealWorldControlCharacterTests {
    static let entity = """
        entity: Note
        key: [id]
        version: v
        fields:
          id:     { type: string, required: true }
          v:      { type: int }
          topic:  { type: string }
          memo:   { type: string, personal: true }
          region: { type: code, table: region }
          tags:   { type: list, each: { type: string } }
        """

    let scratch: MappingScratch
    let mapping: Mapping

    init() throws {
        scratch = try MappingScratch(entity: Self.entity, codes: ["region": "# unmapped: passthrough\ncanonical,hr\nFJ,闽\n"])
        mapping = try scratch.mapping("""
            system: hr
            entity: Note
            fields:
              id: { column: ID }
              v: { column: V }
              topic: { column: T }
              memo: { column: M, transform: [strip_nul] }
              region: { column: R, translate: region.hr }
              tags: { column: G, transform: [strip_controls] }
            """)
    }

    func read(_ row: [String: Value]) -> MappedRow { mapping.read(["ID": "N1", "V": "1"].merging(row) { _, new in new }) }

    @Test func nulIsRefusedWithTheFieldAndPosition() throws {
        let result = read(["T": "商务\u{0000}洽谈"])
        let issue = try #require(result.issues.first)
        #expect(result.issues.count == 1 && issue.field == "topic" && issue.rule == "no_nul")
        #expect(issue.message.contains("at character 3") && issue.message.contains("strip_nul"), "\(issue.message)")
        #expect(issue.location?.line == 6, "at the mapping's topic line")
        #expect(read(["R": "闽\u{0}"]).issues.map(\.rule) == ["no_nul"], "codes too, before the table is asked")
        #expect(read(["T": "\u{0}"]).issues.map(\.rule) == ["no_nul"])
    }

    @Test func stripNulRemovesOnlyNul() {
        #expect(read(["M": "商务\u{0000}洽谈"]).field("memo") == "商务洽谈")
        #expect(read(["M": "\u{0}\u{0}a\u{0}"]).field("memo") == "a")
        let other = read(["M": "a\u{1}\u{0}b"])
        #expect(other.issues.map(\.rule) == ["no_control"], "strip_nul leaves U+0001, which is refused in its own right")
        #expect(other.issues.first?.message.contains("U+0001 at character 2") == true, "\(other.issues)")
        #expect(other.issues.first?.message.contains("a\u{1}b") == false)
    }

    @Test func otherC0ControlsAreRefusedOrStrippedAndOrdinaryWhitespaceIsKept() {
        for scalar in [0x01, 0x08, 0x0B, 0x0C, 0x0E, 0x1B, 0x1F] {
            let text = "x" + String(Character(Unicode.Scalar(UInt8(scalar))))
            #expect(read(["T": .string(text)]).issues.map(\.rule) == ["no_control"], "U+\(String(scalar, radix: 16))")
        }
        #expect(read(["T": "line 1\r\nline 2\tend"]).field("topic") == "line 1\r\nline 2\tend", "TAB, CR and LF are text")
        #expect(read(["T": "a\u{7F}b\u{85}c"]).field("topic") == "a\u{7F}b\u{85}c", "DEL and C1 controls pass (XML 1.0 allows them)")
        #expect(read(["G": "a\u{1B}[0m,b\u{0}\t"]).field("tags") == ["a[0m", "b\t"], "strip_controls keeps TAB")
        #expect(Transform.stripControls.apply("\u{0}\u{1}\u{1F}ok\r\n") == "ok\r\n")
        #expect(Transform.stripNUL.apply("商务洽谈") == "商务洽谈")
    }

    /// The inline test docs/mapping-language.md shows: YAML's "\0" escape is a NUL.
    @Test func theDocumentedInlineTestPasses() throws {
        let m = try scratch.mapping(#"""
            system: hr
            entity: Note
            fields:
              id: { column: ID }
              v: { column: V }
              topic: { column: BZ }
            tests:
              - name: NUL inside text is refused
                given: { ID: N1, V: "1", BZ: "商务\0洽谈" }
                expect_error: { field: topic, rule: no_nul }
            """#)
        let results = m.runTests(inlineDigester: RecordDigester(HMAC.keyed(RecordDigester.inlineTestKey, algorithm: .hmacSHA256)))
        #expect(results.count == 1 && results.allSatisfy(\.passed), "\(results.map(\.detail))")
    }
}
