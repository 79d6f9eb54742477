import Foundation
import Testing
import FerryCore
@testable import FerryMapping

/// One system column feeding two canonical fields (`SQBH` → `application_id` and `ref`):
/// reading fills both; writing puts one value in the column, refusing the record when the
/// fields disagree, unless the mapping says which field writes it (`write: false`).
@Suite struct RealWorldSharedColumnTests {
    static let entity = """
        entity: Application
        key: [application_id]
        version: v
        fields:
          application_id: { type: string, required: true }
          v:              { type: int }
          ref:            { type: string }
          year:           { type: string }
          surname:        { type: string }
          full_name:      { type: string }
        """

    let scratch: MappingScratch

    init() throws { scratch = try MappingScratch(entity: Self.entity) }

    func mapping(_ fields: String, top: String = "") throws -> Mapping {
        try scratch.mapping("""
            system: approval
            entity: Application
            \(top)
            fields:
              application_id: { column: SQBH }
              v: { column: V }
            \(fields)
            """)
    }

    @Test func aReadOnlyMappingFeedsBothFields() throws {
        let m = try mapping("""
              ref:  { column: SQBH }
              year: { column: SQBH, transform: [{ extract: "^WB(\\\\d{4})" }] }
            """, top: "directions: [read]")
        let result = m.read(["SQBH": "WB2026000007", "V": "1"])
        #expect(result.field("application_id") == "WB2026000007" && result.field("ref") == "WB2026000007" && result.field("year") == "2026")
    }

    @Test func writingPutsOneValueInTheColumnAndRefusesADisagreement() throws {
        let m = try mapping("  ref: { column: SQBH }")
        var record = try #require(m.read(["SQBH": "WB2026000007", "V": "1"]).record)
        #expect(try m.write(record)["SQBH"] == "WB2026000007")
        record.fields["ref"] = nil
        #expect(try m.write(record)["SQBH"] == "WB2026000007", "an empty field yields to the one with a value")
        record.fields["ref"] = "WB2026000008"
        do {
            _ = try m.write(record)
            Issue.record("one of two different values was written silently")
        } catch let issue as MappingIssue {
            #expect(issue.rule == "column" && issue.field == "ref")
            #expect(issue.message.contains("application_id and ref both write column SQBH") && issue.message.contains("write: false"), "\(issue)")
            #expect(!issue.message.contains("WB2026000008"), "values are not quoted: they may be personal")
        }
    }

    @Test func writeFalseSaysWhichFieldWrites() throws {
        let m = try mapping("  ref: { column: SQBH, write: false }")
        var record = try #require(m.read(["SQBH": "WB2026000007", "V": "1"]).record)
        #expect(record.fields["ref"] == "WB2026000007", "write: false still reads")
        #expect(m.explanation.first { $0.first == "ref" }?[4] == "no (write: false)", "ferry mapping explain shows it")
        record.fields["ref"] = "something else"
        #expect(try m.write(record) == ["SQBH": "WB2026000007", "V": 1])
        let both = try scratch.writeBothRoads(m, lines: [#"{"application_id":"WB1","v":1,"ref":"other"}"#])
        #expect(both.compiled == both.general && both.general == #"{"SQBH":"WB1","V":1}"# + "\n", "\(both.general)")
    }

    @Test func concatenationsAndColumnsShareToo() throws {
        let m = try mapping("""
              surname:   { column: XING }
              full_name: { columns: [XING, MING], separator: " " }
            """)
        let record = try #require(m.read(["SQBH": "WB1", "V": "1", "XING": "Chen", "MING": "Jing"]).record)
        #expect(record.fields["surname"] == "Chen" && record.fields["full_name"] == "Chen Jing")
        let row = try m.write(record)
        #expect(row["XING"] == "Chen" && row["MING"] == "Jing")
        var changed = record
        changed.fields["surname"] = "Wang"
        #expect(throws: MappingIssue.self) { try m.write(changed) }
        // The compiled writer leaves a shared column to the general road, which settles it.
        let both = try scratch.writeBothRoads(m, lines: [#"{"application_id":"WB1","v":1,"surname":"Chen","full_name":"Chen Jing"}"#])
        #expect(both.compiled == both.general && both.general.contains(#""XING":"Chen""#))
    }
}
