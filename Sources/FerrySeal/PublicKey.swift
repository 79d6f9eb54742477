public import Foundation
import FerryCore

/// A node's public half: what peers put in their trust store.
public struct PublicKey: Sendable, Hashable {
    public var suite: String
    public var node: String
    /// The first 8 bytes of SHA-256 over the suite name and the public key material, as hex.
    public var keyID: String
    /// The signature-verification key, in the suite's encoding (raw Ed25519, or SM2 DER).
    var signing: [UInt8]
    /// The key-agreement or encryption key, in the suite's encoding.
    var box: [UInt8]

    init(suite: String, node: String, signing: [UInt8], box: [UInt8]) {
        self.suite = suite
        self.node = node
        self.signing = signing
        self.box = box
        self.keyID = hex(Hasher.sha256(Array(suite.utf8) + signing + box).prefix(8))
    }

    /// SHA-256 over the key material, grouped for reading aloud when keys are exchanged.
    public var fingerprint: String {
        let digest = Array(hex(Hasher.sha256(Array(suite.utf8) + signing + box)))
        return stride(from: 0, to: digest.count, by: 4).map { String(digest[$0..<min($0 + 4, digest.count)]) }.joined(separator: ":")
    }

    public var fileText: String {
        """
        # Ferry public key of node \(node). Give this file to peers; compare the fingerprint
        # by a second channel before trusting it.
        format: ferry-key-v1
        kind: public
        suite: \(suite)
        node: \(node)
        key-id: \(keyID)
        fingerprint: \(fingerprint)
        sign: \(hex(signing))
        box: \(hex(box))

        """
    }

    public static func load(_ url: URL) throws -> PublicKey {
        let file = try KeyFile.read(url)
        guard try file.value("kind") == "public" else {
            throw FerryError(.keyFile, "\(url.path) is not a public key file", hint: "trust lists .pub files, never .key files")
        }
        let suiteName = try file.value("suite")
        let suite = try Suites.require(suiteName, in: url.path)
        let key = PublicKey(suite: suiteName, node: try file.value("node"), signing: try file.bytes("sign"), box: try file.bytes("box"))
        // Parse both halves now, so a damaged key fails at load rather than mid-exchange.
        do {
            _ = try suite.signing(public: key.signing)
            _ = try suite.box(public: key.box)
        } catch {
            throw FerryError(.keyFile, "\(url.path) does not hold valid \(suiteName) public keys",
                hint: "obtain a fresh copy of the peer's .pub file")
        }
        if let stated = file.fields["key-id"]?.value, stated != key.keyID {
            throw FerryError(.keyFile, "key-id \(stated) does not match the key material (\(key.keyID))",
                at: .file(SourceLocation(file: url.path, line: file.fields["key-id"]?.line ?? 1, column: 1)),
                hint: "the file was edited or damaged; obtain a fresh copy from the peer")
        }
        return key
    }
}
