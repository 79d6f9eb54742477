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
}

/// What can be learned from a bundle without any key.
public struct BundleInfo: Sendable {
    public var header: BundleHeader
    public var fileSize: Int64
    public var payloadOffset: Int
    public var signatureOffset: Int64
    var wrappedKeys: [(keyID: String, wrapped: [UInt8])]
    var prefixDigest: [UInt8]
    var headerDigest: [UInt8]
    var signature: [UInt8]
}

/// Opens bundles paranoidly: structure, sender, addressing, expiry, content hash and
/// signature are all checked before a single byte is decrypted, and records are handed on
/// only from a bundle whose signature verified.
public struct BundleReader: Sendable {
    public struct Limits: Sendable {
        /// The zip-bomb guard: no bundle may decompress beyond this, whatever it declares.
        public var maxPlainSize: Int64 = 4 << 30
        public var maxLineSize = 16 << 20
        public init() {}
    }

    public let key: NodeKey
    public let trust: TrustStore
    public var limits = Limits()

    public init(key: NodeKey, trust: TrustStore) {
        self.key = key
        self.trust = trust
    }

    /// Parses the plain parts of a bundle: header, recipients, layout. Decrypts nothing.
    public static func inspect(_ url: URL) throws -> BundleInfo {
        let name = url.lastPathComponent
        func fail(_ code: FerryError.Code, _ message: String, _ offset: Int, hint: String? = nil) -> FerryError {
            FerryError(code, message, at: .bundle(id: name, offset: offset),
                hint: hint ?? "the file was damaged or altered in transit; it is quarantined, ask the sender to resend")
        }
        guard let handle = try? FileHandle(forReadingFrom: url) else {
            throw FerryError(.io, "cannot read \(url.path)")
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
        let chunks = BundleLayout.chunkCount(compressedSize: header.compressedSize, chunkSize: header.chunkSize)
        let expected = Int64(offset) + header.compressedSize + chunks * Int64(BundleLayout.tagSize) + Int64(signatureLength) + 2
        guard expected == fileSize else {
            throw fail(fileSize < expected ? .bundleTruncated : .bundleMalformed,
                "file is \(fileSize) bytes but its header describes \(expected)", Int(min(fileSize, expected)))
        }
        let signatureOffset = fileSize - 2 - Int64(signatureLength)
        try handle.seek(toOffset: UInt64(signatureOffset))
        let signature = try read(signatureLength, at: Int(signatureOffset))
        return BundleInfo(
            header: header, fileSize: fileSize, payloadOffset: offset, signatureOffset: signatureOffset,
            wrappedKeys: wrapped, prefixDigest: Hasher.sha256(prefix), headerDigest: Hasher.sha256(headerBytes),
            signature: signature)
    }

    /// Verifies and decrypts a bundle, handing each record line to `onRecord`.
    ///
    /// Every check that needs no decryption runs first; `onRecord` sees nothing unless the
    /// signature over the whole file verified. Callers stage what they receive and commit
    /// only when this returns, so a chunk failure late in the file still applies nothing.
    @discardableResult
    public func open(_ url: URL, now: Date = Date(), onRecord: ([UInt8]) throws -> Void) throws -> BundleHeader {
        let info = try Self.inspect(url)
        let header = info.header
        let name = url.lastPathComponent
        func fail(_ code: FerryError.Code, _ message: String, _ offset: Int64, hint: String) -> FerryError {
            FerryError(code, message, at: .bundle(id: name, offset: Int(offset)), hint: hint)
        }
        guard Suite.supported.contains(header.suite) else {
            throw fail(.bundleSuite, "suite '\(header.suite)' is not supported", 14, hint: "upgrade this node or seal with \(Suite.defaultSuite)")
        }
        guard let senderKey = trust.key(id: header.senderKey), senderKey.node == header.sender else {
            throw fail(.bundleUnknownSender, "sender \(header.sender) key \(header.senderKey) is not trusted", 14,
                hint: "add the sender's public key to this node's trust list if it is a genuine peer")
        }
        guard let wrapped = info.wrappedKeys.first(where: { $0.keyID == key.keyID }) else {
            throw fail(.bundleNotAddressed, "bundle is addressed to \(header.recipients.joined(separator: ", ")), not to this node's key \(key.keyID)", 14,
                hint: "check the channel directories: this bundle was dropped in the wrong place, or this node's key was rotated")
        }
        guard now <= header.expires else {
            throw fail(.bundleExpired, "bundle expired at \(Timestamp.format(header.expires))", 14,
                hint: "ask the sender to re-seal the records; expired bundles are never opened")
        }

        // Pass 1: the content hash in the name and the signature over everything before it.
        let handle = try FileHandle(forReadingFrom: url)
        defer { try? handle.close() }
        let fileHasher = try Hasher()
        let signedHasher = try Hasher()
        var position: Int64 = 0
        while position < info.fileSize {
            let block = [UInt8](try handle.read(upToCount: 1 << 20) ?? Data())
            guard !block.isEmpty else { break }
            fileHasher.update(block)
            let signedPart = max(0, min(Int64(block.count), info.signatureOffset - position))
            if signedPart > 0 { signedHasher.update(Array(block[0..<Int(signedPart)])) }
            position += Int64(block.count)
        }
        let contentHash = hex(try fileHasher.finish())
        if name.hasSuffix(".bundle"), name.dropLast(".bundle".count) != contentHash {
            throw fail(.bundleNameMismatch, "content hash \(contentHash) does not match the file name", 0,
                hint: "the file was altered after sealing; it is quarantined")
        }
        let signed = BundleLayout.signatureContext + (try signedHasher.finish())
        guard Ed25519.verify(info.signature, signed, with: try PKey.raw(public: senderKey.signing, type: Ed25519.type)) else {
            throw fail(.bundleBadSignature, "signature of \(header.sender) does not verify", info.signatureOffset,
                hint: "the bundle was altered or not sealed by \(header.sender); it is quarantined")
        }

        // Pass 2: unwrap the file key, then decrypt, decompress and split records.
        let fileKey = try unwrap(wrapped.wrapped, headerDigest: info.headerDigest)
        guard let fileKey else {
            throw fail(.bundleChunk, "the file key does not unwrap with this node's key", 14, hint: "the bundle was sealed to a different key with the same id; re-exchange keys")
        }
        let cipher = try AESGCM(key: fileKey)
        let limit = min(limits.maxPlainSize, header.plainSize)
        let decompressor = try ZstdDecompressor(limit: Int(limit))
        let chunks = BundleLayout.chunkCount(compressedSize: header.compressedSize, chunkSize: header.chunkSize)
        try handle.seek(toOffset: UInt64(info.payloadOffset))
        var remaining = header.compressedSize
        var plain: [UInt8] = []
        var line: [UInt8] = []
        var merkle = MerkleTree()
        var offset = Int64(info.payloadOffset)
        for counter in 0..<chunks {
            let cipherLength = Int(min(Int64(header.chunkSize), remaining))
            let sealed = [UInt8](try handle.read(upToCount: cipherLength + BundleLayout.tagSize) ?? Data())
            guard sealed.count == cipherLength + BundleLayout.tagSize else {
                throw fail(.bundleTruncated, "chunk \(counter) is short", offset, hint: "the file was cut short in transit; ask for a resend")
            }
            plain.removeAll(keepingCapacity: true)
            let nonce = BundleLayout.nonce(counter: UInt64(counter), final: counter == chunks - 1)
            let ok = try sealed.withUnsafeBytes { try cipher.open($0, nonce: nonce, aad: info.prefixDigest, into: &plain) }
            guard ok else {
                throw fail(.bundleChunk, "chunk \(counter) fails authentication", offset,
                    hint: "chunks were altered, reordered or dropped; the bundle is quarantined")
            }
            do {
                try plain.withUnsafeBytes { raw in
                    try decompressor.decompress(raw) { piece in
                        for byte in piece {
                            if byte == 0x0A {
                                merkle.append(leaf: line)
                                try onRecord(line)
                                line.removeAll(keepingCapacity: true)
                            } else {
                                line.append(byte)
                                if line.count > limits.maxLineSize {
                                    throw fail(.bundleTooLarge, "a record exceeds \(limits.maxLineSize) bytes", offset,
                                        hint: "raise the record size limit only if such records are expected")
                                }
                            }
                        }
                    }
                }
            } catch ZstdDecompressor.Failure.tooLarge {
                throw fail(.bundleTooLarge, "payload decompresses beyond \(limit) bytes (declared \(header.plainSize))", offset,
                    hint: "the bundle is a decompression bomb or its header lies; it is quarantined")
            } catch ZstdDecompressor.Failure.corrupt(let reason) {
                throw fail(.bundleCorrupt, "payload does not decompress: \(reason)", offset, hint: "the bundle is quarantined; ask for a resend")
            }
            remaining -= Int64(cipherLength)
            offset += Int64(cipherLength + BundleLayout.tagSize)
        }
        guard decompressor.frameComplete, line.isEmpty, Int64(decompressor.produced) == header.plainSize else {
            throw fail(.bundleCorrupt, "payload ends early: \(decompressor.produced) of \(header.plainSize) bytes", offset,
                hint: "the bundle is quarantined; ask for a resend")
        }
        guard merkle.count == header.records, hex(merkle.root) == header.merkleRoot else {
            throw fail(.bundleCorrupt, "records do not match the header's count or Merkle root", offset,
                hint: "the sender's packer is faulty or the bundle was forged with its key; report it")
        }
        return header
    }

    private func unwrap(_ wrapped: [UInt8], headerDigest: [UInt8]) throws -> [UInt8]? {
        guard wrapped.count == BundleLayout.wrappedKeySize else { return nil }
        let ephemeralPublic = Array(wrapped[0..<32])
        let shared = try X25519.sharedSecret(key.box, try PKey.raw(public: ephemeralPublic, type: X25519.type))
        let kek = try HKDF.sha256(salt: ephemeralPublic + key.publicKey.box, ikm: shared, info: BundleLayout.wrapInfo, length: 32)
        return try AESGCM.open(key: kek, nonce: [UInt8](repeating: 0, count: 12), aad: headerDigest, sealed: Array(wrapped[32...]))
    }
}
