public import Foundation
public import FerryCore

/// The plain, signed manifest dropped beside a bundle when its channel says `manifest:
/// true` (docs/documents.md, "Manifests"): what the encrypted bundle carries, for the gap's
/// own file-type and size filters, which cannot look inside. No content and no personal
/// data: digests, sizes, media types, and file names with anything that looks like a
/// personal number masked.
///
/// The file is `<content hash>.manifest.json`, one canonical-JSON object; its `signature`
/// member is made by the sending node's key over `FERRY-MANIFEST-SIG-V1` followed by the
/// canonical JSON of every other member.
public struct BundleManifest: Sendable, Equatable {
    /// One document, or one part of it, that a `documents` bundle carries.
    public struct Document: Sendable, Equatable {
        public var digest: String
        public var size: Int64
        public var mediaType: String
        public var name: String
        /// The byte range of the document this bundle carries.
        public var offset: Int64
        public var length: Int64

        public init(digest: String, size: Int64, mediaType: String, name: String, offset: Int64, length: Int64) {
            (self.digest, self.size, self.mediaType, self.name, self.offset, self.length) = (digest, size, mediaType, name, offset, length)
        }

        var members: [String: Value] {
            [
                "digest": .string(digest), "size": .int(size), "media_type": .string(mediaType), "name": .string(FreeTextRedactor()(name)),
                "offset": .int(offset), "length": .int(length),
            ]
        }
    }

    public static let context = Array("FERRY-MANIFEST-SIG-V1".utf8)
    public static let suffix = ".manifest.json"

    public var header: BundleHeader
    public var contentHash: String
    public var bundleSize: Int64
    public var documents: [Document]

    public init(header: BundleHeader, contentHash: String, bundleSize: Int64, documents: [Document]) {
        (self.header, self.contentHash, self.bundleSize, self.documents) = (header, contentHash, bundleSize, documents)
    }

    /// The unsigned members.
    var members: [String: Value] {
        [
            "format": "ferry-manifest-v1", "bundle": .string(contentHash + OutsideText.bundleSuffix), "bundle_size": .int(bundleSize),
            "id": .string(header.id), "kind": .string(header.kind.rawValue), "lane": .string(header.lane), "sequence": .int(header.sequence),
            "sender": .string(header.sender), "sender_key": .string(header.senderKey), "records": .int(Int64(header.records)),
            "created": .string(Timestamp.format(header.created)), "documents": .list(documents.map { .object($0.members) }),
        ]
    }

    /// The manifest file's bytes, signed by `key` (the key that sealed the bundle).
    public func signed(with key: NodeKey) throws -> [UInt8] {
        let body = CanonicalJSON.encode(.object(members))
        var object = members
        object["signature"] = .string(hex(try key.sign(Self.context + body)))
        return CanonicalJSON.encode(.object(object)) + [0x0A]
    }

    /// Where the manifest of the bundle file `bundle` lives: beside it.
    public static func location(of bundle: URL) -> URL {
        bundle.deletingLastPathComponent().appendingPathComponent(String(bundle.lastPathComponent.dropLast(OutsideText.bundleSuffix.count)) + suffix)
    }

    /// Checks a manifest file's signature against the trust store: what a gap's filter, or an
    /// auditor, does with the sender's public key.
    /// - Returns: the manifest's members when the signature verifies under the key it names.
    /// - Throws: `bundle.malformed` for a file that is not a manifest, `bundle.bad-signature`
    ///   for one whose signature does not verify.
    public static func verify(_ bytes: [UInt8], trust: TrustStore) throws -> [String: Value] {
        let text = bytes.last == 0x0A ? Array(bytes.dropLast()) : bytes
        guard case .object(var object) = try CanonicalJSON.decode(text), object["format"] == "ferry-manifest-v1",
            case .string(let signature)? = object.removeValue(forKey: "signature"), let signatureBytes = unhex(signature),
            case .string(let keyID)? = object["sender_key"], case .string(let sender)? = object["sender"]
        else {
            throw FerryError(.bundleMalformed, "not a Ferry bundle manifest", hint: "manifests are written by Ferry beside bundles on channels with manifest: true")
        }
        guard let key = trust.key(id: keyID), key.node == sender,
            key.verify(signature: signatureBytes, of: context + CanonicalJSON.encode(.object(object)))
        else {
            throw FerryError(.bundleBadSignature, "the manifest's signature does not verify under \(sender)'s key \(keyID)",
                hint: "the manifest was altered, or the sender's key is not in the trust store")
        }
        return object
    }
}
