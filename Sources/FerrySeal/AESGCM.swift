import CFerryOpenSSL
import FerryCore

/// AES-256-GCM with a reusable context, for sealing many chunks under one key.
final class AESGCM {
    static let tagSize = 16
    private let context: OpaquePointer
    private let key: [UInt8]

    init(key: [UInt8]) throws {
        guard key.count == 32 else { throw FerryError(.crypto, "AES-256-GCM needs a 32-byte key") }
        guard let context = EVP_CIPHER_CTX_new() else { throw cryptoFailure("cipher allocation") }
        self.context = context
        self.key = key
    }

    deinit { EVP_CIPHER_CTX_free(context) }

    /// Encrypts `plain` into `out` (ciphertext then 16-byte tag).
    func seal(_ plain: UnsafeRawBufferPointer, nonce: [UInt8], aad: [UInt8], into out: inout [UInt8]) throws {
        try check(EVP_EncryptInit_ex(context, Fetched.aes256gcm.pointer, nil, nil, nil), "AES-GCM init")
        try check(cferry_gcm_set_ivlen(context, Int32(nonce.count)), "AES-GCM nonce")
        try check(EVP_EncryptInit_ex(context, nil, nil, key, nonce), "AES-GCM key")
        var length: Int32 = 0
        if !aad.isEmpty { try check(EVP_EncryptUpdate(context, nil, &length, aad, Int32(aad.count)), "AES-GCM aad") }
        let start = out.count
        out.appendZeros(plain.count + Self.tagSize)
        try out.withUnsafeMutableBufferPointer { buffer in
            let base = buffer.baseAddress! + start
            if plain.count > 0 {
                try check(EVP_EncryptUpdate(context, base, &length, plain.baseAddress, Int32(plain.count)), "AES-GCM encrypt")
            }
            try check(EVP_EncryptFinal_ex(context, base + plain.count, &length), "AES-GCM final")
            try check(cferry_gcm_get_tag(context, base + plain.count, Int32(Self.tagSize)), "AES-GCM tag")
        }
    }

    /// Decrypts ciphertext+tag; returns nil when authentication fails.
    func open(_ sealed: UnsafeRawBufferPointer, nonce: [UInt8], aad: [UInt8], into out: inout [UInt8]) throws -> Bool {
        guard sealed.count >= Self.tagSize else { return false }
        let cipherLength = sealed.count - Self.tagSize
        try check(EVP_DecryptInit_ex(context, Fetched.aes256gcm.pointer, nil, nil, nil), "AES-GCM init")
        try check(cferry_gcm_set_ivlen(context, Int32(nonce.count)), "AES-GCM nonce")
        try check(EVP_DecryptInit_ex(context, nil, nil, key, nonce), "AES-GCM key")
        var length: Int32 = 0
        if !aad.isEmpty { try check(EVP_DecryptUpdate(context, nil, &length, aad, Int32(aad.count)), "AES-GCM aad") }
        let start = out.count
        out.appendZeros(cipherLength)
        var tag = Array(sealed[cipherLength...])
        let ok = out.withUnsafeMutableBufferPointer { buffer -> Bool in
            let base = buffer.baseAddress! + start
            if cipherLength > 0 {
                guard EVP_DecryptUpdate(context, base, &length, sealed.baseAddress, Int32(cipherLength)) == 1 else { return false }
            }
            guard cferry_gcm_set_tag(context, &tag, Int32(Self.tagSize)) == 1 else { return false }
            return EVP_DecryptFinal_ex(context, base + cipherLength, &length) == 1
        }
        if !ok {
            out.removeLast(cipherLength)
            ERR_clear_error()
        }
        return ok
    }

    /// One-shot helpers for small messages and known-answer tests.
    static func seal(key: [UInt8], nonce: [UInt8], aad: [UInt8], plain: [UInt8]) throws -> [UInt8] {
        var out: [UInt8] = []
        try plain.withUnsafeBytes { try AESGCM(key: key).seal($0, nonce: nonce, aad: aad, into: &out) }
        return out
    }

    static func open(key: [UInt8], nonce: [UInt8], aad: [UInt8], sealed: [UInt8]) throws -> [UInt8]? {
        var out: [UInt8] = []
        let ok = try sealed.withUnsafeBytes { try AESGCM(key: key).open($0, nonce: nonce, aad: aad, into: &out) }
        return ok ? out : nil
    }
}
