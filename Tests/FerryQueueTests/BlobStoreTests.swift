import Foundation
import Testing
import FerryCore
import FerrySeal
@testable import FerryQueue

/// The blob store keeps a file under its digest's name only once it is whole and verified.
@Suite struct BlobStoreTests {
    final class SHA256: ContentHasher {
        let hasher = try! FerrySeal.Hasher(.sha256)
        func update(_ bytes: UnsafeRawBufferPointer) { hasher.update(bytes) }
        func finish() throws -> [UInt8] { try hasher.finish() }
    }

    let store = BlobStore(directory: FileManager.default.temporaryDirectory.appendingPathComponent("ferry-blobs-\(UUID().uuidString)"))
    let content = (0..<3_000_000).map { UInt8(truncatingIfNeeded: $0 &* 31 >> 3) }

    var digest: String { "sha256:" + hex(FerrySeal.Hasher.sha256(content)) }

    @Test func storedContentIsNamedByItsDigest() throws {
        let stored = try store.store(data: Data(content), algorithm: "sha256", hasher: SHA256(), maxSize: 1 << 30)
        #expect(stored.digest == digest)
        #expect(stored.size == Int64(content.count))
        #expect(try Data(contentsOf: store.path(for: digest)) == Data(content))
        #expect(store.contains(digest))
        // The temporary files are gone.
        #expect(try FileManager.default.contentsOfDirectory(atPath: store.directory.appendingPathComponent("incoming").path).isEmpty)
    }

    @Test func contentOverTheLimitIsRefusedAndLeavesNothing() throws {
        #expect(throws: FerryError.self) { try store.store(data: Data(content), algorithm: "sha256", hasher: SHA256(), maxSize: 1_000_000) }
        #expect(!store.contains(digest))
        #expect(try FileManager.default.contentsOfDirectory(atPath: store.directory.appendingPathComponent("incoming").path).isEmpty)
    }

    @Test func chunksInAnyOrderReassembleAndVerify() throws {
        let piece = 1 << 20
        for offset in stride(from: 0, to: content.count, by: piece).reversed() {
            try store.writeChunk(digest: digest, offset: Int64(offset), bytes: Array(content[offset..<min(offset + piece, content.count)]))
        }
        #expect(!store.contains(digest))
        #expect(try store.complete(digest: digest, size: Int64(content.count), hasher: SHA256()) == nil)
        #expect(try Data(contentsOf: store.path(for: digest)) == Data(content))
    }

    /// An intake that moved a document into place and then rolled back takes the bundle in
    /// again: its chunks are counted but find the document already there, and it verifies.
    @Test func aDocumentAlreadyInPlaceCompletesWhereItIs() throws {
        try store.writeChunk(digest: digest, offset: 0, bytes: content)
        #expect(try store.complete(digest: digest, size: Int64(content.count), hasher: SHA256()) == nil)
        #expect(!FileManager.default.fileExists(atPath: store.partialPath(for: digest).path))
        #expect(try store.complete(digest: digest, size: Int64(content.count), hasher: SHA256()) == nil)
        #expect(try Data(contentsOf: store.path(for: digest)) == Data(content))
    }

    @Test func reassembledContentThatDoesNotMatchIsThrownAway() throws {
        var altered = content
        altered[1234] ^= 0x40
        try store.writeChunk(digest: digest, offset: 0, bytes: altered)
        let reason = try store.complete(digest: digest, size: Int64(content.count), hasher: SHA256())
        #expect(reason?.contains("digest") == true)
        #expect(!store.contains(digest))
        #expect(!FileManager.default.fileExists(atPath: store.partialPath(for: digest).path))
    }
}
