import Foundation
import Testing
import FerryCore
@testable import FerryMapping

/// Every rule of the mapping language, each with an input it handles and one it stops, on
/// small files written to a scratch `Mappings/` folder.
@Suite struct MappingLanguageTests {
    let root: URL

    static let entity = """
        entity: Person
        key: [id]
        version: updated_at
        fields:
          id:         { type: string, required: true }
          name:       { type: string, personal: true }
          id_number:  { type: string, validate: cn_resident_id, personal: true }
          passport:   { type: string, validate: cn_passport }
          doc_no:     { type: string, validate: passport }
          mobile:     { type: string, validate: cn_mobile }
          sex:        { type: code, table: sex }
          region:     { type: code, table: region }
          kind:       { type: string, enum: [staff, guest] }
          born:       { type: date, range: ["1900-01-01", "2026-12-31"] }
          score:      { type: decimal, range: ["0", "100"] }
          seq:        { type: int }
          note:       { type: string }
          visits:     { type: list, each: { type: code, table: region } }
          birth:      { type: date, personal: true }
          amount:     { type: decimal }
          updated_at: { type: timestamp }
        """

    init() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("ferry-mapping-\(UUID().uuidString)")
        for folder in ["entities", "codes", "systems"] {
            try FileManager.default.createDirectory(at: root.appendingPathComponent(folder), withIntermediateDirectories: true)
        }
        try Self.entity.write(to: root.appendingPathComponent("entities/person.yaml"), atomically: true, encoding: .utf8)
        try "# unmapped: fixed unspecified\ncanonical,hr\nmale,M\nfemale,F\nunspecified,X\n"
            .write(to: root.appendingPathComponent("codes/sex.csv"), atomically: true, encoding: .utf8)
        try "# unmapped: passthrough\ncanonical,hr\nFJ,闽\nBJ,京\n".write(to: root.appendingPathComponent("codes/region.csv"), atomically: true, encoding: .utf8)
    }

    /// A mapping with `fields` (YAML lines under fields:) and extra top-level lines.
    func mapping(_ fields: String, top: String = "") throws -> Mapping {
        let text = """
            system: hr
            entity: Person
            unmapped_fields: drop
            \(top)
            fields:
              id: { column: ID }
              updated_at: { column: TS, format: "yyyyMMddHHmmss" }
            \(fields)
            """
        let file = root.appendingPathComponent("systems/hr-\(UUID().uuidString.prefix(8)).yaml")
        try text.write(to: file, atomically: true, encoding: .utf8)
        return try MappingLibrary.containing(file).mapping(file)
    }

    func read(_ mapping: Mapping, _ row: [String: Value]) -> MappedRow {
        mapping.read(["ID": "P1", "TS": "20261124093000"].merging(row) { _, new in new })
    }

    func field(_ result: MappedRow, _ name: String) -> Value? {
        if case .record(let record) = result { return record.fields[name] ?? .null }
        return nil
    }

    func rules(_ result: MappedRow) -> [String] {
        if case .rejected(_, let issues) = result { return issues.map(\.rule) }
        return []
    }

    // MARK: transforms

    @Test func eachTransformNormalisesItsInput() throws {
        let m = try mapping("""
              note: { column: N, transform: [trim, { replace: { from: "-", to: "" } }, upper, { pad: { width: 8, with: "0" } }] }
              name: { column: NAME, transform: [nfc, halfwidth, lower] }
              seq:  { column: SEQ, transform: [{ extract: "No\\\\.(\\\\d+)" }] }
            """, top: "directions: [read]")
        let result = read(m, ["N": " ab-12 ", "NAME": "Ｃｈｅｎ e\u{301}", "SEQ": "Order No.42 of 50"])
        #expect(field(result, "note") == "0000AB12")
        #expect(field(result, "name") == "chen é")
        #expect(field(result, "seq") == 42)
        #expect(Transform.fullwidth.apply("AB 1") == "ＡＢ\u{3000}１")
        // An extract that finds nothing leaves the field empty; a whole number it is not.
        #expect(field(read(m, ["SEQ": "no number here"]), "seq") == .null)
        #expect(rules(read(m, ["SEQ": "No.4x2"])).isEmpty, "extract takes the digits it finds")
    }

    /// Each transform with an input it changes and one it must leave exactly as it is.
    @Test func everyTransformChangesWhatItShouldAndNothingElse() throws {
        let extract = try NSRegularExpression(pattern: "(\\d{6})")
        let cases: [(Transform, changed: (String, String), untouched: String)] = [
            (.trim, (" \u{3000}王伟\t", "王伟"), "王 伟"),
            (.upper, ("ab12", "AB12"), "12-中文"),
            (.lower, ("AB12", "ab12"), "12-中文"),
            (.halfwidth, ("ＡＢ１２\u{3000}", "AB12 "), "AB12 中文"),
            (.fullwidth, ("AB1 ", "ＡＢ１\u{3000}"), "中文"),
            (.nfc, ("e\u{301}", "é"), "é中文"),
            (.replace(from: "-", to: ""), ("350-203", "350203"), "350203"),
            (.extract(pattern: "(\\d{6})", regex: NSRegularExpressionBox(extract)), ("ID 350203 ok", "350203"), "350203"),
            (.pad(width: 6, with: "0", left: true), ("42", "000042"), "1234567"),
            (.pad(width: 4, with: "*", left: false), ("ab", "ab**"), "abcd"),
        ]
        for (transform, changed, untouched) in cases {
            #expect(transform.apply(changed.0) == changed.1, "\(transform.summary)")
            #expect(transform.apply(untouched) == untouched, "\(transform.summary) changed '\(untouched)'")
        }
        #expect(Transform.extract(pattern: "x", regex: NSRegularExpressionBox(try NSRegularExpression(pattern: "(\\d{6})"))).apply("no digits") == "")
    }

    @Test func concatJoinsColumnsAndSplitsThemBack() throws {
        let m = try mapping("  name: { columns: [SURNAME, GIVEN], separator: \" \" }")
        let result = read(m, ["SURNAME": "Chen", "GIVEN": "Jing Yi"])
        #expect(field(result, "name") == "Chen Jing Yi")
        guard case .record(let record) = result else { return }
        let row = try m.write(record)
        #expect(row["SURNAME"] == "Chen" && row["GIVEN"] == "Jing Yi")
    }

    @Test func pathsReachIntoNestedObjectsAndArraysBothWays() throws {
        let m = try mapping("""
              name:   { path: person.name.full }
              mobile: { path: "person.phones[0]" }
              visits: { path: "trips[].region", each: { translate: region.hr } }
            """)
        let row: [String: Value] = [
            "person": .object(["name": .object(["full": "陈静"]), "phones": ["13912345678", "13800000000"]]),
            "trips": [.object(["region": "闽", "days": 3]), .object(["region": "京", "days": 2])],
        ]
        let result = read(m, row)
        #expect(field(result, "name") == "陈静")
        #expect(field(result, "mobile") == "13912345678")
        #expect(field(result, "visits") == ["FJ", "BJ"])
        #expect(field(read(m, ["person": .object([:])]), "name") == .null, "a missing branch is an empty value")
        guard case .record(let record) = result else { return }
        let back = try m.write(record)
        #expect(back["person"] == .object(["name": .object(["full": "陈静"]), "phones": ["13912345678"]]))
        #expect(back["trips"] == [.object(["region": "闽"]), .object(["region": "京"])])
        #expect(ValuePath("a[].b[]") == nil && ValuePath("a..b") == nil && ValuePath("a[x]") == nil)
    }

    @Test func localTimesBecomeUTCAndGoBack() throws {
        let m = try mapping("", top: "timezone: \"+08:00\"")
        guard case .record(let record) = read(m, ["TS": "20261124053000"]) else {
            Issue.record("rejected")
            return
        }
        #expect(record.version == "2026-11-23T21:30:00Z", "05:30 Beijing time is 21:30 UTC the day before")
        #expect(try m.write(record)["TS"] == "20261124053000")
        #expect(DatePattern.offset("-05:30") == -19800 && DatePattern.offset("+8") == nil)
        #expect(throws: FerryError.self) { try mapping("  born: { column: B, format: yyyyMMdd, zone: \"+08:00\" }") }
    }

    @Test func whenAndDefaultPickTheValue() throws {
        let m = try mapping("  note: { column: REMARK, when: \"STATUS == '03'\", default: none }")
        #expect(field(read(m, ["STATUS": "03", "REMARK": "approved"]), "note") == "approved")
        #expect(field(read(m, ["STATUS": "01", "REMARK": "draft"]), "note") == "none")
        #expect(field(read(m, ["STATUS": "03"]), "note") == "none")
    }

    @Test func lossyRulesMakeAMappingReadOnly() throws {
        do {
            _ = try mapping("  note: { column: N, transform: [{ replace: { from: \"-\", to: \"\" } }] }")
            Issue.record("a lossy rule was accepted in a mapping that writes")
        } catch let error as FerryError {
            #expect(error.message.contains("transform replace") && error.hint?.contains("directions: [read]") == true)
            #expect(error.location?.description.hasSuffix(":8:3") == true, "\(error.location?.description ?? "no location")")
        }
        let m = try mapping("  note: { column: N, transform: [{ replace: { from: \"-\", to: \"\" } }] }", top: "directions: [read]")
        guard case .record(let record) = read(m, ["N": "a-b"]) else { return }
        #expect(throws: MappingIssue.self) { try m.write(record) }
    }

    // MARK: code tables

    @Test func codeTablePoliciesDecideUnknownCodes() throws {
        let m = try mapping("""
              sex:    { column: SEX, translate: sex.hr }
              region: { column: REGION, translate: region.hr }
            """)
        let known = read(m, ["SEX": "F", "REGION": "闽"])
        #expect(field(known, "sex") == "female" && field(known, "region") == "FJ")
        let unknown = read(m, ["SEX": "Q", "REGION": "粤"])
        #expect(field(unknown, "sex") == "unspecified", "fixed: an unknown sex reads as not stated")
        #expect(field(unknown, "region") == "粤", "passthrough keeps the code")
        guard case .record(var record) = unknown else { return }
        record.fields["sex"] = "other"
        let row = try m.write(record)
        #expect(row["SEX"] == "X" && row["REGION"] == "粤")
        // fail (the default) quarantines the record.
        try "canonical,hr\nmale,M\n".write(to: root.appendingPathComponent("codes/strict.csv"), atomically: true, encoding: .utf8)
        #expect(try CodeTable(name: "strict", csv: "canonical,hr\nmale,M\n", file: "strict.csv").unmapped == .fail)
        #expect(throws: FerryError.self) { try CodeTable(name: "bad", csv: "# unmapped: fixed nobody\ncanonical,hr\nmale,M\n", file: "bad.csv") }
        #expect(throws: FerryError.self) { try CodeTable(name: "bad", csv: "# unmapped: sometimes\ncanonical,hr\nmale,M\n", file: "bad.csv") }
    }

    // MARK: validators

    @Test func validatorsAcceptTheRealAndStopTheRest() throws {
        let m = try mapping("""
              id_number: { column: SFZH }
              passport:  { column: HZ }
              doc_no:    { column: DOC }
              mobile:    { column: SJ }
              kind:      { column: KIND }
              born:      { column: CSRQ, format: "yyyyMMdd" }
              score:     { column: FS }
            """)
        let good = read(m, ["SFZH": "350203198001010013", "HZ": "EA1234567", "DOC": "X1234567", "SJ": "+8613912345678",
            "KIND": "staff", "CSRQ": "19800101", "FS": "99.5"])
        #expect(rules(good).isEmpty, "\(rules(good))")
        for passport in ["E12345678", "G12345678", "DE1234567", "SE1234567", "PE1234567"] {
            #expect(Validators.isChinesePassport(passport), "\(passport)")
        }
        let bad = read(m, ["SFZH": "990203198001010016", "HZ": "EI1234567", "DOC": "ab-12", "SJ": "12912345678",
            "KIND": "boss", "CSRQ": "18991231", "FS": "100.01"])
        #expect(Set(rules(bad)) == ["cn_resident_id", "cn_passport", "passport", "cn_mobile", "enum", "range"])
        #expect(rules(bad).filter { $0 == "range" }.count == 2, "born and score are both out of range")
        #expect(Validators.isResidentID("350000198001010014") == false, "a province's own code is no one's area code")
    }

    @Test func issuesNameWhereTheRuleIsAndNeverShowPersonalValues() throws {
        let m = try mapping("""
              birth:     { column: CSRQ, format: yyyyMMdd }
              id_number: { column: SFZH }
              amount:    { column: JE }
            """)
        guard case .rejected(_, let issues) = read(m, ["CSRQ": "19901345", "SFZH": "350203198001010010", "JE": "1,5"]) else {
            Issue.record("accepted")
            return
        }
        let text = issues.map(\.description).joined(separator: "\n")
        #expect(!text.contains("19901345") && !text.contains("350203198001010010"), "\(text)")
        #expect(text.contains("'1,5' is not a decimal number"), "amounts are not personal: shown as they are")
        let format = try #require(issues.first { $0.rule == "format" })
        #expect(format.location?.line == 8 && format.location?.file.contains("systems/hr-") == true, "at the mapping's field line")
        let validator = try #require(issues.first { $0.rule == "cn_resident_id" })
        #expect(validator.location?.file.hasSuffix("entities/person.yaml") == true, "at the entity's field line")
        #expect(field(read(m, ["JE": "+007.50"]), "amount") == .decimal("7.5"))
    }

    // MARK: broken files

    /// Ten kinds of mistake, each reported at the line and column where it was made.
    @Test func brokenMappingFilesAreReportedWhereTheMistakeIs() throws {
        let cases: [(fields: String, top: String, location: String, words: String)] = [
            ("  nickname: { column: NICK }", "", ":8:3", "not in entity Person"),
            ("  note: { column: N, transform: [shout] }", "", ":8:34", "unknown transform 'shout'"),
            ("  sex: { column: SEX, translate: sex.payroll }", "", ":8:34", "has no column 'payroll'"),
            ("  sex: { column: SEX, translate: gender.hr }", "", ":8:34", "unknown code table 'gender'"),
            ("  note: { column: N, format: yyyy }", "", ":8:30", "applies to date and timestamp"),
            ("  note: { column: N, colour: red }", "", ":8:22", "unknown key 'colour'"),
            ("  born: { column: B, format: yyyyQQ }", "", ":8:30", "'QQ' at character 5 is not a pattern letter"),
            ("  note: { column: N, when: \"STATUS is 3\" }", "", ":8:28", "must read COLUMN == 'value'"),
            ("  note: { column: N, transform: [{ pad: { width: 0 } }] }", "directions: [read]", ":8:50", "pad width"),
            ("", "directions: [sideways]", ":4:14", "a direction is read or write"),
            ("  note: { columns: [A] }", "", ":8:20", "columns joins two or more"),
        ]
        for item in cases {
            do {
                _ = try mapping(item.fields, top: item.top)
                Issue.record("accepted: \(item.fields) \(item.top)")
            } catch let error as FerryError {
                let location = error.location?.description ?? "none"
                #expect(location.hasSuffix(item.location), "\(item.words): reported at \(location)")
                #expect(error.message.contains(item.words), "\(error.message)")
            }
        }
    }
}
