import CFerryOpenSSL
import FerryCore

/// SM2 (GB/T 32918): signatures with SM3 and the default distinguishing identifier,
/// and public-key encryption of small secrets.
enum SM2 {
    static func generate() throws -> PKey {
        guard let key = cferry_sm2_generate() else { throw cryptoFailure("SM2 key generation") }
        return PKey(key)
    }

    static func sign(_ message: [UInt8], with key: PKey) throws -> [UInt8] {
        var signature = [UInt8](repeating: 0, count: 80)
        var length = signature.count
        try check(cferry_sm2_sign(key.pointer, message, message.count, &signature, &length), "SM2 sign")
        return Array(signature.prefix(length))
    }

    static func verify(_ signature: [UInt8], _ message: [UInt8], with key: PKey) -> Bool {
        let ok = cferry_sm2_verify(key.pointer, message, message.count, signature, signature.count) == 1
        ERR_clear_error()
        return ok
    }

    static func encrypt(_ plain: [UInt8], to key: PKey) throws -> [UInt8] {
        var length = 0
        try check(cferry_pkey_encrypt(key.pointer, plain, plain.count, nil, &length), "SM2 encrypt")
        var out = [UInt8](repeating: 0, count: length)
        try check(cferry_pkey_encrypt(key.pointer, plain, plain.count, &out, &length), "SM2 encrypt")
        return Array(out.prefix(length))
    }

    /// Nil when the ciphertext does not decrypt under this key (tampered or not ours).
    static func decrypt(_ sealed: [UInt8], with key: PKey) -> [UInt8]? {
        var length = 0
        guard cferry_pkey_decrypt(key.pointer, sealed, sealed.count, nil, &length) == 1 else {
            ERR_clear_error()
            return nil
        }
        var out = [UInt8](repeating: 0, count: length)
        guard cferry_pkey_decrypt(key.pointer, sealed, sealed.count, &out, &length) == 1 else {
            ERR_clear_error()
            return nil
        }
        return Array(out.prefix(length))
    }
}

extension PKey {
    /// PKCS#8 DER of a private key; for suites whose keys have no raw form.
    func privateDER() throws -> [UInt8] {
        var pointer: UnsafeMutablePointer<UInt8>?
        let length = cferry_private_der(self.pointer, &pointer)
        guard length > 0, let pointer else { throw cryptoFailure("encoding a private key") }
        defer { cferry_free(pointer) }
        return Array(UnsafeBufferPointer(start: pointer, count: Int(length)))
    }

    /// SubjectPublicKeyInfo DER of a public key.
    func publicDER() throws -> [UInt8] {
        var pointer: UnsafeMutablePointer<UInt8>?
        let length = cferry_public_der(self.pointer, &pointer)
        guard length > 0, let pointer else { throw cryptoFailure("encoding a public key") }
        defer { cferry_free(pointer) }
        return Array(UnsafeBufferPointer(start: pointer, count: Int(length)))
    }

    static func privateSM2(der: [UInt8]) throws -> PKey {
        guard let key = cferry_private_from_der(der, der.count), cferry_is_sm2(key) == 1 else {
            throw cryptoFailure("loading an SM2 private key")
        }
        return PKey(key)
    }

    static func publicSM2(der: [UInt8]) throws -> PKey {
        guard let key = cferry_public_from_der(der, der.count), cferry_is_sm2(key) == 1 else {
            throw cryptoFailure("loading an SM2 public key")
        }
        return PKey(key)
    }
}

/// SM4 in counter mode (GB/T 32907), one context reused across chunks.
final class SM4CTR {
    private let context: OpaquePointer
    private let key: [UInt8]

    init(key: [UInt8]) throws {
        guard key.count == 16 else { throw FerryError(.crypto, "SM4 needs a 16-byte key") }
        guard let context = EVP_CIPHER_CTX_new() else { throw cryptoFailure("cipher allocation") }
        self.context = context
        self.key = key
    }

    deinit { EVP_CIPHER_CTX_free(context) }

    /// Applies the keystream for `iv` to `input`, appending to `output` (CTR is its own inverse).
    func apply(_ input: UnsafeRawBufferPointer, iv: [UInt8], into output: inout [UInt8]) throws {
        try check(EVP_EncryptInit_ex(context, Fetched.sm4ctr.pointer, nil, key, iv), "SM4-CTR init")
        let start = output.count
        output.appendZeros(input.count)
        guard input.count > 0 else { return }
        var length: Int32 = 0
        try output.withUnsafeMutableBufferPointer { buffer in
            try check(EVP_EncryptUpdate(context, buffer.baseAddress! + start, &length, input.baseAddress, Int32(input.count)), "SM4-CTR")
        }
    }

    /// One ECB block, for the GB/T 32907 known-answer test.
    static func encryptBlock(key: [UInt8], block: [UInt8]) throws -> [UInt8] {
        guard let context = EVP_CIPHER_CTX_new() else { throw cryptoFailure("cipher allocation") }
        defer { EVP_CIPHER_CTX_free(context) }
        try check(EVP_EncryptInit_ex(context, EVP_sm4_ecb(), nil, key, nil), "SM4 init")
        EVP_CIPHER_CTX_set_padding(context, 0)
        var out = [UInt8](repeating: 0, count: 16)
        var length: Int32 = 0
        try check(EVP_EncryptUpdate(context, &out, &length, block, 16), "SM4")
        return out
    }
}

extension HMAC {
    public static func sm3(key: [UInt8], _ message: UnsafeRawBufferPointer) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 0
        _ = key.withUnsafeBufferPointer { k in
            CFerryOpenSSL.HMAC(EVP_sm3(), k.baseAddress, Int32(k.count), message.baseAddress?.assumingMemoryBound(to: UInt8.self),
                message.count, &out, &length)
        }
        return out
    }

    public static func sm3(key: [UInt8], _ message: [UInt8]) -> [UInt8] {
        message.withUnsafeBytes { sm3(key: key, $0) }
    }
}
