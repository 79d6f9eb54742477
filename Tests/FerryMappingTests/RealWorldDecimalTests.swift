import Foundation
import Testing
import FerryCore
@testable import FerryMapping

/// Decimals keep every digit, never passing through Double; exponent forms (what SQLite
/// REAL and JSON numbers give) are spelt out exactly; everything else is refused clearly.
@Suite struct RealWorldDecimalTests {
    static let entity = """
        entity: Payment
        key: [id]
        version: v
        fields:
          id:     { type: string, required: true }
          v:      { type: int }
          amount: { type: decimal }
          rate:   { type: decimal, range: ["0", "0.1"] }
          paid:   { type: decimal }
          seq:    { type: int }
        validate:
          - { rule: "paid <= amount", message: paid more than owed }
        """

    let mapping: Mapping

    init() throws {
        mapping = try MappingScratch(entity: Self.entity).mapping("""
            system: s
            entity: Payment
            fields:
              id: { column: ID }
              v: { column: V }
              amount: { column: JE }
              rate: { column: LL }
              paid: { column: YF }
              seq: { column: XH }
            """)
    }

    func read(_ row: [String: Value]) -> MappedRow { mapping.read(["ID": "P1", "V": "1"].merging(row) { _, new in new }) }

    @Test func everyDigitIsKept() {
        let cases: [(Value, String)] = [
            ("12345678901234.5678", "12345678901234.5678"),
            ("1234567890123456789012345678901", "1234567890123456789012345678901"),
            ("-123456789012345678901234567890.1", "-123456789012345678901234567890.1"),
            (.decimal("0.1000000000000000055511151231257827"), "0.1000000000000000055511151231257827"),
            ("+007.50", "7.5"), (".5", "0.5"), ("5.", "5"), ("-0", "0"), ("-0.000", "0"), (9_007_199_254_740_993, "9007199254740993"),
        ]
        for (input, expected) in cases {
            #expect(read(["JE": input]).field("amount") == .decimal(expected), "\(input)")
        }
    }

    @Test func exponentsAreSpeltOutExactly() {
        let cases: [(String, String)] = [
            ("1e-05", "0.00001"), ("1E-5", "0.00001"), ("2.5e+3", "2500"), ("-1.5e2", "-150"), ("1.23e1", "12.3"),
            ("123.456e-2", "1.23456"), ("0.000123e3", "0.123"), ("1e0", "1"), ("1.7976931348623157e308", "17976931348623157" + String(repeating: "0", count: 292)),
            ("5e-324", "0." + String(repeating: "0", count: 323) + "5"), ("0e999999999999", "0"), ("-0e-5", "0"),
            ("12345678901234.5678e0", "12345678901234.5678"), ("1e007", "10000000"),
        ]
        for (input, expected) in cases {
            #expect(read(["JE": .decimal(input)]).field("amount") == .decimal(expected), "\(input)")
        }
    }

    @Test func whatIsNoDecimalIsRefusedSayingWhy() {
        let cases: [(String, String)] = [
            ("nan", "is not a decimal number"), ("inf", "is not a decimal number"), ("Infinity", "is not a decimal number"),
            ("1,000.50", "thousands separators"), ("12,5", "decimal commas"), (" 1.5", "add transform: [trim]"),
            ("0x1p3", "is not a decimal number"), ("1e", "exponent without digits"), ("e5", "is not a decimal number"),
            (".", "is not a decimal number"), ("-", "is not a decimal number"), ("１２", "is not a decimal number"),
            ("1e1000", "too large to write out"), ("1e9999999999999999999", "too large to write out"), ("1.5e-1000", "too large"),
            ("1e+-5", "exponent without digits"), ("--1", "is not a decimal number"),
        ]
        for (input, words) in cases {
            let issues = read(["JE": .string(input)]).issues
            #expect(issues.map(\.rule) == ["type"], "\(input)")
            #expect(issues.first?.message.contains(words) == true, "\(input): \(issues.first?.message ?? "accepted")")
        }
        #expect(read(["JE": "1e999"]).field("amount")?.text?.count == 1000, "1000 digits are the most an exponent may spell out")
        #expect(read(["JE": "-1.5e-998"]).field("amount")?.text?.count == 1002, "sign, 0, point, 997 zeros and 15")
    }

    @Test func rangesAndRulesCompareExactly() {
        // As Doubles, 0.10000000000000000001 equals 0.1 and would pass.
        #expect(read(["LL": "0.10000000000000000001"]).issues.map(\.rule) == ["range"])
        #expect(read(["LL": "0.1"]).issues.isEmpty)
        #expect(read(["LL": "1e-1"]).field("rate") == .decimal("0.1"))
        #expect(read(["LL": "-0.00000000000000000001"]).issues.map(\.rule) == ["range"])
        #expect(read(["JE": "100.00000000000000000001", "YF": "100.00000000000000000002"]).issues.map(\.rule) == ["paid <= amount"])
        #expect(read(["JE": "99999999999999999999", "YF": "99999999999999999998"]).issues.isEmpty)
        #expect(DecimalText.compare("-2", "-10") == 1 && DecimalText.compare("10", "9.999") == 1 && DecimalText.compare("0.50", ".5") == 0)
        #expect(DecimalText.compare("2026-01-02", "2026-01-03") == nil && DecimalText.compare("1e2", "99") == 1)
    }

    @Test func compareTakesAsNumbersExactlyWhatPlainReads() {
        // Entity rules try both sides as decimals first (a refusal spells no message unless
        // asked); compare() and plain() must agree on every spelling, or a rule would compare
        // numbers as text.
        // Seeded random strings over the characters that matter (at most 5, so no exponent
        // is too large to spell out), plus the cases people write.
        let alphabet = Array("0123456789+-.eE ,x")
        var generator = SplitMix64(seed: 5)
        var texts = ["", "+", "-", ".", "e5", "1e", "1e+", ".5", "5.", "-.5e-3", "1.2.3", "--1", "2026-01-02", "1,000", " 1", "1 "]
        for _ in 0..<20_000 {
            texts.append(String((0..<Int.random(in: 1...5, using: &generator)).map { _ in alphabet.randomElement(using: &generator)! }))
        }
        for text in texts {
            #expect((DecimalText.compare(text, "0") != nil) == ((try? DecimalText.plain(text)) != nil), "'\(text)'")
        }
    }

    @Test func wholeNumbersBeyond64BitsSayWhatToDo() {
        let issue = read(["XH": "9223372036854775808"]).issues.first
        #expect(issue?.rule == "type" && issue?.message.contains("declare the field decimal") == true, "\(String(describing: issue))")
        #expect(read(["XH": "-9223372036854775808"]).field("seq") == .int(Int64.min))
    }

    @Test func aRangeBoundThatIsNoDecimalIsRefusedAtLoad() throws {
        let scratch = try MappingScratch(entity: Self.entity.replacingOccurrences(of: #"range: ["0", "0.1"]"#, with: #"range: ["0", "inf"]"#))
        let error = try #require(scratch.refusal("system: s\nentity: Payment\nfields:\n  id: { column: ID }\n  v: { column: V }\n"))
        #expect(error.message.contains("range bound 'inf' is not a decimal"), "\(error.message)")
    }
}
