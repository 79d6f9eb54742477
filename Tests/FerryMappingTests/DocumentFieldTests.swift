import Foundation
import Testing
import FerryCore
import FerrySeal
@testable import FerryMapping

/// `bytes` and `document` fields: what a mapping reads into them, what it refuses, and
/// what record digests cover (docs/documents.md, docs/canonical-encoding.md).
@Suite struct DocumentFieldTests {
    static let entity = """
        entity: Licence
        key: [no]
        version: issued
        fields:
          no:     { type: string, required: true }
          issued: { type: timestamp, required: true }
          scan:   { type: document }
          stamp:  { type: bytes }
          note:   { type: string }
        """

    let scratch: MappingScratch
    let mapping: Mapping

    init() throws {
        scratch = try MappingScratch(entity: Self.entity)
        mapping = try scratch.mapping("""
            mapping: sys/Licence
            system: sys
            entity: Licence
            fields:
              no:     { column: ZSBH }
              issued: { column: FZSJ }
              scan:   { column: WJ, name_column: WJMC, media_type: application/ofd }
              stamp:  { column: YZ }
              note:   { column: BZ }
            """)
    }

    func row(_ changes: [String: Value]) -> [String: Value] {
        var row: [String: Value] = ["ZSBH": "L-1", "FZSJ": "2026-11-30T09:00:00Z"]
        for (name, value) in changes { row[name] = value }
        return row
    }

    @Test func aBlobBecomesADocumentWithTheNamedColumnsNameAndTheDeclaredType() throws {
        let bytes = Data("PK\u{3}\u{4}".utf8)
        let read = mapping.read(row(["WJ": .bytes(bytes), "WJMC": "营业执照.ofd"]))
        guard case .document(let reference)? = read.field("scan") else {
            Issue.record("expected a document, got \(String(describing: read.field("scan")))")
            return
        }
        #expect(reference.name == "营业执照.ofd")
        #expect(reference.mediaType == MediaType.ofd)
        #expect(reference.content == bytes)
        #expect(reference.size == Int64(bytes.count))
        #expect(!reference.isStored)
    }

    @Test func aDocumentWithoutANameColumnTakesTheFieldsName() throws {
        let read = mapping.read(row(["WJ": .bytes(Data([1, 2, 3]))]))
        guard case .document(let reference)? = read.field("scan") else { Issue.record("no document"); return }
        #expect(reference.name == "scan")
    }

    @Test func textInADocumentFieldIsRefusedWithTheRule() throws {
        let read = mapping.read(row(["WJ": "/etc/passwd"]))
        guard case .rejected(_, let issues) = read else { Issue.record("a path in text was taken as a document"); return }
        #expect(issues.contains { $0.field == "scan" && $0.rule == "type" })
    }

    @Test func bytesFieldsTakeBlobsAndBase64AndRefuseOtherText() throws {
        #expect(mapping.read(row(["YZ": .bytes(Data([0, 255]))])).field("stamp") == .bytes(Data([0, 255])))
        #expect(mapping.read(row(["YZ": "AP8="])).field("stamp") == .bytes(Data([0, 255])))
        guard case .rejected(_, let issues) = mapping.read(row(["YZ": "not base64!"])) else { Issue.record("accepted"); return }
        #expect(issues.contains { $0.field == "stamp" && $0.rule == "type" })
    }

    @Test func aBlobReadIntoATextFieldIsItsBase64AsBefore() throws {
        #expect(mapping.read(row(["BZ": .bytes(Data([0, 255]))])).field("note") == "AP8=")
    }

    @Test func documentOptionsOnOtherFieldsAndMalformedMediaTypesAreRefusedWhereWritten() throws {
        let base = "mapping: sys/Licence\nsystem: sys\nentity: Licence\nfields:\n  no: { column: ZSBH }\n  issued: { column: FZSJ }\n"
        let misplaced = try #require(scratch.refusal(base + "  note: { column: BZ, name_column: X }\n"))
        #expect(misplaced.message.contains("applies to document fields"))
        #expect(misplaced.location != nil)
        let malformed = try #require(scratch.refusal(base + "  scan: { column: WJ, media_type: pdf }\n"))
        #expect(malformed.message.contains("is not a media type"))
        let empty = try #require(scratch.refusal(base + "  scan: { column: WJ, require_signature: [] }\n"))
        #expect(empty.message.contains("require_signature"))
    }

    @Test func writingPutsTheNameInItsColumn() throws {
        let reference = DocumentRef(digest: "sha256:" + String(repeating: "1", count: 64), size: 3, mediaType: MediaType.ofd, name: "a.ofd")
        let record = Record(entity: "Licence", key: ["L-1"], version: "2026-11-30T09:00:00Z",
            fields: ["no": "L-1", "issued": "2026-11-30T09:00:00Z", "scan": .document(reference)])
        let written = try mapping.write(record)
        #expect(written["WJ"] == .document(reference))
        #expect(written["WJMC"] == "a.ofd")
    }

    @Test func digestsCoverTheReferenceButNotItsSignatureOrWhereItIsKept() throws {
        let digester = RecordDigester(HMAC.keyed(RecordDigester.inlineTestKey, algorithm: .hmacSHA256))
        let reference = DocumentRef(digest: "sha256:" + String(repeating: "a", count: 64), size: 10, mediaType: MediaType.pdf, name: "d.pdf")
        func digest(_ scan: DocumentRef) -> [UInt8] {
            digester.digest(Record(entity: "Licence", key: ["L-1"], version: "v", fields: ["no": "L-1", "scan": .document(scan)]), schema: mapping.entity)
        }
        var signed = reference
        signed.signature = DocumentSignature(algorithm: "ed25519", signer: "n", keyID: "k", signedAt: "2026-11-30T09:00:00Z", value: "00")
        signed.localPath = "/elsewhere"
        #expect(digest(signed) == digest(reference))
        var other = reference
        other.digest = "sha256:" + String(repeating: "b", count: 64)
        #expect(digest(other) != digest(reference))
        var renamed = reference
        renamed.name = "e.pdf"
        #expect(digest(renamed) != digest(reference))
        // Bytes are typed: never equal to text that spells them.
        let asBytes = digester.digest(Record(entity: "Licence", key: ["L-1"], version: "v", fields: ["stamp": .bytes(Data("AP8=".utf8))]), schema: mapping.entity)
        let asText = digester.digest(Record(entity: "Licence", key: ["L-1"], version: "v", fields: ["stamp": "AP8="]), schema: mapping.entity)
        #expect(asBytes != asText)
    }
}
