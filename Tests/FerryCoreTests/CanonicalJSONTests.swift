import Foundation
import Testing
@testable import FerryCore

@Suite struct CanonicalJSONTests {
    @Test func objectKeysAreSortedAndWhitespaceIsDropped() {
        let value: Value = .object(["b": 1, "a": .list(["x", true, nil]), "é": .decimal("1.50")])
        #expect(String(decoding: CanonicalJSON.encode(value), as: UTF8.self) == #"{"a":["x",true,null],"b":1,"é":1.50}"#)
    }

    @Test func decodingRoundTripsExactlyIncludingEscapesAndDecimals() throws {
        let value: Value = .object([
            "name": "王伟 \"Wang\"\n\t\u{1}", "amount": .decimal("12345678901234567890.01"), "n": .int(-42),
            "nested": .object(["list": [1, 2, .null]]),
        ])
        let bytes = CanonicalJSON.encode(value)
        #expect(try CanonicalJSON.decode(bytes) == value)
        #expect(CanonicalJSON.encode(try CanonicalJSON.decode(bytes)) == bytes)
    }

    /// The exact bytes of every escape, at the start, middle and end of a string, and of
    /// text with none (RFC 8259 §7): digests and signatures are taken over these bytes.
    @Test func stringsAreEscapedByteForByte() {
        func encoded(_ text: String) -> String { String(decoding: CanonicalJSON.encode(.string(text)), as: UTF8.self) }
        #expect(encoded("") == #""""#)
        #expect(encoded("王伟 O'Brien") == #""王伟 O'Brien""#)
        #expect(encoded("\"a\\b\nc\rd\te\u{1}f\u{1F}\u{7F}") == #""\"a\\b\nc\rd\te\u0001f\u001f\#u{7F}""#)
        #expect(encoded("\n") == #""\n""#)
        #expect(encoded("x\u{0}") == #""x\u0000""#)
    }

    @Test func surrogatePairsDecode() throws {
        #expect(try CanonicalJSON.decode(Array(#""\ud83d\ude00""#.utf8)) == .string("😀"))
    }

    @Test func malformedJSONIsRejected() {
        for text in ["{", "[1,]", "{\"a\" 1}", "tru", "\"open", "1 2"] {
            #expect(throws: FerryError.self) { try CanonicalJSON.decode(Array(text.utf8)) }
        }
    }

    @Test func recordDigestsIgnoreFieldOrder() {
        let a = Record(entity: "E", key: ["1"], version: "v", fields: ["x": 1, "y": "2"])
        var b = Record(entity: "E", key: ["1"], version: "w", fields: [:])
        b.fields["y"] = "2"
        b.fields["x"] = 1
        #expect(a.canonicalContent == b.canonicalContent)
    }
}

@Suite struct TimestampAndMaskingTests {
    @Test func timestampsRoundTripAndMatchKnownInstants() throws {
        #expect(Timestamp.format(Date(timeIntervalSince1970: 0)) == "1970-01-01T00:00:00Z")
        #expect(Timestamp.format(Date(timeIntervalSince1970: 1_795_000_000)) == "2026-11-18T11:06:40Z")
        #expect(Timestamp.format(Date(timeIntervalSince1970: 951_782_400)) == "2000-02-29T00:00:00Z")
        for seconds in stride(from: -86_400 * 400, to: 4_000_000_000, by: 7_777_777) {
            let date = Date(timeIntervalSince1970: TimeInterval(seconds))
            #expect(Timestamp.parse(Timestamp.format(date)) == date)
        }
        #expect(Timestamp.parse("2026-13-01T00:00:00Z") == nil)
        #expect(Timestamp.parse("2026-01-01 00:00:00") == nil)
    }

    @Test func maskingKeepsOnlyTheEnds() {
        #expect(Masking.mask("350212198001014532") == "350212********4532")
        #expect(Masking.mask("E12345678") == "E1***5678")
        #expect(Masking.mask("王伟") == "**")
        #expect(!Masking.mask("350212198001014532").contains("19800101"))
    }
}

@Suite struct VersionOrderTests {
    @Test func counterVersionsOrderNumericallyAndTimestampsAsText() {
        #expect(Record.sortableVersion("10") > Record.sortableVersion("9"))
        #expect(Record.sortableVersion("2026-11-24T10:00:00Z") > Record.sortableVersion("2026-11-24T09:59:59Z"))
        #expect(Record.sortableVersion("7") == Record.sortableVersion("7"))
    }
}
