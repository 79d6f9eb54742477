import FerryCore

/// How one crypto suite does each job a bundle needs. Both suites go through OpenSSL's
/// EVP interface; `docs/bundle-format.md` specifies each step.
protocol CryptoSuite: Sendable {
    var name: String { get }
    /// The digest for header binding, the signed digest and the file name.
    var hash: Hasher.Algorithm { get }
    /// Whether the signature may cover the chunk tags instead of the chunks. Only where a
    /// tag is collision-resistant even for someone holding the file key (HMAC-SM3), never
    /// for GCM, whose tags a recipient could forge for other ciphertext.
    var signsTags: Bool { get }

    func generateSigning() throws -> PKey
    func generateBox() throws -> PKey
    func encodePrivate(_ key: PKey) throws -> [UInt8]
    func encodePublic(_ key: PKey) throws -> [UInt8]
    func signing(private bytes: [UInt8]) throws -> PKey
    func box(private bytes: [UInt8]) throws -> PKey
    func signing(public bytes: [UInt8]) throws -> PKey
    func box(public bytes: [UInt8]) throws -> PKey

    func sign(_ message: [UInt8], with key: PKey) throws -> [UInt8]
    func verify(_ signature: [UInt8], _ message: [UInt8], with key: PKey) -> Bool
    func wrap(fileKey: [UInt8], for recipient: PublicKey, headerDigest: [UInt8]) throws -> [UInt8]
    func unwrap(_ wrapped: [UInt8], with key: NodeKey, headerDigest: [UInt8]) throws -> [UInt8]?
    func chunkCipher(fileKey: [UInt8]) throws -> any ChunkCipher
}

/// Seals and opens the payload chunks of one bundle under its file key.
protocol ChunkCipher {
    var tagSize: Int { get }
    /// Appends ciphertext then tag for chunk `counter`.
    func seal(_ plain: UnsafeRawBufferPointer, counter: UInt64, final: Bool, aad: [UInt8], into out: inout [UInt8]) throws
    /// Appends the plaintext; false (appending nothing) when the chunk fails authentication.
    func open(_ sealed: UnsafeRawBufferPointer, counter: UInt64, final: Bool, aad: [UInt8], into out: inout [UInt8]) throws -> Bool
}

enum Suites {
    static func named(_ name: String) -> (any CryptoSuite)? {
        switch name {
        case Suite.defaultSuite: return X25519Suite()
        case Suite.sm: return SMSuite()
        default: return nil
        }
    }

    static func require(_ name: String, in place: String) throws -> any CryptoSuite {
        guard let suite = named(name) else {
            throw FerryError(.bundleSuite, "suite '\(name)' is not supported by this build (\(place))",
                hint: "supported: \(Suite.supported.joined(separator: ", "))")
        }
        return suite
    }
}
