import FerryCore

/// `x25519-aes256gcm-ed25519`: ephemeral X25519 + HKDF-SHA256 key wrap, AES-256-GCM
/// chunks, Ed25519 signatures, SHA-256 digests.
struct X25519Suite: CryptoSuite {
    let name = Suite.defaultSuite
    let hash = Hasher.Algorithm.sha256
    let signsTags = false
    static let wrapInfo: [UInt8] = Array("FERRY-BUNDLE-FILE-KEY-V1".utf8)

    func generateSigning() throws -> PKey { try PKey.generate(type: Ed25519.type) }
    func generateBox() throws -> PKey { try PKey.generate(type: X25519.type) }
    func encodePrivate(_ key: PKey) throws -> [UInt8] { try key.rawPrivate() }
    func encodePublic(_ key: PKey) throws -> [UInt8] { try key.rawPublic() }
    func signing(private bytes: [UInt8]) throws -> PKey { try PKey.raw(private: exact(bytes), type: Ed25519.type) }
    func box(private bytes: [UInt8]) throws -> PKey { try PKey.raw(private: exact(bytes), type: X25519.type) }
    func signing(public bytes: [UInt8]) throws -> PKey { try PKey.raw(public: exact(bytes), type: Ed25519.type) }
    func box(public bytes: [UInt8]) throws -> PKey { try PKey.raw(public: exact(bytes), type: X25519.type) }

    private func exact(_ bytes: [UInt8]) throws -> [UInt8] {
        guard bytes.count == 32 else { throw FerryError(.keyFile, "a \(name) key is 32 bytes, not \(bytes.count)") }
        return bytes
    }

    func sign(_ message: [UInt8], with key: PKey) throws -> [UInt8] { try Ed25519.sign(message, with: key) }
    func verify(_ signature: [UInt8], _ message: [UInt8], with key: PKey) -> Bool { Ed25519.verify(signature, message, with: key) }

    func wrap(fileKey: [UInt8], for recipient: PublicKey, headerDigest: [UInt8]) throws -> [UInt8] {
        let ephemeral = try PKey.generate(type: X25519.type)
        let ephemeralPublic = try ephemeral.rawPublic()
        let shared = try X25519.sharedSecret(ephemeral, try box(public: recipient.box))
        let kek = try HKDF.sha256(salt: ephemeralPublic + recipient.box, ikm: shared, info: Self.wrapInfo, length: 32)
        return ephemeralPublic + (try AESGCM.seal(key: kek, nonce: [UInt8](repeating: 0, count: 12), aad: headerDigest, plain: fileKey))
    }

    func unwrap(_ wrapped: [UInt8], with key: NodeKey, headerDigest: [UInt8]) throws -> [UInt8]? {
        guard wrapped.count == 80 else { return nil }
        let ephemeralPublic = Array(wrapped[0..<32])
        guard let ephemeral = try? box(public: ephemeralPublic) else { return nil }
        let shared = try X25519.sharedSecret(key.box, ephemeral)
        let kek = try HKDF.sha256(salt: ephemeralPublic + key.publicKey.box, ikm: shared, info: Self.wrapInfo, length: 32)
        return try AESGCM.open(key: kek, nonce: [UInt8](repeating: 0, count: 12), aad: headerDigest, sealed: Array(wrapped[32...]))
    }

    func chunkCipher(fileKey: [UInt8]) throws -> any ChunkCipher { GCMChunks(cipher: try AESGCM(key: fileKey)) }

    struct GCMChunks: ChunkCipher {
        let cipher: AESGCM
        var tagSize: Int { AESGCM.tagSize }

        func seal(_ plain: UnsafeRawBufferPointer, counter: UInt64, final: Bool, aad: [UInt8], into out: inout [UInt8]) throws {
            try cipher.seal(plain, nonce: BundleLayout.nonce(counter: counter, final: final), aad: aad, into: &out)
        }

        func open(_ sealed: UnsafeRawBufferPointer, counter: UInt64, final: Bool, aad: [UInt8], into out: inout [UInt8]) throws -> Bool {
            try cipher.open(sealed, nonce: BundleLayout.nonce(counter: counter, final: final), aad: aad, into: &out)
        }
    }
}
