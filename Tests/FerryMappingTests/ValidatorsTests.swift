import Foundation
import Testing
import FerryCore
@testable import FerryMapping

@Suite struct ValidatorsTests {
    @Test func residentIDCheckDigitsFollowGB11643() {
        #expect(Validators.isResidentID("350203198001010013"))
        #expect(Validators.isResidentID("11010519491231002X"))  // the standard's own example
        #expect(!Validators.isResidentID("350203198001010010"))  // wrong check digit
        #expect(!Validators.isResidentID("350203198002300019"))  // 30 February
        #expect(!Validators.isResidentID("35020319800101001"))  // too short
        #expect(!Validators.isResidentID("3502031980010100１3"))  // full-width digit
        #expect(Validators.residentIDCheck("11010519491231002") == "X")
    }

    @Test func creditCodesFollowGB32100() {
        #expect(Validators.isUSCC("91350200MA2YH12349"))
        #expect(Validators.isUSCC("91110000600037341L"))
        #expect(!Validators.isUSCC("91350200MA2YH12340"))
        #expect(!Validators.isUSCC("91350200MA2YI12349"))  // I is not in the alphabet
        #expect(Validators.usccCheck("91350200MA2YH1234") == "9")
    }

    @Test func datePatternsAreStrict() {
        let pattern = DatePattern("yyyyMMdd")
        #expect(pattern.parse("20240229") == DatePattern.Parts(year: 2024, month: 2, day: 29))
        #expect(pattern.parse("20230229") == nil)
        #expect(pattern.parse("2024022") == nil)
        #expect(pattern.parse("202402291") == nil)
        let stamp = DatePattern("yyyy-MM-dd HH:mm:ss")
        let parts = stamp.parse("2026-11-24 23:59:58")
        #expect(parts.map(DatePattern.isoTimestamp.format) == "2026-11-24T23:59:58Z")
        #expect(stamp.parse("2026-11-24 24:00:00") == nil)
    }

    @Test func halfwidthNormalisesFullWidthDigitsAndLetters() {
        #expect(Transform.halfwidth.apply("３５０２０３ＡＢｃ") == "350203ABc")
        #expect(Transform.trim.apply("\u{3000} 王伟 ") == "王伟")
        #expect(Transform.nfc.apply("e\u{301}") == "é")
    }

    @Test func trimAgreesWithFoundationWhateverTheEnds() {
        // `trim` skips Foundation when neither end scalar is one it removes (judged without
        // Foundation for ASCII). Each value below is built from an edge on each side and a middle, and
        // must come out as Foundation's trimming (plus U+3000) would leave it.
        let edges = ["", "a", "~", " ", "\t", "\n", "\r\n", "\u{0B}", "\u{85}", "\u{A0}", "\u{2028}", "\u{2029}", "\u{3000}",
                     "\u{1}", "\u{7F}", "\u{200B}", "\u{FEFF}", "é", "王", "e\u{301}", "\u{1F600}", " \u{301}", "\u{180E}"]
        let middles = ["", "x", "王 伟", " a b ", "\u{3000}"]
        var checked = 0
        for left in edges {
            for middle in middles {
                for right in edges {
                    let text = left + middle + right
                    let expected = text.trimmingCharacters(in: CharacterSet.whitespacesAndNewlines.union(["\u{3000}"]))
                    #expect(Transform.trim.apply(text) == expected, "trim of \(text.unicodeScalars.map { String($0.value, radix: 16) })")
                    checked += 1
                }
            }
        }
        #expect(checked == 23 * 5 * 23)
        #expect(Transform.trim.apply("\u{A0}WB0000000001\u{2028}") == "WB0000000001")
    }

    @Test func caseAndWidthTransformsAgreeWithTheFullConversion() {
        // upper, lower and halfwidth return text they would not change as it is; every
        // mix of these pieces must come out as the full conversion leaves it.
        let pieces = ["", "A", "z", "0", "-", " ", "é", "É", "ß", "ǅ", "王", "Ａ", "ｚ", "１", "\u{3000}", "\u{FF5E}", "\u{FF5F}", "\u{FF00}", "ﬁ"]
        func halfwidth(_ text: String) -> String {
            String(String.UnicodeScalarView(text.unicodeScalars.map { scalar in
                (0xFF01...0xFF5E).contains(scalar.value) ? Unicode.Scalar(scalar.value - 0xFEE0)! : scalar.value == 0x3000 ? " " : scalar
            }))
        }
        for a in pieces {
            for b in pieces {
                for c in ["", "x", "X", "中"] {
                    let text = a + c + b
                    #expect(Transform.upper.apply(text) == text.uppercased(), "upper of \(text)")
                    #expect(Transform.lower.apply(text) == text.lowercased(), "lower of \(text)")
                    #expect(Transform.halfwidth.apply(text) == halfwidth(text), "halfwidth of \(text)")
                }
            }
        }
    }

    @Test func blankTextIsJudgedByCharactersWhateverTheBytes() {
        // Blank source text becomes no value for numbers, dates and codes. The byte-wise check
        // must agree with Character.isWhitespace on every mix, including whitespace that a
        // combining mark joins (one character, whitespace by its first scalar) and prepended marks.
        let pieces = ["", " ", "\t", "\r\n", "\u{0B}", "\u{A0}", "\u{3000}", "\u{2028}", "\u{301}", "\u{600}", "\u{200D}", "a", "0", "王", "\u{1}"]
        var blanks = 0
        for a in pieces {
            for b in pieces {
                for c in pieces {
                    let text = a + b + c
                    let expected = text.allSatisfy(\.isWhitespace)
                    #expect(text.isBlankText == expected, "\(text.unicodeScalars.map { String($0.value, radix: 16) })")
                    if expected { blanks += 1 }
                }
            }
        }
        #expect(blanks > 100)
        #expect(" \u{301}".isBlankText)
        #expect(!"\u{600}a".isBlankText)
    }

    @Test func textTheQuickCheckPassesIsWhatFoundationsNFCLeaves() {
        // Every scalar the quick check calls stable normalises to itself, and seeded random
        // pairs of them (a composition needs a second scalar) come out unchanged too.
        let ranges: [ClosedRange<UInt32>] = [0x0...0x2FF, 0x2010...0x2027, 0x3000...0x3029, 0x3400...0x4DBF, 0x4E00...0x9FFF, 0xFF01...0xFF5E]
        let stable = ranges.flatMap { $0.compactMap(Unicode.Scalar.init) }
        #expect(stable.allSatisfy(NFCQuickCheck.isStable))
        for scalar in stable { #expect(String(scalar).precomposedStringWithCanonicalMapping == String(scalar), "U+\(String(scalar.value, radix: 16))") }
        var generator = SplitMix64(seed: 7)
        for _ in 0..<20_000 {
            let text = String(String.UnicodeScalarView([stable.randomElement(using: &generator)!, stable.randomElement(using: &generator)!]))
            #expect(NFCQuickCheck.isNFC(text))
            #expect(text.precomposedStringWithCanonicalMapping == text, "\(text.unicodeScalars.map { String($0.value, radix: 16) })")
        }
        // What it does not know goes to the normaliser, and comes out right.
        for text in ["e\u{301}", "\u{212B}", "か\u{3099}", "\u{F900}", "\u{2000}", "王\u{302A}"] {
            #expect(!NFCQuickCheck.isNFC(text))
        }
        #expect(Transform.nfc.apply("e\u{301}王") == "é王")
        #expect(Transform.nfc.apply("\u{212B}") == "\u{C5}")
    }
}
