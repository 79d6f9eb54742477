import Foundation
import Testing
import FerryCore
@testable import FerrySeal

/// How documents and binary values travel inside bundle lines (docs/bundle-format.md).
@Suite struct DocumentLineTests {
    static let digest = "sha256:" + String(repeating: "c", count: 64)

    @Test func bytesAndDocumentReferencesRoundTripThroughARecordEnvelope() throws {
        let signature = DocumentSignature(algorithm: "ed25519", signer: "extranet-gw", keyID: "0011223344556677", signedAt: "2026-11-30T09:00:00Z", value: "ab")
        let reference = DocumentRef(digest: Self.digest, size: 31_457_280, mediaType: MediaType.pdf, name: "不动产权证书.pdf", signature: signature,
            localPath: "/never/sent")
        let record = Record(entity: "Licence", key: ["L-1"], version: "1", fields: [
            "scan": .document(reference), "stamp": .bytes(Data([0, 1, 254, 255])), "scans": .list([.document(reference)]),
            "note": .object(["$bytes": "AAEC", "other": 1]),
        ])
        let line = RecordEnvelope(flow: "f", record: record).line
        let text = String(decoding: line, as: UTF8.self)
        #expect(!text.contains("/never/sent"))
        #expect(text.contains(#""stamp":{"$bytes":"AAH+/w=="}"#))
        let back = try RecordEnvelope(line: line).record
        #expect(back.fields["scan"] == .document(reference))
        #expect(back.fields["stamp"] == .bytes(Data([0, 1, 254, 255])))
        #expect(back.fields["scans"] == .list([.document(reference)]))
        // An object that only looks like a tag (another member beside it) stays an object.
        #expect(back.fields["note"] == .object(["$bytes": "AAEC", "other": 1]))
    }

    @Test func aTagWithABadReferenceStaysAnObject() throws {
        let bad: Value = .object(["$document": .object(["digest": "md5:1", "size": 1, "media_type": "x/y", "name": "n"])])
        #expect(CanonicalJSON.untagged(bad) == bad)
        // A media type that would end an HTTP header is no media type.
        let injected: Value = .object(["$document": .object([
            "digest": .string(Self.digest), "size": 1, "media_type": "application/pdf\r\nX-Evil: 1", "name": "n",
        ])])
        #expect(CanonicalJSON.untagged(injected) == injected)
    }

    @Test func chunkLinesRoundTripAndRefuseWhatLiesOutsideTheDocument() throws {
        let chunk = DocumentChunkLine(digest: Self.digest, size: 10, offset: 6, data: [1, 2, 3, 4])
        #expect(try DocumentChunkLine(line: chunk.line) == chunk)
        func refused(_ object: [String: Value]) -> Bool {
            (try? DocumentChunkLine(line: CanonicalJSON.encode(.object(["chunk": .object(object)])))) == nil
        }
        let good: [String: Value] = ["digest": .string(Self.digest), "size": 10, "offset": 6, "data": "AQIDBA=="]
        #expect(!refused(good))
        #expect(refused(good.merging(["offset": 7]) { $1 }))
        #expect(refused(good.merging(["offset": -1]) { $1 }))
        #expect(refused(good.merging(["digest": "sha256:ABC"]) { $1 }))
        #expect(refused(good.merging(["data": "***"]) { $1 }))
        #expect(refused(good.merging(["size": "10"]) { $1 }))
    }
}

/// The chunk line's direct writer and fast reader against the general canonical JSON.
@Suite struct DocumentChunkLineFormTests {
    @Test func theDirectLineIsTheCanonicalOne() throws {
        let data = (0..<5000).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        let chunk = DocumentChunkLine(digest: DocumentLineTests.digest, size: 1 << 40, offset: 12345, data: data)
        let general = CanonicalJSON.encode(.object(["chunk": .object([
            "data": .string(Data(data).base64EncodedString()), "digest": .string(DocumentLineTests.digest), "offset": 12345, "size": .int(1 << 40),
        ])]))
        #expect(chunk.line == general)
        #expect(DocumentChunkLine.fastParse(chunk.line) == chunk)
    }

    @Test func linesOutsideTheFastFormStillReadOrFailAsTheGeneralParserSays() throws {
        // Canonical JSON allows no other spelling, but the reader does not rely on that.
        let spaced = Array(#"{"chunk": {"data":"AQI=","digest":"\#(DocumentLineTests.digest)","offset":0,"size":2}}"#.utf8)
        #expect(DocumentChunkLine.fastParse(spaced) == nil)
        #expect(try DocumentChunkLine(line: spaced).data == [1, 2])
        let extra = Array(#"{"chunk":{"data":"AQI=","digest":"\#(DocumentLineTests.digest)","extra":1,"offset":0,"size":2}}"#.utf8)
        #expect(throws: FerryError.self) { try DocumentChunkLine(line: extra) }
        let truncated = Array(#"{"chunk":{"data":"AQI="#.utf8)
        #expect(throws: FerryError.self) { try DocumentChunkLine(line: truncated) }
        // The data's closing quote right before the end: once a crash, now a refusal.
        for ending in ["\"}", "\"}}", "\""] {
            #expect(throws: FerryError.self) { try DocumentChunkLine(line: Array(#"{"chunk":{"data":"AQI="#.utf8) + Array(ending.utf8)) }
        }
    }
}
