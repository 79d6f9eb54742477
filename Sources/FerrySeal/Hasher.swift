import CFerryOpenSSL
public import FerryCore

/// A streaming message digest (SHA-256 now; SM3 joins with the SM suite).
public final class Hasher {
    public enum Algorithm: String, Sendable {
        case sha256
        case sm3

        /// The provider's implementation, fetched once: `EVP_sha256()` would make OpenSSL 3
        /// look it up again on every init, which dominated hashing one record at a time.
        var md: OpaquePointer? {
            switch self {
            case .sha256: return Fetched.sha256.pointer
            case .sm3: return Fetched.sm3.pointer
            }
        }
    }

    private let context: OpaquePointer

    public init(_ algorithm: Algorithm = .sha256) throws {
        guard let context = EVP_MD_CTX_new() else { throw cryptoFailure("digest allocation") }
        self.context = context
        try check(EVP_DigestInit_ex(context, algorithm.md, nil), "digest init")
    }

    deinit { EVP_MD_CTX_free(context) }

    public func update(_ bytes: UnsafeRawBufferPointer) {
        guard bytes.count > 0 else { return }
        // Cannot fail for an initialised software digest; a failure would surface in finish().
        _ = EVP_DigestUpdate(context, bytes.baseAddress, bytes.count)
    }

    public func update(_ bytes: [UInt8]) { bytes.withUnsafeBytes { update($0) } }
    public func update(_ text: String) { update(Array(text.utf8)) }

    public func finish() throws -> [UInt8] {
        var out = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        try check(EVP_DigestFinal_ex(context, &out, &length), "digest final")
        return Array(out.prefix(Int(length)))
    }

    /// One-shot digest.
    public static func digest(_ bytes: [UInt8], _ algorithm: Algorithm = .sha256) throws -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 0
        try check(EVP_Digest(bytes, bytes.count, &out, &length, algorithm.md, nil), "digest")
        return out
    }

    public static func sha256(_ bytes: [UInt8]) -> [UInt8] {
        // SHA-256 through the default provider cannot fail once OpenSSL is loaded.
        (try? digest(bytes)) ?? []
    }
}

/// HMAC, for keyed digests of personal values and record keys.
public enum HMAC {
    public static func sha256(key: [UInt8], _ message: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 0
        _ = key.withUnsafeBufferPointer { k in
            message.withUnsafeBufferPointer { m in
                CFerryOpenSSL.HMAC(EVP_sha256(), k.baseAddress, Int32(k.count), m.baseAddress, m.count, &out, &length)
            }
        }
        return out
    }
}

/// HKDF-SHA256 (RFC 5869).
public enum HKDF {
    public static func sha256(salt: [UInt8], ikm: [UInt8], info: [UInt8], length: Int) throws -> [UInt8] {
        var out = [UInt8](repeating: 0, count: length)
        try check(cferry_hkdf_sha256(salt, salt.count, ikm, ikm.count, info, info.count, &out, length), "HKDF")
        return out
    }
}

/// Algorithms fetched from OpenSSL's default provider once per process.
enum Fetched {
    /// An `EVP_MD` or `EVP_CIPHER` that lives for the whole process.
    struct Handle: @unchecked Sendable {
        // Sendable: fetched algorithm objects are immutable and OpenSSL shares them across threads.
        let pointer: OpaquePointer?
    }

    static let sha256 = Handle(pointer: EVP_MD_fetch(nil, "SHA2-256", nil))
    static let sm3 = Handle(pointer: EVP_MD_fetch(nil, "SM3", nil))
    static let aes256gcm = Handle(pointer: EVP_CIPHER_fetch(nil, "AES-256-GCM", nil))
    static let sm4ctr = Handle(pointer: EVP_CIPHER_fetch(nil, "SM4-CTR", nil))
}

extension HMAC {
    /// A keyed hash under `key`, for digests taken outside this module (`RecordDigester`).
    public static func keyed(_ key: [UInt8], algorithm: KeyedHash.Algorithm) -> KeyedHash {
        switch algorithm {
        case .hmacSHA256:
            guard let keyed = KeyedMAC(digest: "SHA256", key: key) else { return KeyedHash(algorithm: algorithm) { sha256(key: key, $0) } }
            return KeyedHash(algorithm: algorithm) { keyed.mac($0) }
        case .hmacSM3:
            guard let keyed = KeyedMAC(digest: "SM3", key: key) else { return KeyedHash(algorithm: algorithm) { sm3(key: key, $0) } }
            return KeyedHash(algorithm: algorithm) { keyed.mac($0) }
        }
    }
}
