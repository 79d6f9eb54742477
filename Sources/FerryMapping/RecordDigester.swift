public import FerryCore
import FerrySeal

/// Keyed digests of records and of their keys: HMAC-SHA256, or HMAC-SM3 on the SM suite.
/// Keyed because ID numbers are low-entropy: a plain hash of one is brute-forced in
/// seconds. The key is shared by the zones that reconcile and never logged.
public struct RecordDigester: Sendable {
    public enum Algorithm: String, Sendable {
        case hmacSHA256 = "hmac-sha256"
        case hmacSM3 = "hmac-sm3"
    }

    /// The key inline tests' `expect_digest` uses: public, so a mapping file's expected
    /// digests can be computed by anyone. Never use it for real data.
    public static let inlineTestKey: [UInt8] = Array("ferry inline test key, not secret".utf8)

    let key: [UInt8]
    public let algorithm: Algorithm

    public init(key: [UInt8], algorithm: Algorithm = .hmacSHA256) {
        self.key = key
        self.algorithm = algorithm
    }

    /// The digest of a mapped record's canonical encoding, fields marked `compare: ignore`
    /// left out.
    public func digest(_ record: Record, schema: EntitySchema) -> [UInt8] {
        mac(CanonicalEncoding.encode(record, schema: schema, excluding: schema.ignoredInComparison))
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

    func mac(_ message: [UInt8]) -> [UInt8] {
        switch algorithm {
        case .hmacSHA256: return HMAC.sha256(key: key, message)
        case .hmacSM3: return HMAC.sm3(key: key, message)
        }
    }
}
