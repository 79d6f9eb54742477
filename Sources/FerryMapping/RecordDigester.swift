public import FerryCore

/// Keyed digests of records and of their keys: HMAC-SHA256, or HMAC-SM3 on the SM suite.
/// Keyed because ID numbers are low-entropy: a plain hash of one is brute-forced in
/// seconds. The key is shared by the zones that reconcile and never logged.
public struct RecordDigester: Sendable {
    public typealias Algorithm = KeyedHash.Algorithm

    /// The key inline tests' `expect_digest` uses: public, so a mapping file's expected
    /// digests can be computed by anyone. Never use it for real data.
    public static let inlineTestKey: [UInt8] = Array("ferry inline test key, not secret".utf8)

    let mac: KeyedHash
    public var algorithm: Algorithm { mac.algorithm }

    /// Digests under `mac`, which FerrySeal makes from the deployment's digest key
    /// (`HMAC.keyed(_:algorithm:)`).
    public init(_ mac: KeyedHash) {
        self.mac = mac
    }

    /// The digest of a mapped record's canonical encoding, fields marked `compare: ignore`
    /// left out.
    public func digest(_ record: Record, schema: EntitySchema) -> [UInt8] {
        mac(CanonicalEncoding.encodeForComparison(record, schema: schema))
    }

    /// The digest of a record's match key: how logs and reconciliation name a record
    /// without showing it.
    public func keyDigest(entity: String, key parts: [String]) -> [UInt8] {
        var message = Array("FERRY-KEY-V1".utf8)
        CanonicalEncoding.appendString(entity, to: &message)
        CanonicalEncoding.appendCount(parts.count, to: &message)
        for part in parts { CanonicalEncoding.appendString(part, to: &message) }
        return mac(message)
    }
}
