public import Foundation
public import FerryCore

extension FerryError.Code {
    public static let bundleMalformed: Self = "bundle.malformed"
    public static let bundleVersion: Self = "bundle.unsupported-version"
    public static let bundleSuite: Self = "bundle.unsupported-suite"
    public static let bundleUnknownSender: Self = "bundle.unknown-sender"
    public static let bundleNotAddressed: Self = "bundle.not-addressed"
    public static let bundleExpired: Self = "bundle.expired"
    public static let bundleBadSignature: Self = "bundle.bad-signature"
    public static let bundleNameMismatch: Self = "bundle.name-mismatch"
    public static let bundleTruncated: Self = "bundle.truncated"
    public static let bundleChunk: Self = "bundle.chunk-auth"
    public static let bundleTooLarge: Self = "bundle.too-large"
    public static let bundleCorrupt: Self = "bundle.corrupt"
    /// A bundle in another lane's transfer directory than its header names.
    public static let bundleWrongLane: Self = "bundle.wrong-lane"
    /// A bundle id received before: a copy, never applied again.
    public static let bundleDuplicate: Self = "bundle.duplicate"
    /// A lane sequence received before under another id: a replay.
    public static let bundleReplay: Self = "bundle.replay"
    /// A key of one suite asked to seal a channel of another.
    public static let bundleSuiteMismatch: Self = "bundle.suite-mismatch"
    /// A `*.bundle` file in a transfer area whose name is not a content hash.
    public static let bundleBadName: Self = "bundle.bad-name"
}

/// What can be learned from a bundle without any key.
public struct BundleInfo: Sendable {
    public var header: BundleHeader
    public var fileSize: Int64
    public var payloadOffset: Int
    public var signatureOffset: Int64
    public var chunks: Int64
    public var tagSize: Int
    var wrappedKeys: [(keyID: String, wrapped: [UInt8])]
    /// Everything before the payload: magic, version, header, recipient entries.
    var prefix: [UInt8]
    var headerBytes: [UInt8]
    var trailer: [UInt8]
    var signature: [UInt8]
}

/// Opens bundles paranoidly: structure, sender, addressing, expiry, content hash and
/// signature are all checked before a single byte is decrypted; every chunk is
/// authenticated into a private staging file before the first record is handed on.
public struct BundleReader: Sendable {
    public struct Limits: Sendable {
        /// The zip-bomb guard: no bundle may decompress beyond this, whatever it declares.
        public var maxPlainSize: Int64 = 4 << 30
        public var maxLineSize = 16 << 20
        /// Where decrypted (still compressed) payloads wait for their last chunk to verify.
        public var stagingDirectory = FileManager.default.temporaryDirectory
        public init() {}
    }

    /// This node's private keys: several while a key is being rotated, or one per suite.
    public let keys: [NodeKey]
    public let trust: TrustStore
    public var limits = Limits()

    public init(keys: [NodeKey], trust: TrustStore) {
        self.keys = keys
        self.trust = trust
    }

    public init(key: NodeKey, trust: TrustStore) {
        self.init(keys: [key], trust: trust)
    }

    /// The file's name as errors show it: a content-hash name as it is, anything else
    /// (a name chosen by whoever put the file there) in `OutsideText.describe`'s inert form.
    public static func displayName(_ url: URL) -> String {
        let name = url.lastPathComponent
        return OutsideText.isBundleFileName(name) ? name : OutsideText.describe(name)
    }

    /// Parses the plain parts of a bundle: header, recipients, layout. Decrypts nothing.
    /// Every text field of the header is shape-checked (`bundle.malformed` otherwise).
    public static func inspect(_ url: URL) throws -> BundleInfo {
        let name = displayName(url)
        func fail(_ code: FerryError.Code, _ message: String, _ offset: Int, hint: String? = nil) -> FerryError {
            FerryError(code, message, at: .bundle(id: name, offset: offset),
                hint: hint ?? "the file was damaged or altered in transit; ask the sender to resend")
        }
        guard let handle = try? FileHandle(forReadingFrom: url) else {
            throw FerryError(.io, "cannot read bundle \(name)")
        }
        defer { try? handle.close() }
        let fileSize = Int64((try? handle.seekToEnd()) ?? 0)
        try handle.seek(toOffset: 0)
        func read(_ count: Int, at offset: Int) throws -> [UInt8] {
            let bytes = [UInt8](try handle.read(upToCount: count) ?? Data())
            guard bytes.count == count else { throw fail(.bundleTruncated, "file ends inside the header", offset) }
            return bytes
        }
        let fixed = try read(BundleLayout.fixedPrefix, at: 0)
        guard Array(fixed[0..<8]) == BundleLayout.magic else {
            throw fail(.bundleMalformed, "not a Ferry bundle (bad magic)", 0, hint: "only .bundle files written by Ferry belong in a transfer directory")
        }
        let version = BundleLayout.read16(fixed[8..<10])
        guard version == Int(BundleLayout.version) else {
            throw fail(.bundleVersion, "format version \(version) is not supported (this build reads \(BundleLayout.version))", 8,
                hint: "upgrade this node's Ferry, or have the sender seal with a format this node reads")
        }
        let headerLength = BundleLayout.read32(fixed[10..<14])
        guard headerLength > 0, headerLength <= BundleLayout.maxHeader, Int64(headerLength) < fileSize else {
            throw fail(.bundleMalformed, "header length \(headerLength) is out of range", 10)
        }
        let headerBytes = try read(headerLength, at: 14)
        let header = try BundleHeader(decoding: headerBytes, bundle: name, offset: 14)
        guard let suite = Suites.named(header.suite) else {
            throw fail(.bundleSuite, "suite '\(header.suite)' is not supported (this build reads \(Suite.supported.joined(separator: ", ")))", 14,
                hint: "upgrade this node's Ferry, or seal this channel with a supported suite")
        }
        var offset = 14 + headerLength
        let count = BundleLayout.read16(try read(2, at: offset)[...])
        var prefix = fixed + headerBytes + BundleLayout.be16(UInt16(count))
        offset += 2
        guard count > 0, count <= 64 else { throw fail(.bundleMalformed, "recipient count \(count) is out of range", offset - 2) }
        var wrapped: [(String, [UInt8])] = []
        for _ in 0..<count {
            let idLength = Int(try read(1, at: offset)[0])
            let id = try read(idLength, at: offset + 1)
            let wrappedLength = BundleLayout.read16(try read(2, at: offset + 1 + idLength)[...])
            let key = try read(wrappedLength, at: offset + 3 + idLength)
            prefix += [UInt8(idLength)] + id + BundleLayout.be16(UInt16(wrappedLength)) + key
            wrapped.append((String(decoding: id, as: UTF8.self), key))
            offset += 3 + idLength + wrappedLength
        }
        guard fileSize >= offset + 2 else { throw fail(.bundleTruncated, "file ends before the payload", offset) }
        try handle.seek(toOffset: UInt64(fileSize - 2))
        let signatureLength = BundleLayout.read16(try read(2, at: Int(fileSize - 2))[...])
        let tagSize = try suite.chunkCipher(fileKey: [UInt8](repeating: 0, count: 32)).tagSize
        let chunks = BundleLayout.chunkCount(compressedSize: header.compressedSize, chunkSize: header.chunkSize)
        let expected = Int64(offset) + header.compressedSize + chunks * Int64(tagSize) + Int64(signatureLength) + 2
        guard expected == fileSize else {
            throw fail(fileSize < expected ? .bundleTruncated : .bundleMalformed,
                "file is \(fileSize) bytes but its header describes \(expected)", Int(min(fileSize, expected)))
        }
        let signatureOffset = fileSize - 2 - Int64(signatureLength)
        try handle.seek(toOffset: UInt64(signatureOffset))
        let signature = try read(signatureLength, at: Int(signatureOffset))
        return BundleInfo(
            header: header, fileSize: fileSize, payloadOffset: offset, signatureOffset: signatureOffset, chunks: chunks,
            tagSize: tagSize, wrappedKeys: wrapped, prefix: prefix, headerBytes: headerBytes,
            trailer: signature + BundleLayout.be16(UInt16(signatureLength)), signature: signature)
    }

    /// Verifies and decrypts a bundle, handing each record line to `onRecord`.
    ///
    /// Nothing reaches `onRecord` unless the name, the signature and every chunk verified.
    /// Callers should still stage what they receive and commit only when this returns: the
    /// line count and Merkle root are checked after the last record.
    @discardableResult
    public func open(_ url: URL, now: Date = Date(), onRecord: ([UInt8]) throws -> Void) throws -> BundleHeader {
        let info = try Self.inspect(url)
        let header = info.header
        let name = Self.displayName(url)
        func fail(_ code: FerryError.Code, _ message: String, _ offset: Int64, hint: String) -> FerryError {
            FerryError(code, message, at: .bundle(id: name, offset: Int(offset)), hint: hint)
        }
        let suite = try Suites.require(header.suite, in: name)
        let senderKey = try Self.senderKey(of: header, in: trust, fail: fail)
        guard let (key, wrapped) = keys.lazy.compactMap({ key in info.wrappedKeys.first { $0.keyID == key.keyID }.map { (key, $0.wrapped) } }).first
        else {
            throw fail(.bundleNotAddressed,
                "bundle is addressed to \(header.recipients.joined(separator: ", ")), not to this node's keys \(keys.map(\.keyID).joined(separator: ", "))", 14,
                hint: "check the channel directories: this bundle was dropped in the wrong place, or this node's key was retired")
        }
        guard now <= header.expires else {
            throw fail(.bundleExpired, "bundle expired at \(Timestamp.format(header.expires))", 14,
                hint: "ask the sender to re-seal the records; expired bundles are never opened")
        }

        let handle = try FileHandle(forReadingFrom: url)
        defer { try? handle.close() }
        try verifySignature(info, suite: suite, senderKey: senderKey, handle: handle, url: url, fail: fail)

        guard let fileKey = try suite.unwrap(wrapped, with: key, headerDigest: Hasher.digest(info.headerBytes, suite.hash)) else {
            throw fail(.bundleChunk, "the file key does not unwrap with this node's key \(key.keyID)", 14,
                hint: "the bundle was sealed to a different key with the same id; re-exchange keys")
        }
        let staged = try stage(info, suite: suite, fileKey: fileKey, handle: handle, name: name, fail: fail)
        defer { try? FileManager.default.removeItem(at: staged) }
        try release(staged, header: header, onRecord: onRecord, fail: fail, end: info.signatureOffset)
        return header
    }

    typealias Failure = (FerryError.Code, String, Int64, String) -> FerryError

    /// Checks only what needs no private key: structure, a trusted sender key of the
    /// header's node and suite, the content hash in the name and the sender's signature.
    /// For a receiving endpoint that must refuse forgeries before storing them; `open` does
    /// all of this again and more.
    /// - Returns: the inspected bundle, whose header fields are then known to be signed by
    ///   a trusted key of `header.sender`.
    /// - Throws: `bundle.malformed` and the other structure codes, `bundle.unsupported-suite`,
    ///   `bundle.unknown-sender`, `bundle.name-mismatch` or `bundle.bad-signature`.
    public static func verifySignature(of url: URL, trust: TrustStore) throws -> BundleInfo {
        let info = try inspect(url)
        let name = displayName(url)
        func fail(_ code: FerryError.Code, _ message: String, _ offset: Int64, hint: String) -> FerryError {
            FerryError(code, message, at: .bundle(id: name, offset: Int(offset)), hint: hint)
        }
        let suite = try Suites.require(info.header.suite, in: name)
        let senderKey = try senderKey(of: info.header, in: trust, fail: fail)
        let handle = try FileHandle(forReadingFrom: url)
        defer { try? handle.close() }
        try BundleReader(keys: [], trust: trust).verifySignature(info, suite: suite, senderKey: senderKey, handle: handle, url: url, fail: fail)
        return info
    }

    /// The trusted key the header names, if it belongs to the header's sender and suite.
    static func senderKey(of header: BundleHeader, in trust: TrustStore, fail: Failure) throws -> PublicKey {
        guard let key = trust.key(id: header.senderKey), key.node == header.sender, key.suite == header.suite else {
            throw fail(.bundleUnknownSender, "sender \(header.sender) key \(header.senderKey) is not trusted", 14,
                "add the sender's public key to this node's trust list if it is a genuine peer")
        }
        return key
    }

    /// Pass 1: the signed digest (over the whole ciphertext, or over the chunk MACs where the
    /// suite's MACs are collision-resistant), the content hash in the name, the signature.
    func verifySignature(_ info: BundleInfo, suite: any CryptoSuite, senderKey: PublicKey, handle: FileHandle, url: URL,
        fail: Failure) throws
    {
        let name = url.lastPathComponent
        let signed = try Hasher(suite.hash)
        signed.update(info.prefix)
        try handle.seek(toOffset: UInt64(info.payloadOffset))
        if suite.signsTags {
            var remaining = info.header.compressedSize
            var position = Int64(info.payloadOffset)
            for _ in 0..<info.chunks {
                let length = min(Int64(info.header.chunkSize), remaining)
                try handle.seek(toOffset: UInt64(position + length))
                signed.update([UInt8](try handle.read(upToCount: info.tagSize) ?? Data()))
                position += length + Int64(info.tagSize)
                remaining -= length
            }
        } else {
            var position = Int64(info.payloadOffset)
            while position < info.signatureOffset {
                guard let block = try handle.read(upToCount: Int(min(1 << 20, info.signatureOffset - position))), !block.isEmpty else { break }
                block.withUnsafeBytes { signed.update($0) }
                position += Int64(block.count)
            }
        }
        let digest = try signed.finish()
        let contentHash = hex(try Hasher.digest(digest + info.trailer, suite.hash))
        if name.hasSuffix(".bundle"), name.dropLast(".bundle".count) != contentHash {
            throw fail(.bundleNameMismatch, "content hash \(contentHash) does not match the file name", 0,
                "the file was altered after sealing, or renamed; ask the sender to resend")
        }
        guard suite.verify(info.signature, BundleLayout.signatureContext + digest, with: try suite.signing(public: senderKey.signing)) else {
            throw fail(.bundleBadSignature, "signature of \(info.header.sender) does not verify", info.signatureOffset,
                "the bundle was altered or not sealed by \(info.header.sender)")
        }
    }

    /// Pass 2: authenticate and decrypt every chunk into an owner-only staging file.
    func stage(_ info: BundleInfo, suite: any CryptoSuite, fileKey: [UInt8], handle: FileHandle, name: String,
        fail: Failure) throws -> URL
    {
        let header = info.header
        let aad = try Hasher.digest(info.prefix, suite.hash)
        try FileManager.default.createDirectory(at: limits.stagingDirectory, withIntermediateDirectories: true)
        let staged = limits.stagingDirectory.appendingPathComponent(".open-\(hex(try randomBytes(8))).zst")
        guard FileManager.default.createFile(atPath: staged.path, contents: nil, attributes: [.posixPermissions: 0o600]) else {
            throw FerryError(.io, "cannot create \(staged.path)", hint: "check free space and permissions of \(limits.stagingDirectory.path)")
        }
        var done = false
        defer { if !done { try? FileManager.default.removeItem(at: staged) } }
        let out = try FileHandle(forWritingTo: staged)
        defer { try? out.close() }
        try handle.seek(toOffset: UInt64(info.payloadOffset))
        var remaining = header.compressedSize
        var offset = Int64(info.payloadOffset)
        var counter: Int64 = 0
        while counter < info.chunks {
            var batch: [Data] = []
            var offsets: [Int64] = []
            while batch.count < ParallelChunks.batch && counter + Int64(batch.count) < info.chunks {
                let cipherLength = Int(min(Int64(header.chunkSize), remaining))
                let sealed = try handle.read(upToCount: cipherLength + info.tagSize) ?? Data()
                guard sealed.count == cipherLength + info.tagSize else {
                    throw fail(.bundleTruncated, "chunk \(counter + Int64(batch.count)) is short", offset,
                        "the file was cut short in transit; ask for a resend")
                }
                batch.append(sealed)
                offsets.append(offset)
                remaining -= Int64(cipherLength)
                offset += Int64(cipherLength + info.tagSize)
            }
            switch try ParallelChunks.open(batch, first: counter, total: info.chunks, suite: suite, fileKey: fileKey, aad: aad) {
            case .failure(let failed):
                throw fail(.bundleChunk, "chunk \(counter + Int64(failed.index)) fails authentication", offsets[failed.index],
                    "chunks were altered, reordered or dropped; ask for a resend")
            case .success(let plains):
                for plain in plains { try out.writeAll(plain) }
            }
            counter += Int64(batch.count)
        }
        done = true
        return staged
    }

    /// Pass 3: decompress the verified payload and hand on its lines, checking the declared
    /// size, the cap, the count and the Merkle root.
    func release(_ staged: URL, header: BundleHeader, onRecord: ([UInt8]) throws -> Void, fail: Failure, end: Int64) throws {
        let limit = min(limits.maxPlainSize, header.plainSize)
        let decompressor = try ZstdDecompressor(limit: Int(limit))
        let input = try FileHandle(forReadingFrom: staged)
        defer { try? input.close() }
        var line: [UInt8] = []
        var merkle = MerkleTree()
        let maxLine = limits.maxLineSize
        while let block = try input.read(upToCount: 1 << 20), !block.isEmpty {
            do {
                try block.withUnsafeBytes { raw in
                    try decompressor.decompress(raw) { piece in
                        guard let base = piece.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return }
                        var start = 0
                        // Lines are split with memchr and copied whole: a documents bundle's
                        // megabyte lines made a byte-by-byte scan the receiver's largest cost.
                        while start < piece.count, let found = memchr(base + start, 0x0A, piece.count - start) {
                            let newline = base.distance(to: found.assumingMemoryBound(to: UInt8.self))
                            line.append(contentsOf: UnsafeBufferPointer(start: base + start, count: newline - start))
                            merkle.append(leaf: line)
                            try onRecord(line)
                            line.removeAll(keepingCapacity: true)
                            start = newline + 1
                        }
                        line.append(contentsOf: UnsafeBufferPointer(start: base + start, count: piece.count - start))
                        if line.count > maxLine {
                            throw fail(.bundleTooLarge, "a record exceeds \(maxLine) bytes", end,
                                "raise the record size limit only if such records are expected")
                        }
                    }
                }
            } catch ZstdDecompressor.Failure.tooLarge {
                throw fail(.bundleTooLarge, "payload decompresses beyond \(limit) bytes (declared \(header.plainSize))", end,
                    "the bundle is a decompression bomb or its header lies")
            } catch ZstdDecompressor.Failure.corrupt(let reason) {
                throw fail(.bundleCorrupt, "payload does not decompress: \(reason)", end, "ask for a resend")
            }
        }
        guard decompressor.frameComplete, line.isEmpty, Int64(decompressor.produced) == header.plainSize else {
            throw fail(.bundleCorrupt, "payload ends early: \(decompressor.produced) of \(header.plainSize) bytes", end,
                "ask for a resend")
        }
        guard merkle.count == header.records, hex(merkle.root) == header.merkleRoot else {
            throw fail(.bundleCorrupt, "records do not match the header's count or Merkle root", end,
                "the sender's packer is faulty or the bundle was forged with its key; report it")
        }
    }
}
