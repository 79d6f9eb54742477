import Foundation
import Testing
import FerryCore
@testable import FerrySeal

/// Every test runs once per suite.
@Suite struct BundleTests {
    static let suites = [Suite.defaultSuite, Suite.sm]
}

/// Two nodes' keys in one suite and helpers to seal and open between them.
struct SealFixture {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ferry-seal-\(UUID().uuidString)")
    let suite: String
    let sender: NodeKey
    let recipient: NodeKey

    init(_ suite: String) throws {
        self.suite = suite
        sender = try NodeKey.generate(node: "ext-gw", suite: suite)
        recipient = try NodeKey.generate(node: "jh-gw", suite: suite)
    }

    var reader: BundleReader { BundleReader(key: recipient, trust: TrustStore([sender.publicKey, recipient.publicKey])) }

    func lines(_ count: Int, size: Int = 40) throws -> [[UInt8]] {
        try (0..<count).map { index in
            Array(#"{"n":\#(index),"pad":"\#(hex(try randomBytes(size)))"}"#.utf8)
        }
    }

    func seal(_ lines: [[UInt8]], chunkSize: Int = 64 * 1024, lifetime: TimeInterval = 3600, now: Date = Date()) throws -> SealedBundle {
        var parameters = BundleWriter.Parameters(lane: "extranet→jinhong", sequence: 7)
        parameters.chunkSize = chunkSize
        parameters.lifetime = lifetime
        parameters.now = now
        let writer = try BundleWriter(directory: directory, sender: sender, recipients: [recipient.publicKey], parameters: parameters)
        for line in lines { try writer.append(line: line) }
        return try writer.finish()
    }

    func open(_ url: URL, with reader: BundleReader? = nil, now: Date = Date()) throws -> [[UInt8]] {
        var out: [[UInt8]] = []
        try (reader ?? self.reader).open(url, now: now) { out.append($0) }
        return out
    }

    func code(_ body: () throws -> Void) -> String? {
        do {
            try body()
            return nil
        } catch let error as FerryError {
            return error.code.rawValue
        } catch {
            return "other: \(error)"
        }
    }

}

extension BundleTests {
    @Test(arguments: BundleTests.suites) func recordsRoundTripAcrossManyChunks(suite: String) throws {
        let f = try SealFixture(suite)
        let input = try f.lines(400, size: 64)
        let sealed = try f.seal(input, chunkSize: 4096)
        #expect(sealed.url.lastPathComponent == "\(sealed.contentHash).bundle")
        #expect(sealed.header.records == 400)
        #expect(sealed.header.compressedSize > 4096 * 3)
        let attributes = try FileManager.default.attributesOfItem(atPath: sealed.url.path)
        #expect((attributes[.size] as? NSNumber)?.int64Value == sealed.size)
        #expect(try f.open(sealed.url) == input)
        let info = try BundleReader.inspect(sealed.url)
        #expect(info.header == sealed.header)
    }

    @Test(arguments: BundleTests.suites) func emptyBundlesOpen(suite: String) throws {
        let f = try SealFixture(suite)
        let sealed = try f.seal([])
        #expect(try f.open(sealed.url).isEmpty)
    }

    @Test(arguments: BundleTests.suites) func everyFlippedByteIsRejected(suite: String) throws {
        let f = try SealFixture(suite)
        let sealed = try f.seal(try f.lines(3))
        let original = try Data(contentsOf: sealed.url)
        let copy = f.directory.appendingPathComponent("tampered.bin")
        var accepted: [Int] = []
        var codes = Set<String>()
        for index in 0..<original.count {
            var bytes = original
            bytes[index] ^= 0x01
            try bytes.write(to: copy)
            if let code = f.code({ _ = try f.open(copy) }) { codes.insert(code) } else { accepted.append(index) }
        }
        #expect(accepted.isEmpty, "flipped bytes accepted at offsets \(accepted)")
        #expect(codes.contains("bundle.bad-signature"))
        #expect(codes.contains("bundle.malformed") || codes.contains("bundle.unsupported-version"))
    }

    @Test(arguments: BundleTests.suites) func truncationAtEveryChunkBoundaryIsRejected(suite: String) throws {
        let f = try SealFixture(suite)
        let sealed = try f.seal(try f.lines(200, size: 64), chunkSize: 1024)
        let info = try BundleReader.inspect(sealed.url)
        let original = try Data(contentsOf: sealed.url)
        let copy = f.directory.appendingPathComponent("cut.bin")
        var cuts = stride(from: info.payloadOffset, to: Int(info.signatureOffset), by: 1024 + info.tagSize).map { $0 }
        cuts += [Int(info.signatureOffset), original.count - 1, 10, 0]
        for cut in cuts {
            try original.prefix(cut).write(to: copy)
            #expect(f.code({ _ = try f.open(copy) }) != nil, "accepted a bundle cut at \(cut)")
        }
    }

    @Test(arguments: BundleTests.suites) func renamedFilesFailTheContentHash(suite: String) throws {
        let f = try SealFixture(suite)
        let sealed = try f.seal(try f.lines(2))
        let other = f.directory.appendingPathComponent("\(String(repeating: "0", count: 64)).bundle")
        try FileManager.default.copyItem(at: sealed.url, to: other)
        #expect(f.code({ _ = try f.open(other) }) == "bundle.name-mismatch")
    }

    @Test(arguments: BundleTests.suites) func unknownSendersAreRejected(suite: String) throws {
        let f = try SealFixture(suite)
        let sealed = try f.seal(try f.lines(2))
        let stranger = BundleReader(key: f.recipient, trust: TrustStore([f.recipient.publicKey]))
        #expect(f.code({ _ = try f.open(sealed.url, with: stranger) }) == "bundle.unknown-sender")
    }

    @Test(arguments: BundleTests.suites) func bundlesForSomeoneElseAreRejected(suite: String) throws {
        let f = try SealFixture(suite)
        let sealed = try f.seal(try f.lines(2))
        let bystander = BundleReader(key: try NodeKey.generate(node: "pp-gw", suite: suite), trust: TrustStore([f.sender.publicKey]))
        #expect(f.code({ _ = try f.open(sealed.url, with: bystander) }) == "bundle.not-addressed")
    }

    @Test(arguments: BundleTests.suites) func expiredBundlesAreRejected(suite: String) throws {
        let f = try SealFixture(suite)
        let sealed = try f.seal(try f.lines(2), lifetime: 60)
        #expect(f.code({ _ = try f.open(sealed.url, now: Date().addingTimeInterval(120)) }) == "bundle.expired")
    }

    @Test(arguments: BundleTests.suites) func decompressionBeyondTheCapIsStopped(suite: String) throws {
        let f = try SealFixture(suite)
        // Highly compressible payload: a few KB on the wire, far more once decompressed.
        let big = [[UInt8](repeating: UInt8(ascii: "a"), count: 1 << 20)]
        let sealed = try f.seal(big)
        #expect(sealed.header.compressedSize < 4096)
        var capped = f.reader
        capped.limits.maxPlainSize = 64 * 1024
        #expect(f.code({ _ = try f.open(sealed.url, with: capped) }) == "bundle.too-large")
    }

    @Test(arguments: BundleTests.suites) func rotatedKeysStillOpenOldBundlesUntilRetired(suite: String) throws {
        let f = try SealFixture(suite)
        let old = try f.seal(try f.lines(2))
        let rotated = try NodeKey.generate(node: "ext-gw", suite: suite)
        let both = BundleReader(key: f.recipient, trust: TrustStore([f.sender.publicKey, rotated.publicKey]))
        #expect(try f.open(old.url, with: both).count == 2)
        let retired = BundleReader(key: f.recipient, trust: TrustStore([rotated.publicKey]))
        #expect(f.code({ _ = try f.open(old.url, with: retired) }) == "bundle.unknown-sender")
        #expect(TrustStore([f.sender.publicKey, rotated.publicKey]).current(forNode: "ext-gw", suite: suite)?.keyID == rotated.keyID)
    }

    @Test(arguments: BundleTests.suites) func privateKeysReadableByOthersAreRefused(suite: String) throws {
        let f = try SealFixture(suite)
        let files = try f.sender.write(to: f.directory.appendingPathComponent("keys"), name: "ext-gw")
        let mode = (try FileManager.default.attributesOfItem(atPath: files.privateFile.path)[.posixPermissions] as? NSNumber)?.intValue
        #expect(mode == 0o600)
        #expect(try NodeKey.load(files.privateFile).keyID == f.sender.keyID)
        #expect(try PublicKey.load(files.publicFile) == f.sender.publicKey)
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: files.privateFile.path)
        #expect(f.code({ _ = try NodeKey.load(files.privateFile) }) == "key.permissions")
        // and the error never carries the secret
        do { _ = try NodeKey.load(files.privateFile) } catch {
            let text = try String(contentsOf: files.privateFile, encoding: .utf8)
            let secret = text.components(separatedBy: "\n").first { $0.hasPrefix("sign:") }?.dropFirst(6) ?? ""
            #expect(!"\(error)".contains(secret))
        }
    }

    @Test(arguments: BundleTests.suites) func reorderedDuplicatedAndDroppedChunksAreRejected(suite: String) throws {
        let f = try SealFixture(suite)
        let sealed = try f.seal(try f.lines(300, size: 64), chunkSize: 1024)
        let info = try BundleReader.inspect(sealed.url)
        #expect(info.chunks >= 4)
        let original = [UInt8](try Data(contentsOf: sealed.url))
        let width = 1024 + info.tagSize
        func chunk(_ i: Int) -> ArraySlice<UInt8> { original[(info.payloadOffset + i * width)..<(info.payloadOffset + (i + 1) * width)] }
        var swapped = original
        swapped.replaceSubrange((info.payloadOffset)..<(info.payloadOffset + 2 * width), with: chunk(1) + chunk(0))
        var duplicated = original
        duplicated.replaceSubrange((info.payloadOffset + 2 * width)..<(info.payloadOffset + 3 * width), with: chunk(1))
        var dropped = original
        dropped.removeSubrange((info.payloadOffset + width)..<(info.payloadOffset + 2 * width))
        for (label, bytes) in [("swapped", swapped), ("duplicated", duplicated), ("dropped", dropped)] {
            let copy = f.directory.appendingPathComponent("\(label).bundle")
            try Data(bytes).write(to: copy)
            #expect(f.code({ _ = try f.open(copy) }) != nil, "\(label) chunks were accepted")
        }
    }

    /// Even with a valid signature, the chunk layer alone refuses a chunk at the wrong
    /// position or with the wrong final flag.
    @Test(arguments: BundleTests.suites) func chunksOnlyOpenAtTheirOwnPosition(suite: String) throws {
        let engine = try #require(Suites.named(suite))
        let cipher = try engine.chunkCipher(fileKey: try randomBytes(32))
        let aad = try randomBytes(32)
        var sealed: [UInt8] = []
        try Array("chunk three".utf8).withUnsafeBytes { try cipher.seal($0, counter: 3, final: false, aad: aad, into: &sealed) }
        func opens(counter: UInt64, final: Bool, aad: [UInt8]) throws -> Bool {
            var out: [UInt8] = []
            return try sealed.withUnsafeBytes { try cipher.open($0, counter: counter, final: final, aad: aad, into: &out) }
        }
        #expect(try opens(counter: 3, final: false, aad: aad))
        #expect(try !opens(counter: 2, final: false, aad: aad))
        #expect(try !opens(counter: 3, final: true, aad: aad))
        #expect(try !opens(counter: 3, final: false, aad: try randomBytes(32)))
    }

    @Test func anUnsupportedSuiteOrVersionIsNamedAsSuch() throws {
        let f = try SealFixture(Suite.defaultSuite)
        let sealed = try f.seal(try f.lines(2))
        var bytes = [UInt8](try Data(contentsOf: sealed.url))
        // Same length, so only the suite name changes.
        let from = Array("x25519-aes256gcm-ed25519".utf8), to = Array("x25519-aes128gcm-ed25519".utf8)
        let at = try #require((0...(bytes.count - from.count)).first { Array(bytes[$0..<($0 + from.count)]) == from })
        bytes.replaceSubrange(at..<(at + from.count), with: to)
        let copy = f.directory.appendingPathComponent("suite.bundle")
        try Data(bytes).write(to: copy)
        #expect(f.code({ _ = try f.open(copy) }) == "bundle.unsupported-suite")
        var version = [UInt8](try Data(contentsOf: sealed.url))
        version[9] = 2
        try Data(version).write(to: copy)
        #expect(f.code({ _ = try f.open(copy) }) == "bundle.unsupported-version")
    }
}
