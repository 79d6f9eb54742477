import CFerryOpenSSL
import FerryCore

/// An OpenSSL key object, freed when the last reference goes.
final class PKey: @unchecked Sendable {
    // Sendable: the EVP_PKEY is never mutated after creation, and OpenSSL allows
    // concurrent use of one EVP_PKEY across threads for sign/derive.
    let pointer: OpaquePointer

    init(_ pointer: OpaquePointer) { self.pointer = pointer }
    deinit { EVP_PKEY_free(pointer) }

    static func raw(private bytes: [UInt8], type: Int32) throws -> PKey {
        guard let key = EVP_PKEY_new_raw_private_key(type, nil, bytes, bytes.count) else {
            throw cryptoFailure("loading a private key")
        }
        return PKey(key)
    }

    static func raw(public bytes: [UInt8], type: Int32) throws -> PKey {
        guard let key = EVP_PKEY_new_raw_public_key(type, nil, bytes, bytes.count) else {
            throw cryptoFailure("loading a public key")
        }
        return PKey(key)
    }

    static func generate(type: Int32) throws -> PKey {
        guard let context = EVP_PKEY_CTX_new_id(type, nil) else { throw cryptoFailure("key generation") }
        defer { EVP_PKEY_CTX_free(context) }
        try check(EVP_PKEY_keygen_init(context), "key generation")
        var key: OpaquePointer?
        try check(EVP_PKEY_keygen(context, &key), "key generation")
        guard let key else { throw cryptoFailure("key generation") }
        return PKey(key)
    }

    func rawPublic() throws -> [UInt8] {
        var length = 0
        try check(EVP_PKEY_get_raw_public_key(pointer, nil, &length), "reading a public key")
        var out = [UInt8](repeating: 0, count: length)
        try check(EVP_PKEY_get_raw_public_key(pointer, &out, &length), "reading a public key")
        return out
    }

    func rawPrivate() throws -> [UInt8] {
        var length = 0
        try check(EVP_PKEY_get_raw_private_key(pointer, nil, &length), "reading a private key")
        var out = [UInt8](repeating: 0, count: length)
        try check(EVP_PKEY_get_raw_private_key(pointer, &out, &length), "reading a private key")
        return out
    }
}

/// X25519 Diffie-Hellman (RFC 7748).
public enum X25519 {
    static let type = EVP_PKEY_X25519

    /// The shared secret between our private key and their public key.
    static func sharedSecret(_ ours: PKey, _ theirs: PKey) throws -> [UInt8] {
        guard let context = EVP_PKEY_CTX_new(ours.pointer, nil) else { throw cryptoFailure("X25519") }
        defer { EVP_PKEY_CTX_free(context) }
        try check(EVP_PKEY_derive_init(context), "X25519")
        try check(EVP_PKEY_derive_set_peer(context, theirs.pointer), "X25519")
        var length = 32
        var out = [UInt8](repeating: 0, count: 32)
        try check(EVP_PKEY_derive(context, &out, &length), "X25519")
        return out
    }

    /// RFC 7748 scalar multiplication on raw bytes, for known-answer tests.
    public static func sharedSecret(privateKey: [UInt8], publicKey: [UInt8]) throws -> [UInt8] {
        try sharedSecret(PKey.raw(private: privateKey, type: type), PKey.raw(public: publicKey, type: type))
    }

    public static func publicKey(privateKey: [UInt8]) throws -> [UInt8] {
        try PKey.raw(private: privateKey, type: type).rawPublic()
    }
}

/// Ed25519 signatures (RFC 8032), pure mode.
public enum Ed25519 {
    static let type = EVP_PKEY_ED25519

    static func sign(_ message: [UInt8], with key: PKey) throws -> [UInt8] {
        guard let context = EVP_MD_CTX_new() else { throw cryptoFailure("Ed25519 sign") }
        defer { EVP_MD_CTX_free(context) }
        try check(EVP_DigestSignInit(context, nil, nil, nil, key.pointer), "Ed25519 sign")
        var length = 64
        var signature = [UInt8](repeating: 0, count: 64)
        try check(EVP_DigestSign(context, &signature, &length, message, message.count), "Ed25519 sign")
        return Array(signature.prefix(length))
    }

    static func verify(_ signature: [UInt8], _ message: [UInt8], with key: PKey) -> Bool {
        guard let context = EVP_MD_CTX_new() else { return false }
        defer { EVP_MD_CTX_free(context) }
        guard EVP_DigestVerifyInit(context, nil, nil, nil, key.pointer) == 1 else { return false }
        let ok = EVP_DigestVerify(context, signature, signature.count, message, message.count) == 1
        ERR_clear_error()
        return ok
    }

    public static func sign(_ message: [UInt8], privateKey: [UInt8]) throws -> [UInt8] {
        try sign(message, with: PKey.raw(private: privateKey, type: type))
    }

    public static func verify(_ signature: [UInt8], _ message: [UInt8], publicKey: [UInt8]) -> Bool {
        guard let key = try? PKey.raw(public: publicKey, type: type) else { return false }
        return verify(signature, message, with: key)
    }

    public static func publicKey(privateKey: [UInt8]) throws -> [UInt8] {
        try PKey.raw(private: privateKey, type: type).rawPublic()
    }
}
