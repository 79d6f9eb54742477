import Foundation
import Testing
import FerryCore
import FerrySeal
@testable import FerryMapping

/// Dates and times as real systems write them: Chinese literals, unpadded numbers,
/// fractions of a second and offsets from UTC, read to the right canonical value and
/// written back as the system wrote them; patterns that cannot work are refused when the
/// mapping loads, at their line and column.
@Suite struct RealWorldDateTimeTests {
    static let entity = """
        entity: Event
        key: [id]
        version: updated_at
        fields:
          id:         { type: string, required: true }
          born:       { type: date }
          at:         { type: timestamp }
          deadline:   { type: timestamp, range: ["", "2026-02-01T01:30:00Z"] }
          updated_at: { type: timestamp }
        """

    let scratch: MappingScratch

    init() throws { scratch = try MappingScratch(entity: Self.entity) }

    /// A mapping whose version column TS is RFC 3339 text (no format), plus `fields`.
    func mapping(_ fields: String, top: String = "") throws -> Mapping {
        try scratch.mapping("""
            system: s
            entity: Event
            unmapped_fields: drop
            \(top)
            fields:
              id: { column: ID }
              updated_at: { column: TS }
            \(fields)
            """)
    }

    func read(_ mapping: Mapping, _ row: [String: Value]) -> MappedRow {
        mapping.read(["ID": "E1", "TS": "2026-02-01T01:30:00Z"].merging(row) { _, new in new })
    }

    // MARK: literals and unpadded numbers

    @Test func chineseLiteralsReadAndWriteBack() throws {
        let m = try mapping("""
              born: { column: B, format: "yyyy年MM月dd日" }
              at:   { column: A, format: "yyyy年M月d日 H时m分s秒" }
            """, top: "timezone: \"+08:00\"")
        let result = read(m, ["B": "2022年01月05日", "A": "2022年1月5日 9时5分7秒"])
        #expect(result.field("born") == "2022-01-05")
        #expect(result.field("at") == "2022-01-05T01:05:07Z", "09:05:07 Beijing time is 01:05:07 UTC")
        let row = try m.write(try #require(result.record))
        #expect(row["B"] == "2022年01月05日")
        #expect(row["A"] == "2022年1月5日 9时5分7秒")
        #expect(read(m, ["B": "2022年01月05"]).issues.map(\.rule) == ["format"], "a missing 日 is not a match")
        #expect(read(m, ["B": "2022年1月5日"]).issues.map(\.rule) == ["format"], "MM wants two digits")
    }

    @Test func unpaddedTokensReadOneOrTwoDigitsAndWriteNoPadding() throws {
        let m = try mapping("""
              born: { column: B, format: "yyyy/M/d" }
              at:   { column: A, format: "yyyy/M/d H:m:s" }
            """)
        #expect(read(m, ["B": "2022/1/5"]).field("born") == "2022-01-05")
        #expect(read(m, ["B": "2022/12/25"]).field("born") == "2022-12-25")
        #expect(read(m, ["B": "2022/01/05"]).field("born") == "2022-01-05", "a leading zero is still the number")
        #expect(read(m, ["A": "2022/1/5 0:0:9"]).field("at") == "2022-01-05T00:00:09Z")
        for bad in ["2022/1/", "2022/123/5", "2022/13/5", "2022/2/30", "2022/1/5/"] {
            #expect(read(m, ["B": .string(bad)]).issues.map(\.rule) == ["format"], "\(bad)")
        }
        let record = try #require(read(m, ["B": "2022/01/05", "A": "2022/10/5 13:04:00"]).record)
        let row = try m.write(record)
        #expect(row["B"] == "2022/1/5" && row["A"] == "2022/10/5 13:4:0")
    }

    @Test func quotedLettersAreLiteral() throws {
        let m = try mapping("""
              at:   { column: A, format: "yyyy-MM-dd'T'HH:mm:ss" }
              born: { column: B, format: "'day' d 'of' M, yyyy 'o''clock'" }
            """)
        #expect(read(m, ["A": "2026-02-01T09:30:00"]).field("at") == "2026-02-01T09:30:00Z")
        #expect(read(m, ["B": "day 5 of 1, 2022 o'clock"]).field("born") == "2022-01-05")
        let row = try m.write(try #require(read(m, ["A": "2026-02-01T09:30:00", "B": "day 5 of 1, 2022 o'clock"]).record))
        #expect(row["A"] == "2026-02-01T09:30:00" && row["B"] == "day 5 of 1, 2022 o'clock")
    }

    // MARK: patterns refused at load

    @Test func patternsThatCannotWorkAreRefusedWhereTheyAreWritten() throws {
        let cases: [(format: String, words: String, hint: String)] = [
            ("yyyy-MM-dd hh:mm", "'hh' at character 12", "HH"),
            ("yyyy-MM-ddTHH:mm:ss", "'T' at character 11 is not a pattern letter", "'T'"),
            ("yyyy-MM-dd EEE", "'EEE' at character 12 is not a pattern letter", "yyyy (year)"),
            ("yy-MM-dd", "'yy' at character 1 is not a year token", "yyyy"),
            ("yyyy-MMM-dd", "month name", "MM"),
            ("yyyyMd", "unpadded number", "separator"),
            ("yyyy-MM-dd 'at HH:mm", "never closed", "''"),
            ("yyyy-MM-dd yyyy", "the year twice", "once"),
            ("HH:mm:ss.SSSSSSSSSS", "more than 9 digits", "SSSSSSSSS"),
        ]
        for item in cases {
            let error = try #require(scratch.refusal("""
                system: s
                entity: Event
                fields:
                  id: { column: ID }
                  updated_at: { column: TS }
                  at: { column: A, format: "\(item.format)" }
                """), "\(item.format) was accepted")
            #expect(error.message.contains(item.words), "\(item.format): \(error.message)")
            #expect(error.hint?.contains(item.hint) == true, "\(item.format): \(error.hint ?? "no hint")")
            #expect(error.location?.description.hasSuffix(":6:28") == true, "\(error.location?.description ?? "no location")")
        }
        #expect(throws: PatternError.self) { try DatePattern(validating: "yyyyQQ") }
        #expect(throws: PatternError.self) { try DatePattern(validating: "") }
    }

    // MARK: fractions and offsets

    @Test func isoTextWithFractionsAndOffsetsReadsToUTC() throws {
        let m = try mapping("  at: { column: A }")
        let cases: [(String, String)] = [
            ("2026-02-01T01:30:00.123Z", "2026-02-01T01:30:00.123Z"),
            ("2026-02-01T09:30:00+08:00", "2026-02-01T01:30:00Z"),
            ("2026-02-01T01:30:00+00:00", "2026-02-01T01:30:00Z"),
            ("2026-02-01T09:30:00.5+08:00", "2026-02-01T01:30:00.5Z"),
            ("2026-02-01T01:30:00.120Z", "2026-02-01T01:30:00.12Z"),
            ("2026-02-01T01:30:00.000Z", "2026-02-01T01:30:00Z"),
            ("2026-02-01T01:30:00.123456789Z", "2026-02-01T01:30:00.123456789Z"),
            ("2026-02-01T02:00:00.25+08:00", "2026-01-31T18:00:00.25Z"),
            ("2026-01-31T20:00:00-05:30", "2026-02-01T01:30:00Z"),
            ("2024-03-01T07:59:59.999+08:00", "2024-02-29T23:59:59.999Z"),
        ]
        for (text, canonical) in cases {
            #expect(read(m, ["A": .string(text)]).field("at") == .string(canonical), "\(text)")
        }
        for bad in ["2026-02-01T01:30:00", "2026-02-01T01:30:00.Z", "2026-02-01T01:30:00.1234567890Z", "2026-02-01T01:30:00+15:00",
            "2026-02-01T01:30:00+0800", "2026-02-01 01:30:00Z", "0000-01-01T00:00:00+08:00"]
        {
            #expect(read(m, ["A": .string(bad)]).issues.map(\.rule) == ["format"], "\(bad)")
        }
        #expect(read(m, ["TS": "2026-02-01T01:30:00.5Z"]).record?.version == "2026-02-01T01:30:00.5Z", "the version keeps its fraction")
    }

    @Test func offsetAndFractionTokensReadAndWrite() throws {
        let m = try mapping("""
              at:       { column: A, format: "yyyy-MM-dd'T'HH:mm:ss.SSSXXX" }
              deadline: { column: D, format: "yyyyMMddHHmmssSSZ" }
            """, top: "timezone: \"+08:00\"")
        let result = read(m, ["A": "2026-02-01T09:30:00.123+08:00", "D": "2026020101295912+0000"])
        #expect(result.field("at") == "2026-02-01T01:30:00.123Z")
        #expect(result.field("deadline") == "2026-02-01T01:29:59.12Z", "the text's own offset wins over the mapping's timezone")
        #expect(read(m, ["A": "2026-02-01T01:30:00.123Z"]).field("at") == "2026-02-01T01:30:00.123Z")
        #expect(read(m, ["A": "2026-02-01T09:30:00.12+08:00"]).issues.map(\.rule) == ["format"], "SSS is exactly three digits")
        // Written in the mapping's zone, with that zone's offset.
        var record = try #require(result.record)
        record.fields["deadline"] = "2026-02-01T00:00:00Z"
        let row = try m.write(record)
        #expect(row["A"] == "2026-02-01T09:30:00.123+08:00" && row["D"] == "2026020108000000+0800")
        // Each offset style.
        let parts = DatePattern.Parts(year: 2026, month: 2, day: 1, hour: 9, minute: 30, second: 0)
        let styles: [(String, Int, String)] = [
            ("HH:mmXXX", 28800, "09:30+08:00"), ("HH:mmXX", 28800, "09:30+0800"), ("HH:mmX", 28800, "09:30+08"),
            ("HH:mmX", 19800, "09:30+0530"), ("HH:mmZ", 0, "09:30+0000"), ("HH:mmXXX", 0, "09:30Z"), ("HH:mmXXX", -18000, "09:30-05:00"),
        ]
        for (text, offset, expected) in styles {
            var local = parts
            local.offset = offset
            let pattern = try DatePattern(validating: text)
            #expect(pattern.format(local) == expected)
            #expect(pattern.parse(expected)?.offset == offset, "\(text) reads back \(expected)")
        }
        #expect(try DatePattern(validating: "HH:mmZ").parse("09:30Z") == nil, "Z (RFC 822) has no letter Z")
    }

    @Test func aFractionTheSystemCannotHoldIsRefusedUnlessTruncationIsDeclared() throws {
        let strict = try mapping("""
              at: { column: A, format: "yyyyMMddHHmmss" }
              deadline: { column: D, format: "HH:mm:ss.SSS yyyy-MM-dd" }
            """, top: "timezone: \"+08:00\"")
        var record = try #require(read(strict, [:]).record)
        record.fields["at"] = "2026-02-01T01:30:00.123456Z"
        do {
            _ = try strict.write(record)
            Issue.record("a fraction was dropped silently")
        } catch let issue as MappingIssue {
            #expect(issue.field == "at" && issue.rule == "format" && issue.message.contains("6 digit(s)"), "\(issue)")
        }
        record.fields["at"] = "2026-02-01T01:30:00Z"
        record.fields["deadline"] = "2026-02-01T01:30:00.5Z"
        #expect(try strict.write(record)["D"] == "09:30:00.500 2026-02-01", "SSS pads a shorter fraction")
        record.fields["deadline"] = "2026-02-01T01:30:00.1234Z"
        #expect(throws: MappingIssue.self) { try strict.write(record) }
        let lenient = try mapping("  at: { column: A, format: \"yyyyMMddHHmmss\", fraction: truncate }", top: "timezone: \"+08:00\"")
        record.fields["at"] = "2026-02-01T01:30:00.999Z"
        record.fields["deadline"] = nil
        #expect(try lenient.write(record)["A"] == "20260201093000", "declared: the fraction is cut, not rounded")
        #expect(scratch.refusal("""
            system: s
            entity: Event
            fields:
              id: { column: ID }
              updated_at: { column: TS, fraction: truncate }
            """)?.message.contains("fraction applies to timestamp fields with a format") == true)
    }

    // MARK: fractions downstream: order, ranges, digests

    @Test func fractionsKeepTheirOrderAndDigest() throws {
        // Versions: text order would put …00.5Z before …00Z.
        let versions = ["2026-02-01T01:29:59.999999999Z", "2026-02-01T01:30:00Z", "2026-02-01T01:30:00.05Z", "2026-02-01T01:30:00.5Z",
            "2026-02-01T01:30:00.51Z", "2026-02-01T01:30:01Z"]
        let sortable = versions.map(Record.sortableVersion)
        #expect(sortable == sortable.sorted(), "\(sortable)")
        #expect(Record.sortableVersion("2026-02-01T01:30:00Z") == "2026-02-01T01:30:00Z", "whole seconds stay as stored before")
        // Ranges compare instants.
        let m = try mapping("  deadline: { column: D }")
        #expect(read(m, ["D": "2026-02-01T01:30:00Z"]).issues.isEmpty)
        #expect(read(m, ["D": "2026-02-01T01:30:00.001Z"]).issues.map(\.rule) == ["range"])
        #expect(read(m, ["D": "2026-02-01T01:29:59.999Z"]).issues.isEmpty)
        // Digests: microseconds as canonical-encoding.md says; finer fractions are not rounded together.
        #expect(DatePattern.canonicalMicroseconds("2026-02-01T01:30:00.123Z") == 1_769_909_400_123_000)
        #expect(DatePattern.canonicalMicroseconds("2026-02-01T01:30:00Z") == 1_769_909_400_000_000)
        #expect(DatePattern.canonicalMicroseconds("2026-02-01T01:30:00.1234567Z") == nil)
        let schema = m.entity
        func digest(_ at: String) -> [UInt8] {
            CanonicalEncoding.encode(Record(entity: "Event", key: ["E1"], version: "v", fields: ["id": "E1", "at": .string(at)]), schema: schema)
        }
        #expect(digest("2026-02-01T01:30:00.1234567Z") != digest("2026-02-01T01:30:00.1234568Z"))
        #expect(digest("2026-02-01T01:30:00.123Z") != digest("2026-02-01T01:30:00Z"))
    }

    @Test func theCompiledWriterAgreesOnTheNewTokens() throws {
        let m = try mapping("""
              born: { column: B, format: "yyyy年M月d日" }
              at:   { column: A, format: "yyyy/M/d H:mm:ss.SSSXXX" }
            """, top: "timezone: \"+08:00\"")
        let lines = [
            #"{"id":"E1","updated_at":"2026-02-01T01:30:00Z","born":"2022-01-05","at":"2026-01-31T16:05:00Z"}"#,
            #"{"id":"E2","updated_at":"2026-02-01T01:30:00.5Z","born":"2022-12-25","at":"2026-01-31T16:05:00.25Z"}"#,
            #"{"id":"E3","updated_at":"2026-02-01T01:30:00Z","at":"2026-01-31T16:05:00.1234Z"}"#,
        ]
        let both = try scratch.writeBothRoads(m, lines: lines)
        #expect(both.compiled == both.general)
        #expect(both.general.contains(#""A":"2026/2/1 0:05:00.000+08:00""#) && both.general.contains(#""A":"2026/2/1 0:05:00.250+08:00""#),
            "\(both.general)")
        #expect(both.general.contains(#""B":"2022年1月5日""#))
        #expect(!both.general.contains("E3") && !both.general.contains("0:05:00.123"), "four digits do not fit SSS: refused, not cut")
    }

    /// The inline tests docs/mapping-language.md shows.
    @Test func theDocumentedInlineTestsPass() throws {
        let m = try scratch.mapping("""
            system: s
            entity: Event
            timezone: "+08:00"
            fields:
              id: { column: ID }
              updated_at: { column: TS }
              born: { column: CSRQ, format: "yyyy年M月d日" }
              at: { column: SPSJ, format: "yyyy-MM-dd'T'HH:mm:ss.SSSXXX" }
            tests:
              - name: a Chinese date with unpadded numbers
                given: { ID: E1, TS: "2026-02-01T01:30:00Z", CSRQ: "2022年1月5日" }
                expect: { born: "2022-01-05" }
              - name: an offset in the text
                given: { ID: E1, TS: "2026-02-01T01:30:00Z", SPSJ: "2026-02-01T09:30:00.123+08:00" }
                expect: { at: "2026-02-01T01:30:00.123Z" }
            """)
        let results = m.runTests(inlineDigester: RecordDigester(HMAC.keyed(RecordDigester.inlineTestKey, algorithm: .hmacSHA256)))
        #expect(results.count == 2 && results.allSatisfy(\.passed), "\(results.map(\.detail))")
    }

    @Test func shiftingByAnOffsetAgreesWithFoundationsCalendar() {
        // Local times become UTC by arithmetic on days (no text round trip). Foundation's
        // Gregorian calendar (Julian before 1582, so the years here start at 1600) is the
        // reference: seeded random instants, shifted by random offsets of up to ±18 hours.
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        var generator = SplitMix64(seed: 11)
        for _ in 0..<5_000 {
            let parts = DatePattern.Parts(year: Int.random(in: 1600...9998, using: &generator), month: Int.random(in: 1...12, using: &generator),
                day: Int.random(in: 1...28, using: &generator), hour: Int.random(in: 0...23, using: &generator),
                minute: Int.random(in: 0...59, using: &generator), second: Int.random(in: 0...59, using: &generator), fraction: "25")
            let offset = Int.random(in: -64_800...64_800, using: &generator)
            let start = calendar.date(from: DateComponents(year: parts.year, month: parts.month, day: parts.day, hour: parts.hour,
                minute: parts.minute, second: parts.second))!
            let want = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: start.addingTimeInterval(Double(offset)))
            let got = DatePattern.shift(parts, by: offset)
            #expect(got == DatePattern.Parts(year: want.year!, month: want.month!, day: want.day!, hour: want.hour!, minute: want.minute!,
                second: want.second!, fraction: "25"), "\(parts) by \(offset)")
        }
        // Leap days, a day 31 that rolls over as Timestamp.parse rolls it, and the years' ends.
        #expect(DatePattern.shift(.init(year: 2024, month: 2, day: 28, hour: 23), by: 3600) == .init(year: 2024, month: 2, day: 29))
        #expect(DatePattern.shift(.init(year: 2100, month: 2, day: 28, hour: 23), by: 3600) == .init(year: 2100, month: 3, day: 1))
        #expect(DatePattern.shift(.init(year: 2000, month: 3, day: 1, hour: 7), by: -28_800) == .init(year: 2000, month: 2, day: 29, hour: 23))
        #expect(DatePattern.shift(.init(year: 2026, month: 2, day: 31), by: 0) == .init(year: 2026, month: 3, day: 3))
        #expect(DatePattern.shift(.init(year: 0, month: 1, day: 1, hour: 7), by: -28_800) == nil)
        #expect(DatePattern.shift(.init(year: 9999, month: 12, day: 31, hour: 23), by: 3600) == nil)
        #expect(DatePattern.shift(.init(year: 2026, month: 13, day: 1), by: 0) == nil)
        #expect(DatePattern.shift(.init(year: 2026, month: 1, day: 1, hour: 24), by: 0) == nil)
    }
}
