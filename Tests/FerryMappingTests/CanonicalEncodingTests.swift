import Foundation
import Testing
import FerryCore
import FerrySeal
@testable import FerryMapping

/// The canonical encoding and keyed digests that reconciliation and the audit log rely on.
@Suite struct CanonicalEncodingTests {
    static let entityYAML = """
        entity: Sample
        key: [id]
        version: updated_at
        fields:
          id:         { type: string }
          name:       { type: string, personal: true }
          note:       { type: string }
          amount:     { type: decimal, tolerance: "0.01" }
          count:      { type: int }
          active:     { type: bool }
          born:       { type: date }
          updated_at: { type: timestamp }
          loaded_at:  { type: timestamp, compare: ignore }
          tags:       { type: list, each: { type: string } }
        """

    let schema: EntitySchema
    let digester = RecordDigester(HMAC.keyed(RecordDigester.inlineTestKey, algorithm: .hmacSHA256))

    init() throws {
        schema = try EntitySchema.parse(ConfigNode.parse(Self.entityYAML, file: "sample.yaml"), file: "sample.yaml",
            codes: CodeTables(directory: URL(fileURLWithPath: "/nonexistent")))
    }

    func record(_ changes: [String: Value] = [:]) -> Record {
        var fields: [String: Value] = [
            "id": "A-1", "name": "陈静", "note": "", "amount": .decimal("12.50"), "count": 3, "active": true, "born": "1990-01-01",
            "updated_at": "2026-11-24T09:30:05Z", "loaded_at": "2026-11-24T10:00:00Z", "tags": ["x", "y"],
        ]
        for (name, value) in changes { fields[name] = value }
        return Record(entity: "Sample", key: ["A-1"], version: "2026-11-24T09:30:05Z", fields: fields)
    }

    func digest(_ changes: [String: Value] = [:]) -> String { hex(digester.digest(record(changes), schema: schema)) }

    /// Pinned: if these change, every digest ever stored and every reconcile tree breaks.
    /// The SHA-256 values were also computed by a few lines of Python's hmac module written
    /// from docs/canonical-encoding.md alone.
    @Test func goldenDigestsStayPut() {
        #expect(digest() == "04852a9e7089e902c74e07173ef0591f1cabe02768a84e2225097a69bc48befa")
        #expect(hex(RecordDigester(HMAC.keyed(RecordDigester.inlineTestKey, algorithm: .hmacSM3)).digest(record(), schema: schema))
            == "f937e7dec4409daf4430cb0784cbb4f0d051eaf335d9b5421cdbd2bbdfabc3ae")
        #expect(hex(digester.keyDigest(entity: "Sample", key: ["A-1"])) == "4061b8f11ff1c30f79683d792bf3a591bc5119e76e0df0bbec7f296aa85cfe7f")
    }

    @Test func equalContentDigestsEquallyWhateverItsSpelling() {
        let base = digest()
        #expect(digest(["amount": .decimal("12.5")]) == base, "trailing zeros of a decimal")
        #expect(digest(["amount": .decimal("+012.500")]) == base)
        #expect(digest(["name": .string("陈静".decomposedStringWithCanonicalMapping)]) == base, "NFD text")
        #expect(digest(["loaded_at": "2030-01-01T00:00:00Z"]) == base, "compare: ignore field")
        #expect(CanonicalEncoding.plainDecimal("-0.000") == "0")
        #expect(CanonicalEncoding.plainDecimal("-001.10") == "-1.1")
        #expect(CanonicalEncoding.plainDecimal(".5") == "0.5")
        #expect(CanonicalEncoding.plainDecimal("1e3") == "1e3", "not a plain decimal: kept, never guessed")
    }

    @Test func differentContentDigestsDifferently() {
        let base = digest()
        let changed: [[String: Value]] = [
            ["note": .null],  // null is not the empty string
            ["amount": .decimal("12.51")],
            ["count": 4], ["active": false], ["born": "1990-01-02"], ["updated_at": "2026-11-24T09:30:06Z"],
            ["tags": ["y", "x"]], ["tags": ["xy"]], ["name": "陈 静"],
        ]
        var seen = Set([base])
        for change in changed {
            let value = digest(change)
            #expect(!seen.contains(value), "\(change) collided")
            seen.insert(value)
        }
        // Length prefixes: moving a character from one field to the next changes the bytes.
        #expect(digest(["id": "ab", "note": "c"]) != digest(["id": "a", "note": "bc"]))
        // The key is part of the content, and the digest is keyed.
        #expect(hex(RecordDigester(HMAC.keyed(Array("another key".utf8), algorithm: .hmacSHA256)).digest(record(), schema: schema)) != base)
        #expect(digester.keyDigest(entity: "Sample", key: ["A", "1"]) != digester.keyDigest(entity: "Sample", key: ["A1"]))
    }

    @Test func theEncodingIsTypedAndLengthPrefixed() {
        let bytes = CanonicalEncoding.encode(record(), schema: schema)
        #expect(Array(bytes.prefix(12)) == Array("FERRY-REC-V1".utf8))
        // entity: u32 length 6, "Sample"; key: one part, u32 3, "A-1"; ten fields.
        #expect(Array(bytes[12..<22]) == [0, 0, 0, 6] + Array("Sample".utf8))
        #expect(Array(bytes[22..<33]) == [0, 0, 0, 1, 0, 0, 0, 3] + Array("A-1".utf8))
        #expect(Array(bytes[33..<37]) == [0, 0, 0, 10])
        // First field by name: "active", then tag 1 (bool) and 1.
        #expect(Array(bytes[37..<49]) == [0, 0, 0, 6] + Array("active".utf8) + [1, 1])
    }
}
