import FerryCore

/// `sm2-sm4-sm3`, China's commercial cryptography (GB/T 32918, 32907, 32905): SM2
/// encryption of the file key, SM4-CTR chunks with HMAC-SM3 (encrypt-then-MAC), SM2
/// signatures with SM3, SM3 digests.
struct SMSuite: CryptoSuite {
    let name = Suite.sm
    let hash = Hasher.Algorithm.sm3
    let signsTags = true
    static let encryptionLabel: [UInt8] = Array("FERRY-SM4-KEY-V1".utf8)
    static let macLabel: [UInt8] = Array("FERRY-SM3-MAC-KEY-V1".utf8)

    func generateSigning() throws -> PKey { try SM2.generate() }
    func generateBox() throws -> PKey { try SM2.generate() }
    func encodePrivate(_ key: PKey) throws -> [UInt8] { try key.privateDER() }
    func encodePublic(_ key: PKey) throws -> [UInt8] { try key.publicDER() }
    func signing(private bytes: [UInt8]) throws -> PKey { try PKey.privateSM2(der: bytes) }
    func box(private bytes: [UInt8]) throws -> PKey { try PKey.privateSM2(der: bytes) }
    func signing(public bytes: [UInt8]) throws -> PKey { try PKey.publicSM2(der: bytes) }
    func box(public bytes: [UInt8]) throws -> PKey { try PKey.publicSM2(der: bytes) }

    func sign(_ message: [UInt8], with key: PKey) throws -> [UInt8] { try SM2.sign(message, with: key) }
    func verify(_ signature: [UInt8], _ message: [UInt8], with key: PKey) -> Bool { SM2.verify(signature, message, with: key) }

    // SM2 encryption carries no associated data; the wrapped key is bound to the header by
    // the signature and by every chunk's MAC, which both cover the recipient entries.
    func wrap(fileKey: [UInt8], for recipient: PublicKey, headerDigest: [UInt8]) throws -> [UInt8] {
        try SM2.encrypt(fileKey, to: try box(public: recipient.box))
    }

    func unwrap(_ wrapped: [UInt8], with key: NodeKey, headerDigest: [UInt8]) throws -> [UInt8]? {
        guard let fileKey = SM2.decrypt(wrapped, with: key.box), fileKey.count == 32 else { return nil }
        return fileKey
    }

    func chunkCipher(fileKey: [UInt8]) throws -> any ChunkCipher {
        try SM4Chunks(fileKey: fileKey)
    }

    /// Chunk keys: `K_enc = HMAC-SM3(file key, "FERRY-SM4-KEY-V1")[0..<16]` and
    /// `K_mac = HMAC-SM3(file key, "FERRY-SM3-MAC-KEY-V1")`.
    struct SM4Chunks: ChunkCipher {
        let cipher: SM4CTR
        let macKey: [UInt8]
        var tagSize: Int { 32 }

        init(fileKey: [UInt8]) throws {
            cipher = try SM4CTR(key: Array(HMAC.sm3(key: fileKey, SMSuite.encryptionLabel).prefix(16)))
            macKey = HMAC.sm3(key: fileKey, SMSuite.macLabel)
        }

        /// 11-byte chunk counter, the final flag, then SM4's 32-bit block counter from zero.
        static func iv(counter: UInt64, final: Bool) -> [UInt8] {
            BundleLayout.nonce(counter: counter, final: final) + [0, 0, 0, 0]
        }

        /// HMAC-SM3 over aad || be64(counter) || final || ciphertext.
        func tag(_ ciphertext: UnsafeRawBufferPointer, counter: UInt64, final: Bool, aad: [UInt8]) -> [UInt8] {
            var message = aad
            message.reserveCapacity(aad.count + 9 + ciphertext.count)
            for shift in stride(from: 56, through: 0, by: -8) { message.append(UInt8((counter >> UInt64(shift)) & 0xFF)) }
            message.append(final ? 1 : 0)
            message.append(contentsOf: ciphertext)
            return HMAC.sm3(key: macKey, message)
        }

        func seal(_ plain: UnsafeRawBufferPointer, counter: UInt64, final: Bool, aad: [UInt8], into out: inout [UInt8]) throws {
            let start = out.count
            try cipher.apply(plain, iv: Self.iv(counter: counter, final: final), into: &out)
            let mac = out.withUnsafeBytes { tag(UnsafeRawBufferPointer(rebasing: $0[start...]), counter: counter, final: final, aad: aad) }
            out.append(contentsOf: mac)
        }

        func open(_ sealed: UnsafeRawBufferPointer, counter: UInt64, final: Bool, aad: [UInt8], into out: inout [UInt8]) throws -> Bool {
            guard sealed.count >= tagSize else { return false }
            let body = UnsafeRawBufferPointer(rebasing: sealed[..<(sealed.count - tagSize)])
            let expected = tag(body, counter: counter, final: final, aad: aad)
            // Constant-time comparison: the MAC is checked before anything is decrypted.
            var difference: UInt8 = 0
            for (a, b) in zip(expected, sealed[(sealed.count - tagSize)...]) { difference |= a ^ b }
            guard difference == 0 else { return false }
            try cipher.apply(body, iv: Self.iv(counter: counter, final: final), into: &out)
            return true
        }
    }
}
