public import Foundation
public import FerryCore

/// Detached signatures over documents (docs/documents.md, "Signed documents"): the node a
/// document leaves signs its digest with its own key, Ed25519 (RFC 8032) on the default
/// suite or SM2 with SM3 (GB/T 32918.2, identifier `1234567812345678`) on `sm2-sm4-sm3`.
/// The signature travels in the reference; a target that requires one verifies it
/// against its trust store before the record is applied.
///
/// The signed message is `FERRY-DOCUMENT-SIG-V1` (21 ASCII bytes) followed by the canonical
/// JSON `{"digest":…,"key_id":…,"signed_at":…,"signer":…,"size":…}`. The name and media
/// type are not signed: records may name one document differently.
public enum DocumentSigning {
    public static let context = Array("FERRY-DOCUMENT-SIG-V1".utf8)

    static func message(digest: String, size: Int64, signer: String, keyID: String, signedAt: String) -> [UInt8] {
        context + CanonicalJSON.encode(.object([
            "digest": .string(digest), "size": .int(size), "signer": .string(signer), "key_id": .string(keyID), "signed_at": .string(signedAt),
        ]))
    }

    /// The signature algorithm of a suite's signing keys.
    static func algorithm(suite: String) -> String { suite == "sm2-sm4-sm3" ? "sm2-sm3" : "ed25519" }

    /// Signs a stored document's digest and size as `key`'s node, at `now` (whole seconds).
    public static func sign(_ reference: DocumentRef, with key: NodeKey, now: Date = Date()) throws -> DocumentSignature {
        let signedAt = Timestamp.format(now)
        let message = message(digest: reference.digest, size: reference.size, signer: key.node, keyID: key.keyID, signedAt: signedAt)
        return DocumentSignature(algorithm: algorithm(suite: key.suite), signer: key.node, keyID: key.keyID, signedAt: signedAt,
            value: hex(try key.sign(message)))
    }

    /// Why `reference` does not carry a valid signature by one of `issuers`; nil when it does.
    /// The reasons say what to do: they end up in receipts and the audit log.
    public static func refusal(_ reference: DocumentRef, issuers: [String], trust: TrustStore) -> String? {
        let accepted = issuers.joined(separator: ", ")
        guard let signature = reference.signature else {
            return "document \(reference.digest) carries no signature, and this target requires one by \(accepted); have the issuing node sign its documents (sign_documents: true)"
        }
        guard issuers.contains(signature.signer) else {
            return "document \(reference.digest) is signed by \(signature.signer), which this target does not accept (require_signature: [\(accepted)])"
        }
        guard let key = trust.key(id: signature.keyID), key.node == signature.signer else {
            return "document \(reference.digest) is signed with key \(signature.keyID), which the trust store does not hold for node \(signature.signer); add its .pub under trust:"
        }
        let message = message(digest: reference.digest, size: reference.size, signer: signature.signer, keyID: signature.keyID, signedAt: signature.signedAt)
        guard signature.algorithm == algorithm(suite: key.suite), let bytes = unhex(signature.value), key.verify(signature: bytes, of: message) else {
            return "document \(reference.digest) has a signature by \(signature.signer) that does not verify: the document or its reference was altered after signing"
        }
        return nil
    }
}
