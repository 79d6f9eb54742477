import Foundation
import Testing
import FerryCore
@testable import FerrySeal

@Suite struct BundleTests {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ferry-seal-\(UUID().uuidString)")
    let sender: NodeKey
    let recipient: NodeKey

    init() throws {
        sender = try NodeKey.generate(node: "ext-gw")
        recipient = try NodeKey.generate(node: "jh-gw")
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

    @Test func recordsRoundTripAcrossManyChunks() throws {
        let input = try lines(400, size: 64)
        let sealed = try seal(input, chunkSize: 4096)
        #expect(sealed.url.lastPathComponent == "\(sealed.contentHash).bundle")
        #expect(sealed.header.records == 400)
        #expect(sealed.header.compressedSize > 4096 * 3)
        let attributes = try FileManager.default.attributesOfItem(atPath: sealed.url.path)
        #expect((attributes[.size] as? NSNumber)?.int64Value == sealed.size)
        #expect(try open(sealed.url) == input)
        let info = try BundleReader.inspect(sealed.url)
        #expect(info.header == sealed.header)
    }

    @Test func emptyBundlesOpen() throws {
        let sealed = try seal([])
        #expect(try open(sealed.url).isEmpty)
    }

    @Test func everyFlippedByteIsRejected() throws {
        let sealed = try seal(try lines(3))
        let original = try Data(contentsOf: sealed.url)
        let copy = directory.appendingPathComponent("tampered.bin")
        var accepted: [Int] = []
        var codes = Set<String>()
        for index in 0..<original.count {
            var bytes = original
            bytes[index] ^= 0x01
            try bytes.write(to: copy)
            if let code = code({ _ = try open(copy) }) { codes.insert(code) } else { accepted.append(index) }
        }
        #expect(accepted.isEmpty, "flipped bytes accepted at offsets \(accepted)")
        #expect(codes.contains("bundle.bad-signature"))
        #expect(codes.contains("bundle.malformed") || codes.contains("bundle.unsupported-version"))
    }

    @Test func truncationAtEveryChunkBoundaryIsRejected() throws {
        let sealed = try seal(try lines(200, size: 64), chunkSize: 1024)
        let info = try BundleReader.inspect(sealed.url)
        let original = try Data(contentsOf: sealed.url)
        let copy = directory.appendingPathComponent("cut.bin")
        var cuts = stride(from: info.payloadOffset, to: Int(info.signatureOffset), by: 1024 + 16).map { $0 }
        cuts += [Int(info.signatureOffset), original.count - 1, 10, 0]
        for cut in cuts {
            try original.prefix(cut).write(to: copy)
            #expect(code({ _ = try open(copy) }) != nil, "accepted a bundle cut at \(cut)")
        }
    }

    @Test func renamedFilesFailTheContentHash() throws {
        let sealed = try seal(try lines(2))
        let other = directory.appendingPathComponent("\(String(repeating: "0", count: 64)).bundle")
        try FileManager.default.copyItem(at: sealed.url, to: other)
        #expect(code({ _ = try open(other) }) == "bundle.name-mismatch")
    }

    @Test func unknownSendersAreRejected() throws {
        let sealed = try seal(try lines(2))
        let stranger = BundleReader(key: recipient, trust: TrustStore([recipient.publicKey]))
        #expect(code({ _ = try open(sealed.url, with: stranger) }) == "bundle.unknown-sender")
    }

    @Test func bundlesForSomeoneElseAreRejected() throws {
        let sealed = try seal(try lines(2))
        let bystander = BundleReader(key: try NodeKey.generate(node: "pp-gw"), trust: TrustStore([sender.publicKey]))
        #expect(code({ _ = try open(sealed.url, with: bystander) }) == "bundle.not-addressed")
    }

    @Test func expiredBundlesAreRejected() throws {
        let sealed = try seal(try lines(2), lifetime: 60)
        #expect(code({ _ = try open(sealed.url, now: Date().addingTimeInterval(120)) }) == "bundle.expired")
    }

    @Test func decompressionBeyondTheCapIsStopped() throws {
        // Highly compressible payload: a few KB on the wire, far more once decompressed.
        let big = [[UInt8](repeating: UInt8(ascii: "a"), count: 1 << 20)]
        let sealed = try seal(big)
        #expect(sealed.header.compressedSize < 4096)
        var capped = reader
        capped.limits.maxPlainSize = 64 * 1024
        #expect(code({ _ = try open(sealed.url, with: capped) }) == "bundle.too-large")
    }

    @Test func rotatedKeysStillOpenOldBundlesUntilRetired() throws {
        let old = try seal(try lines(2))
        let rotated = try NodeKey.generate(node: "ext-gw")
        let both = BundleReader(key: recipient, trust: TrustStore([sender.publicKey, rotated.publicKey]))
        #expect(try open(old.url, with: both).count == 2)
        let retired = BundleReader(key: recipient, trust: TrustStore([rotated.publicKey]))
        #expect(code({ _ = try open(old.url, with: retired) }) == "bundle.unknown-sender")
        #expect(TrustStore([sender.publicKey, rotated.publicKey]).current(forNode: "ext-gw")?.keyID == rotated.keyID)
    }

    @Test func privateKeysReadableByOthersAreRefused() throws {
        let files = try sender.write(to: directory.appendingPathComponent("keys"), name: "ext-gw")
        let mode = (try FileManager.default.attributesOfItem(atPath: files.privateFile.path)[.posixPermissions] as? NSNumber)?.intValue
        #expect(mode == 0o600)
        #expect(try NodeKey.load(files.privateFile).keyID == sender.keyID)
        #expect(try PublicKey.load(files.publicFile) == sender.publicKey)
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: files.privateFile.path)
        #expect(code({ _ = try NodeKey.load(files.privateFile) }) == "key.permissions")
        // and the error never carries the secret
        do { _ = try NodeKey.load(files.privateFile) } catch {
            let text = try String(contentsOf: files.privateFile, encoding: .utf8)
            let secret = text.components(separatedBy: "\n").first { $0.hasPrefix("sign:") }?.dropFirst(6) ?? ""
            #expect(!"\(error)".contains(secret))
        }
    }
}
