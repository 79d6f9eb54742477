import FerryCore

/// Seals data a node keeps at rest that may hold personal data (quarantined rows' raw
/// input), under a key derived from the node's own private key: a copy of the store alone
/// does not reveal it, and nothing extra has to be kept secret.
///
/// Layout: `FAR1` (4 bytes), key id length (1 byte), key id (UTF-8), 12-byte random nonce,
/// AES-256-GCM ciphertext and 16-byte tag (NIST SP 800-38D), with the magic and key id as
/// associated data. The key is HKDF-SHA256 (RFC 5869) of the node's private box key, with
/// info `ferry at-rest v1`.
public struct AtRestSealer: Sendable {
    static let magic: [UInt8] = Array("FAR1".utf8)
    /// Keys by key id; the newest seals.
    private let keys: [(id: String, secret: [UInt8])]
    /// Keys the fingerprints of kept data, so equal inputs are found without the input being
    /// guessable from its fingerprint (a bare hash of an ID number is).
    private let fingerprintKey: [UInt8]

    /// - Parameter keys: the node's keys, oldest first; the newest seals, any opens.
    public init(keys: [NodeKey]) throws {
        self.keys = try keys.map { key in
            let material = try key.engine.encodePrivate(key.box)
            return (key.keyID, try HKDF.sha256(salt: [], ikm: material, info: Array("ferry at-rest v1".utf8), length: 32))
        }
        fingerprintKey = try keys.first.map { key in
            try HKDF.sha256(salt: [], ikm: try key.engine.encodePrivate(key.box), info: Array("ferry at-rest fingerprint v1".utf8), length: 32)
        } ?? []
    }

    /// HMAC-SHA256 (RFC 2104) of `plain` under a key derived from the node's oldest key, so it
    /// stays the same across key rotations while that key is kept; 16 bytes.
    /// nil without a key: an HMAC under no secret would be a plain hash, from which an ID
    /// number could be recovered by trying them all.
    public func fingerprint(_ plain: [UInt8]) -> [UInt8]? {
        guard !fingerprintKey.isEmpty else { return nil }
        return Array(HMAC.sha256(key: fingerprintKey, plain).prefix(16))
    }

    /// The sealed form of `plain`; nil when the node has no key (nothing is kept then).
    public func seal(_ plain: [UInt8]) throws -> [UInt8]? {
        guard let key = keys.last else { return nil }
        let id = Array(key.id.utf8.prefix(255))
        let aad = Self.magic + [UInt8(id.count)] + id
        let nonce = try randomBytes(12)
        var out = aad + nonce
        try plain.withUnsafeBytes { try AESGCM(key: key.secret).seal($0, nonce: nonce, aad: aad, into: &out) }
        return out
    }

    /// The plain bytes of `sealed`.
    /// - Throws: `crypto` when the data is not sealed by one of this node's keys or was altered.
    public func open(_ sealed: [UInt8]) throws -> [UInt8] {
        let bad = FerryError(.crypto, "kept data is damaged or sealed by a key this node no longer has",
            hint: "the node's key list must still name the key that was current when the data was kept")
        guard sealed.count > 5, Array(sealed.prefix(4)) == Self.magic else { throw bad }
        let idLength = Int(sealed[4])
        let headerLength = 5 + idLength
        guard sealed.count >= headerLength + 12 + AESGCM.tagSize else { throw bad }
        let id = String(decoding: sealed[5..<headerLength], as: UTF8.self)
        guard let key = keys.last(where: { $0.id == id }) else { throw bad }
        let aad = Array(sealed[..<headerLength])
        let nonce = Array(sealed[headerLength..<headerLength + 12])
        var out: [UInt8] = []
        let ok = try sealed[(headerLength + 12)...].withUnsafeBytes { try AESGCM(key: key.secret).open($0, nonce: nonce, aad: aad, into: &out) }
        guard ok else { throw bad }
        return out
    }
}
