import Foundation
import Testing
import FerryCore
import FerrySeal
@testable import FerryMapping

/// Uses the real mappings and code tables under Mappings/.
@Suite struct MappingTests {
    static let mappings = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Mappings")
    let codes = CodeTables(directory: mappings.appendingPathComponent("codes"))

    func load(_ entity: String, _ mapping: String) throws -> Mapping {
        let schema = try EntitySchema.load(Self.mappings.appendingPathComponent("entities/\(entity).yaml"), codes: codes)
        return try Mapping.load(Self.mappings.appendingPathComponent("foreign-affairs/\(mapping).yaml"), entity: schema, codes: codes)
    }

    static let approvalRow: [String: Value] = [
        "SQBH": "WB2026000007", "XM": " 陈静 ", "SFZH": "11010519491231002x", "XB": "2", "DWTYDM": "91110000600037341L",
        "QWGJ": "036,840,392", "CJRQ": "20270301", "HGRQ": "20270312", "CFSY": "学术交流", "SPZT": "03", "SPSJ": .null,
        "GXSJ": "20261124093005",
    ]

    @Test func readsADialectRowIntoCanonicalForm() throws {
        let mapping = try load("travel-application", "approval")
        guard case .record(let record) = mapping.read(Self.approvalRow) else {
            Issue.record("row was rejected")
            return
        }
        #expect(record.key == ["WB2026000007"])
        #expect(record.version == "2026-11-24T01:30:05Z", "09:30:05 Beijing time")
        #expect(record.fields["applicant_name"] == "陈静")
        #expect(record.fields["id_number"] == "11010519491231002X")
        #expect(record.fields["gender"] == "female")
        #expect(record.fields["destinations"] == ["AUS", "USA", "JPN"])
        #expect(record.fields["depart_date"] == "2027-03-01")
        #expect(record.fields["approval"] == "approved")
    }

    @Test func writesCanonicalRecordsInEachDialect() throws {
        guard case .record(let record) = try load("travel-application", "approval").read(Self.approvalRow) else {
            Issue.record("row was rejected")
            return
        }
        let issuance = try load("travel-application", "issuance").write(record)
        #expect(issuance["countries"] == "AUS|USA|JPN")
        #expect(issuance["travel_from"] == "2027/03/01")
        #expect(issuance["gender"] == "2")
        #expect(issuance["approval"] == "A")
        #expect(issuance["modified"] == "2026-11-24 09:30:05")
        let portal = try load("travel-application", "portal").write(record)
        #expect(portal["destinations"] == "AU;US;JP")
        #expect(portal["sex"] == "F")
        // and back: the portal row reads into the same canonical record, bar the field it does not carry
        guard case .record(let again) = try load("travel-application", "portal").read(portal) else {
            Issue.record("written row does not read back")
            return
        }
        var expected = record.fields
        expected["approval"] = nil
        #expect(again.fields == expected)
    }

    @Test func badRowsAreStoppedWithTheirRulesAndNoPlainPersonalData() throws {
        var row = Self.approvalRow
        row["SFZH"] = "110105194912310021"
        row["QWGJ"] = "036,999"
        row["HGRQ"] = "20270201"
        row["EXTRA"] = "x"
        guard case .rejected(let key, let issues) = try load("travel-application", "approval").read(row) else {
            Issue.record("bad row was accepted")
            return
        }
        #expect(key == "WB2026000007")
        let rules = Set(issues.map(\.rule))
        #expect(rules.isSuperset(of: ["cn_resident_id", "translate", "return_date >= depart_date", "unmapped_fields"]))
        #expect(!issues.map(\.description).joined().contains("110105194912310021"))
    }

    @Test func everyInlineTestOfTheShippedMappingsPasses() throws {
        for (entity, mapping) in [("travel-application", "portal"), ("travel-application", "approval")] {
            let results = try load(entity, mapping).runTests(inlineDigester: RecordDigester(HMAC.keyed(RecordDigester.inlineTestKey, algorithm: .hmacSHA256)))
            #expect(!results.isEmpty)
            for result in results { #expect(result.passed, "\(mapping): \(result.test): \(result.detail)") }
        }
    }

    @Test func aFailingInlineTestIsReportedWithItsLine() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ferry-mapping-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let text = """
            mapping: m
            system: s
            entity: PassportStatus
            fields:
              application_id: { column: A }
              status: { column: B, translate: issuance-status.portal }
              updated_at: { column: C, format: yyyyMMddHHmmss }
            tests:
              - name: wrong expectation
                given: { A: WB2026000001, B: ISSUED, C: "20260101000000" }
                expect: { status: collected }
            """
        let file = directory.appendingPathComponent("m.yaml")
        try Data(text.utf8).write(to: file)
        let schema = try EntitySchema.load(Self.mappings.appendingPathComponent("entities/passport-status.yaml"), codes: codes)
        let results = try Mapping.load(file, entity: schema, codes: codes).runTests(inlineDigester: RecordDigester(HMAC.keyed(RecordDigester.inlineTestKey, algorithm: .hmacSHA256)))
        #expect(results.count == 1)
        #expect(results[0].passed == false)
        #expect(results[0].detail.contains("expected \"collected\", got \"issued\""))
        #expect(results[0].location.line == 9)
    }

    /// Systems that run one vendor's software share a dialect: one file names them all.
    @Test func oneDialectNamesEverySystemThatSpeaksIt() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ferry-mapping-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let schema = try EntitySchema.load(Self.mappings.appendingPathComponent("entities/passport-status.yaml"), codes: codes)
        func systems(_ line: String) throws -> [String] {
            let file = directory.appendingPathComponent("\(UUID().uuidString).yaml")
            try Data("""
                \(line)
                entity: PassportStatus
                fields:
                  application_id: { column: A }
                  status: { column: B, translate: issuance-status.portal }
                  updated_at: { column: C, format: yyyyMMddHHmmss }
                """.utf8).write(to: file)
            return try Mapping.load(file, entity: schema, codes: codes).systems
        }
        #expect(try systems("system: siming") == ["siming"])
        #expect(try systems("system: [siming, huli, jimei]") == ["siming", "huli", "jimei"])
        #expect(throws: FerryError.self, "a dialect of no system") { try systems("system: []") }
    }

    @Test func mappingMistakesAreLocated() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ferry-mapping-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let schema = try EntitySchema.load(Self.mappings.appendingPathComponent("entities/passport-status.yaml"), codes: codes)
        let cases: [(String, String, Int)] = [
            ("  status: { column: B, translate: issuance-status.nope }", "has no column 'nope'", 6),
            ("  status: { column: B, transform: [shout] }", "unknown transform 'shout'", 6),
            ("  statu: { column: B }", "not in entity PassportStatus", 6),
            ("  status: { column: B, format: yyyy }", "'format' applies to date", 6),
        ]
        for (line, message, expectedLine) in cases {
            let text = """
                mapping: m
                system: s
                entity: PassportStatus
                fields:
                  application_id: { column: A }
                \(line)
                  updated_at: { column: C }
                """
            let file = directory.appendingPathComponent("case.yaml")
            try Data(text.utf8).write(to: file)
            do {
                _ = try Mapping.load(file, entity: schema, codes: codes)
                Issue.record("expected '\(message)'")
            } catch let error as FerryError {
                #expect(error.message.contains(message), "\(error)")
                guard case .file(let at)? = error.location else {
                    Issue.record("no location for \(message)")
                    continue
                }
                #expect(at.line == expectedLine)
            }
        }
    }

    @Test func countryTableIsCompleteISO3166() throws {
        let table = try codes.table("country", at: SourceLocation(file: "t", line: 1, column: 1))
        #expect(table.canonicalCodes.count == 249)
        #expect(table.forward("CHN", to: "numeric") == "156")
        #expect(table.backward("HK", from: "alpha2") == "HKG")
        #expect(table.forward("NAM", to: "alpha2") == "NA")  // Namibia's code is not a null
    }
}
