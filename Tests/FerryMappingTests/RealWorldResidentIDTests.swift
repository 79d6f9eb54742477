import Foundation
import Testing
import FerryCore
import FerrySeal
@testable import FerryMapping

/// Resident ID numbers issued before 1999 have 15 digits (GB 11643-1989: no century, no
/// check character). They are upgraded to the 18 digits of GB 11643-1999 by an explicit
/// transform; without it they are refused with a reason that names the transform.
@Suite struct RealWorldResidentIDTests {
    static let entity = """
        entity: Person
        key: [id]
        version: v
        fields:
          id:        { type: string, required: true }
          v:         { type: int }
          id_number: { type: string, validate: cn_resident_id, personal: true }
        """

    let scratch: MappingScratch

    init() throws { scratch = try MappingScratch(entity: Self.entity) }

    func mapping(upgrading: Bool) throws -> Mapping {
        try scratch.mapping("""
            system: hr
            entity: Person
            fields:
              id: { column: ID }
              v: { column: V }
              id_number: { column: SFZH\(upgrading ? ", transform: [trim, id15to18]" : "") }
            """)
    }

    @Test func fifteenDigitsBecomeEighteenWithTheCheckCharacter() {
        // 350203 (厦门思明) 800101 (1980-01-01) 001; "19" + the MOD 11-2 check character 3.
        #expect(Validators.residentID18(from15: "350203800101001") == "350203198001010013")
        // The standard's own example, 11010519491231002X, in its 15-digit form: the check character is X.
        #expect(Validators.residentID18(from15: "110105491231002") == "11010519491231002X")
        #expect(Validators.residentID18(from15: "440301990101123") == "44030119990101123X")
        #expect(Validators.isResidentID("350203198001010013") && Validators.isResidentID("44030119990101123X"))
        #expect(Validators.residentID18(from15: "350203800230001") == nil, "30 February 1980 is no birth date")
        #expect(Validators.residentID18(from15: "35020380010100X") == nil)
        #expect(Validators.residentID18(from15: "350203198001010013") == nil, "18 digits are not upgraded again")
        #expect(Validators.residentID18(from15: "３５０２０３８００１０１００１") == nil, "full-width digits: halfwidth first")
        #expect(Validators.residentIDCheck("3502031980010100") == "?", "a wrong length has no check character, and no trap")
    }

    @Test func theTransformUpgradesAndTheRecordPasses() throws {
        let m = try mapping(upgrading: true)
        let result = m.read(["ID": "P1", "V": "1", "SFZH": " 350203800101001 "])
        #expect(result.field("id_number") == "350203198001010013")
        #expect(m.read(["ID": "P1", "V": "1", "SFZH": "350203198001010013"]).field("id_number") == "350203198001010013")
        // Writing back writes the canonical 18 digits: the upgrade is a normaliser, not undone.
        #expect(try m.write(try #require(result.record))["SFZH"] == "350203198001010013")
        // A 15-digit number whose birth date is not real stays as it is and is refused, saying why.
        let bad = m.read(["ID": "P1", "V": "1", "SFZH": "350203800230001"])
        #expect(bad.issues.map(\.rule) == ["cn_resident_id"])
        #expect(bad.issues.first?.message.contains("birth date is not a real date") == true)
    }

    @Test func withoutTheTransformFifteenDigitsAreRefusedNamingIt() throws {
        let m = try mapping(upgrading: false)
        let result = m.read(["ID": "P1", "V": "1", "SFZH": "350203800101001"])
        let issue = try #require(result.issues.first)
        #expect(result.issues.count == 1 && issue.rule == "cn_resident_id" && issue.field == "id_number")
        #expect(issue.message.contains("15-digit") && issue.message.contains("transform: [id15to18]"), "\(issue.message)")
        #expect(!issue.message.contains("350203800101001"), "the number is personal: only masked")
        // Other faults of 18-digit numbers name theirs.
        let reasons: [(String, String)] = [
            ("350203198001010010", "wrong check character"), ("350203198002300019", "not a real date"),
            ("990203198001010013", "area code"), ("3502031980010100", "16 characters"),
        ]
        for (number, reason) in reasons {
            let message = m.read(["ID": "P1", "V": "1", "SFZH": .string(number)]).issues.first?.message ?? ""
            #expect(message.contains(reason), "\(reason): \(message)")
        }
    }

    /// The inline tests docs/mapping-language.md shows, as a user would run them.
    @Test func theDocumentedInlineTestPasses() throws {
        let m = try scratch.mapping("""
            system: hr
            entity: Person
            fields:
              id: { column: ID }
              v: { column: V }
              id_number: { column: SFZH, transform: [trim, id15to18] }
            tests:
              - name: a pre-1999 number is upgraded
                given: { ID: P1, V: "1", SFZH: "350203800101001" }
                expect: { id_number: "350203198001010013" }
              - name: a number with a wrong check character is stopped
                given: { ID: P1, V: "1", SFZH: "350203198001010010" }
                expect_error: { field: id_number, rule: cn_resident_id }
            """)
        let results = m.runTests(inlineDigester: RecordDigester(HMAC.keyed(RecordDigester.inlineTestKey, algorithm: .hmacSHA256)))
        #expect(results.count == 2 && results.allSatisfy(\.passed), "\(results.map(\.detail))")
    }
}
