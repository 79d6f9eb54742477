import Foundation
import Testing
@testable import FerryCore

/// JSON as real systems and hostile files write it: everything RFC 8259 forbids is refused
/// with its code and byte offset, everything it allows decodes to the exact value, and no
/// input traps or exhausts the stack.
@Suite struct RealWorldJSONTests {
    struct Refusal: Equatable, CustomStringConvertible {
        var code: String
        var offset: Int
        init(_ code: String, _ offset: Int) { (self.code, self.offset) = (code, offset) }
        var description: String { "\(code) at \(offset)" }
    }

    /// The refusal for `bytes`: its code and 0-based byte offset, or nil when they parse.
    static func refusal(_ bytes: [UInt8]) -> Refusal? {
        var parser = JSONParser(bytes: bytes)
        do {
            _ = try parser.parseText()
            return nil
        } catch {
            return Refusal(error.code.rawValue, error.offset)
        }
    }

    static func refusal(_ text: String) -> Refusal? { refusal(Array(text.utf8)) }

    static func decoded(_ text: String) throws -> Value { try CanonicalJSON.decode(Array(text.utf8)) }

    @Test func numbersRFC8259ForbidsAreRefusedWhereTheyGoWrong() {
        let cases: [(String, Int)] = [
            ("+1", 0), ("012", 0), ("-01", 1), ("1.", 2), (".5", 0), ("2.e3", 2), ("-", 1), ("--1", 1), ("1e", 2), ("1e+", 3),
            ("1E-", 3), ("00", 0), ("0x1F", 1), ("1.5.2", 3), ("1 2", 2), ("Infinity", 0), ("-Infinity", 1), ("NaN", 0),
            ("[01]", 1), ("[1.]", 3), ("{\"a\":-}", 6), ("{\"a\":+1}", 5), ("[.5]", 1), ("1_000", 1), ("١", 0),
        ]
        for (text, offset) in cases {
            #expect(Self.refusal(text) == Refusal("json.syntax", offset), "\(text)")
        }
    }

    @Test func numbersRFC8259AllowsKeepTheirExactValue() throws {
        let cases: [(String, Value)] = [
            ("0", .int(0)), ("-0", .int(0)), ("7", .int(7)), ("-42", .int(-42)),
            ("9223372036854775807", .int(.max)), ("-9223372036854775808", .int(.min)),
            ("9223372036854775808", .decimal("9223372036854775808")), ("-9223372036854775809", .decimal("-9223372036854775809")),
            ("0.0", .decimal("0.0")), ("-0.0", .decimal("-0.0")), ("1e-05", .decimal("1e-05")), ("1E400", .decimal("1E400")),
            ("2.5E+3", .decimal("2.5E+3")), ("12345678901234.5678", .decimal("12345678901234.5678")), (" 1 ", .int(1)),
        ]
        for (text, value) in cases { #expect(try Self.decoded(text) == value, "\(text)") }
    }

    @Test func hugeNumbersKeepEveryDigitAndNeverTrap() throws {
        let digits = "9" + String(repeating: "0123456789", count: 1_000)
        for text in [digits, "-" + digits, digits + "." + digits, "1e" + digits, "0." + digits + "E-" + digits] {
            let value = try Self.decoded(text)
            #expect(value == .decimal(text))
            #expect(CanonicalJSON.encode(value) == Array(text.utf8))
        }
        #expect(try Self.decoded("[\(digits),\(digits)]") == .list([.decimal(digits), .decimal(digits)]))
    }

    @Test func unknownEscapesAreRefusedAtTheirBackslash() {
        let cases: [(String, Int)] = [
            (#""\x00""#, 1), (#""\a""#, 1), (#""ab\'""#, 3), (#""\U0041""#, 1), (#""\0""#, 1), (#""\ ""#, 1), ("\"\\\u{7F}\"", 1),
            (#""\u00G1""#, 5), (#""\u12""#, 5), (#""\u-123""#, 3), ("\"\\王\"", 1),
        ]
        for (text, offset) in cases {
            #expect(Self.refusal(text) == Refusal("json.string", offset), "\(text)")
        }
        #expect(Self.refusal(#""\"#)?.offset == 1)
        #expect(Self.refusal(#""\u00"#)?.code == "json.syntax")
    }

    @Test func everyEscapeRFC8259AllowsDecodesToItsCharacter() throws {
        #expect(try Self.decoded(#""\"\\\/\b\f\n\r\t""#) == .string("\"\\/\u{8}\u{C}\n\r\t"))
        #expect(try Self.decoded(#""\u00e9\u00C9\u738B\u0041""#) == .string("éÉ王A"))
        // U+0000 is a character JSON can carry; whether a field may hold it is the mapping's rule.
        #expect(try Self.decoded(#""a\u0000b""#) == .string("a\u{0}b"))
        #expect(try Self.decoded("\"\u{7F}\u{2028}\u{FEFF}\"") == .string("\u{7F}\u{2028}\u{FEFF}"))
    }

    @Test func rawControlCharactersInsideStringsAreRefused() {
        for byte in UInt8(0)..<0x20 {
            let bytes: [UInt8] = [0x22, 0x61, byte, 0x62, 0x22]
            #expect(Self.refusal(bytes) == Refusal("json.string", 2), "byte \(byte)")
        }
        #expect(Self.refusal("{\"a\tb\":1}")?.offset == 3)
        // Between tokens, TAB, LF and CR are whitespace (RFC 8259 §2); other controls are not.
        #expect(throws: Never.self) { try Self.decoded("\t{\r\n\"a\" :\t1 }\n") }
        #expect(Self.refusal([0x7B, 0x0C, 0x7D])?.offset == 1)
        #expect(Self.refusal([0x31, 0x00])?.offset == 1)
    }

    @Test func surrogateEscapesMustPairHighThenLow() throws {
        let cases: [(String, Int)] = [
            (#""\ud83d\u0041""#, 1), (#""\uD800\uE000""#, 1), (#""\ud83d""#, 1), (#""x\ud83dx""#, 2), (#""\udc00""#, 1),
            (#""\ude00\ud83d""#, 1), (#""\ud83d\ud83d""#, 1), (#""\uDBFF\n""#, 1), (#"{"\ud800":1}"#, 2), (#"["ok","\udfff"]"#, 7),
        ]
        for (text, offset) in cases {
            #expect(Self.refusal(text) == Refusal("json.string", offset), "\(text)")
        }
        #expect(try Self.decoded(#""\ud83d\ude00""#) == .string("😀"))
        #expect(try Self.decoded(#""\uD800\uDC00\uDBFF\uDFFF""#) == .string("\u{10000}\u{10FFFF}"))
        #expect(try Self.decoded(#""\uD83D\uDE00\u0041""#) == .string("😀A"))
    }

    @Test func bytesThatAreNotUTF8AreRefusedAtTheirOffset() {
        let quote: UInt8 = 0x22
        let cases: [([UInt8], Int)] = [
            ([quote, 0x61, 0xFF, quote], 2), ([quote, 0x80, quote], 1), ([quote, 0xC0, 0xAF, quote], 1),
            ([quote, 0xC1, 0xBF, quote], 1), ([quote, 0xE0, 0x80, 0xAF, quote], 1), ([quote, 0xED, 0xA0, 0x80, quote], 1),
            ([quote, 0xF4, 0x90, 0x80, 0x80, quote], 1), ([quote, 0xF5, 0x80, 0x80, 0x80, quote], 1),
            ([quote, 0xE4, 0xB8, quote], 1), ([quote, 0xE4, 0xB8], 1), ([quote, 0xF0, 0x9F, 0x98, quote], 1),
            ([0xFF], 0), ([0x5B, 0x31, 0x2C, 0xC3, 0x28, 0x5D], 3), ([0x7B, 0x22, 0x61, 0x22, 0x3A, 0x31, 0x7D, 0xFE], 7),
            ([0xEF, 0xBB, 0xBF, 0x7B, 0x7D], 0),
        ]
        for (bytes, offset) in cases {
            #expect(Self.refusal(bytes) == Refusal("json.encoding", offset), "\(bytes)")
        }
        // A valid character where a value should be is a syntax fault, named as the character.
        #expect(Self.refusal("王") == Refusal("json.syntax", 0))
        #expect(Self.refusal(" \u{FEFF}{}") == Refusal("json.syntax", 1))
        #expect(throws: Never.self) { try Self.decoded("\"王伟 𠀀 é 😀\"") }
    }

    @Test func duplicateNamesAreRefusedWithTheName() throws {
        let text = #"{"status":"rejected","status":"approved"}"#
        #expect(Self.refusal(text) == Refusal("json.duplicate-key", 21))
        do {
            _ = try Self.decoded(text)
            Issue.record("a duplicate name was accepted")
        } catch let error as FerryError {
            #expect(error.code == .jsonDuplicateKey)
            #expect(error.message == #"invalid JSON at byte 21: duplicate name "status" in one object"#)
            #expect(error.hint != nil)
        }
        #expect(Self.refusal(#"{"a":{"b":1,"c":2,"b":3}}"#) == Refusal("json.duplicate-key", 18))
        #expect(Self.refusal(#"[{"a":1},{"a":2,"a":2}]"#) == Refusal("json.duplicate-key", 16))
        // Two spellings of é (NFC and NFD) are one name to a Swift dictionary, so one would be lost.
        #expect(Self.refusal("{\"\u{E9}\":1,\"e\u{301}\":2}")?.code == "json.duplicate-key")
        // Names that differ only in case, or in escaping, are different names.
        #expect(try Self.decoded(#"{"A":1,"a":2}"#) == .object(["A": 1, "a": 2]))
        #expect(Self.refusal(#"{"a":1,"\u0061":2}"#) == Refusal("json.duplicate-key", 7))
    }

    @Test func nestingIsLimitedAndNeverOverflowsTheStack() throws {
        let limit = JSONParser.maxDepth
        let deepest = String(repeating: "[", count: limit) + String(repeating: "]", count: limit)
        var value = try Self.decoded(deepest)
        var depth = 0
        while case .list(let items) = value {
            depth += 1
            guard let first = items.first else { break }
            value = first
        }
        #expect(depth == limit)
        #expect(Self.refusal(String(repeating: "[", count: limit + 1) + String(repeating: "]", count: limit + 1)) == Refusal("json.too-deep", limit))
        #expect(Self.refusal(String(repeating: "[", count: 30_000)) == Refusal("json.too-deep", limit))
        #expect(Self.refusal(String(repeating: #"{"a":"#, count: 30_000)) == Refusal("json.too-deep", limit * 5))
        #expect(Self.refusal(String(repeating: "[{\"k\":", count: 20_000))?.code == "json.too-deep")
        do {
            _ = try Self.decoded(String(repeating: "[", count: 30_000))
        } catch let error as FerryError {
            #expect(error.message == "invalid JSON at byte 512: arrays and objects nested deeper than 512 levels")
        }
    }

    @Test func textAfterTheValueOrACutOffValueIsRefused() {
        let cases: [(String, Int)] = [
            ("{} x", 3), ("{}{}", 2), ("[] ]", 3), ("null,", 4), ("truex", 4), ("\"a\"\"b\"", 3), ("", 0), ("   ", 3),
            ("{", 1), ("[", 1), ("[1", 2), ("[1,", 3), ("{\"a\"", 4), ("{\"a\":", 5), ("{\"a\":1", 6), ("\"abc", 0), ("tru", 0),
            ("nul", 0), ("[1,]", 3), ("{\"a\":1,}", 7), ("{,}", 1), ("[,1]", 1), ("{\"a\" 1}", 5), ("{a:1}", 1), ("{1:1}", 1),
            ("['a']", 1), ("[1;2]", 2), ("// x\n1", 0), ("True", 0),
        ]
        for (text, offset) in cases {
            #expect(Self.refusal(text) == Refusal("json.syntax", offset), "\(text)")
        }
        #expect(Self.refusal([0x6E, 0x75, 0x6C, 0x6C, 0x00]) == Refusal("json.syntax", 4))
    }

    @Test func aRefusalNamesTheFileLineAndCharacterColumnWhenTheCallerKnowsThem() throws {
        let line = Array(#"{"name":"王伟"#.utf8) + [0xFF] + Array(#""}"#.utf8)
        do {
            _ = try CanonicalJSON.decode(line, file: "rows.ndjson", line: 3)
            Issue.record("invalid UTF-8 was accepted")
        } catch let error as FerryError {
            #expect(error.code == .jsonEncoding)
            #expect(error.location == .file(SourceLocation(file: "rows.ndjson", line: 3, column: 12)))
            #expect(error.message == "invalid JSON at byte 15: not UTF-8 text: byte 0xFF starts no valid UTF-8 sequence (RFC 8259 §8.1)")
            #expect(error.description.hasPrefix("rows.ndjson:3:12: error[json.encoding]: invalid JSON at byte 15"))
        }
        do {
            _ = try CanonicalJSON.decode(Array("\t\"\\ud83d\\u0041\"".utf8), file: "f", line: 1)
            Issue.record("a lone surrogate was accepted")
        } catch let error as FerryError {
            #expect(error.location == .file(SourceLocation(file: "f", line: 1, column: 3)))
            #expect(error.message.contains("\\uD83D must be followed by a low surrogate"))
        }
    }

    @Test func decimalsThatAreNotJSONNumbersAreWrittenAsStringsNotAsInvalidJSON() throws {
        for text in ["NaN", "nan", "inf", "-inf", "+1", ".5", "1.", "012", "", "1,5", "1 000"] {
            let bytes = CanonicalJSON.encode(.object(["amount": .decimal(text)]))
            #expect(try CanonicalJSON.decode(bytes) == .object(["amount": .string(text)]), "\(text)")
            #expect(try JSONSerialization.jsonObject(with: Data(bytes)) is [String: Any])
        }
        // Decimals that are JSON numbers keep their bytes, as before.
        for text in ["1.50", "-0.0", "1e-05", "12345678901234567890.01", "2.5E+3"] {
            #expect(CanonicalJSON.encode(.decimal(text)) == Array(text.utf8))
        }
    }
}
