public import Foundation

/// A document a record refers to: a content-addressed reference, never the content itself
/// (docs/documents.md). The content lives in the node's blob store and crosses a gap in
/// `documents` bundles, chunked; a record is applied only once every document it names is
/// there whole and verified.
///
/// Equality and hashing cover what the canonical encoding covers (digest, size, media type,
/// name, signature), never `localPath`, which is where this machine keeps the bytes.
public struct DocumentRef: Sendable, Hashable {
    /// `sha256:` or `sm3:` and 64 lowercase hex digits: SHA-256 (FIPS 180-4) on the default
    /// suite, SM3 (GB/T 32905) on `sm2-sm4-sm3`. Empty until the node has stored the content.
    public var digest: String
    /// Bytes of content.
    public var size: Int64
    /// An IANA media type (RFC 6838), `application/octet-stream` when nothing better is known.
    public var mediaType: String
    /// The file name people know it by (`deed-2026-0001.pdf`); never a path.
    public var name: String
    /// A detached signature over the digest, made by the node that sent the document.
    public var signature: DocumentSignature?
    /// Where this machine holds the bytes: the source file before the node stores it, the
    /// blob store's file after. Not part of the reference: never encoded, never compared.
    public var localPath: String?
    /// Bytes read from a BLOB column, held until the node stores them. Not part of the
    /// reference either.
    public var content: Data?

    public init(
        digest: String = "", size: Int64, mediaType: String, name: String, signature: DocumentSignature? = nil, localPath: String? = nil,
        content: Data? = nil
    ) {
        (self.digest, self.size, self.mediaType, self.name, self.signature) = (digest, size, mediaType, name, signature)
        (self.localPath, self.content) = (localPath, content)
    }

    /// Whether the content has been stored and digested yet.
    public var isStored: Bool { !digest.isEmpty }

    public static func == (a: DocumentRef, b: DocumentRef) -> Bool {
        a.digest == b.digest && a.size == b.size && a.mediaType == b.mediaType && a.name == b.name && a.signature == b.signature
    }

    public func hash(into hasher: inout Swift.Hasher) {
        hasher.combine(digest)
        hasher.combine(size)
        hasher.combine(mediaType)
        hasher.combine(name)
        hasher.combine(signature)
    }

    /// The reference as canonical JSON members (docs/documents.md, "The reference").
    public var members: [String: Value] {
        var object: [String: Value] = [
            "digest": .string(digest), "size": .int(size), "media_type": .string(mediaType), "name": .string(name),
        ]
        if let signature { object["signature"] = .object(signature.members) }
        return object
    }

    /// A reference from its canonical JSON members; nil when a member is missing or of the
    /// wrong type, or the digest is not `ALGORITHM:HEX`.
    public init?(members: [String: Value]) {
        guard case .string(let digest)? = members["digest"], Self.isDigest(digest),
            case .int(let size)? = members["size"], size >= 0,
            case .string(let mediaType)? = members["media_type"], MediaType.isWellFormed(mediaType), case .string(let name)? = members["name"]
        else { return nil }
        var signature: DocumentSignature?
        if let raw = members["signature"] {
            guard case .object(let fields) = raw, let parsed = DocumentSignature(members: fields) else { return nil }
            signature = parsed
        }
        self.init(digest: digest, size: size, mediaType: mediaType, name: name, signature: signature)
    }

    /// `sha256:` or `sm3:` followed by 64 lowercase hex digits.
    public static func isDigest(_ text: String) -> Bool {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, ["sha256", "sm3"].contains(parts[0]), parts[1].utf8.count == 64 else { return false }
        return parts[1].utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
    }

    /// The file name as it may be written into a folder: no directory part, no control
    /// characters, not `.` or `..`; anything else becomes `document`.
    public var safeName: String {
        let last = name.split(separator: "/").last.map(String.init) ?? ""
        let cleaned = String(last.unicodeScalars.filter { $0.value >= 0x20 && $0 != "\\" && $0.value != 0x7F })
        return cleaned.isEmpty || cleaned == "." || cleaned == ".." ? "document" : cleaned
    }
}

/// A detached signature over a document's digest (docs/documents.md, "Signed documents"):
/// Ed25519 (RFC 8032) or SM2 with SM3 (GB/T 32918.2), by the key `keyID` of node `signer`.
public struct DocumentSignature: Sendable, Hashable {
    /// `ed25519` or `sm2-sm3`.
    public var algorithm: String
    public var signer: String
    public var keyID: String
    /// UTC, `YYYY-MM-DDTHH:MM:SSZ`.
    public var signedAt: String
    /// Lowercase hex of the signature bytes.
    public var value: String

    public init(algorithm: String, signer: String, keyID: String, signedAt: String, value: String) {
        (self.algorithm, self.signer, self.keyID, self.signedAt, self.value) = (algorithm, signer, keyID, signedAt, value)
    }

    public var members: [String: Value] {
        ["algorithm": .string(algorithm), "signer": .string(signer), "key_id": .string(keyID), "signed_at": .string(signedAt), "value": .string(value)]
    }

    public init?(members: [String: Value]) {
        guard case .string(let algorithm)? = members["algorithm"], case .string(let signer)? = members["signer"],
            case .string(let keyID)? = members["key_id"], case .string(let signedAt)? = members["signed_at"],
            case .string(let value)? = members["value"]
        else { return nil }
        self.init(algorithm: algorithm, signer: signer, keyID: keyID, signedAt: signedAt, value: value)
    }
}

extension Record {
    /// Every document the record names, at any depth of lists, in no particular order.
    public var documents: [DocumentRef] {
        func walk(_ value: Value) -> [DocumentRef] {
            switch value {
            case .document(let reference): return [reference]
            case .list(let items): return items.flatMap(walk)
            default: return []
            }
        }
        return fields.values.flatMap(walk)
    }
}
