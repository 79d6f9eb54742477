public import Foundation
public import FerryCore

/// A node's public half: what peers put in their trust store.
public struct PublicKey: Sendable, Hashable {
    public var suite: String
    public var node: String
    /// The first 8 bytes of SHA-256 over the public key material, as hex.
    public var keyID: String
    var signing: [UInt8]
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
        let digest = hex(Hasher.sha256(Array(suite.utf8) + signing + box))
        var groups: [String] = []
        var index = digest.startIndex
        while index < digest.endIndex {
            let end = digest.index(index, offsetBy: 4, limitedBy: digest.endIndex) ?? digest.endIndex
            groups.append(String(digest[index..<end]))
            index = end
        }
        return groups.joined(separator: ":")
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
        let suite = try file.value("suite")
        try Suite.require(suite, in: url.path)
        let key = PublicKey(
            suite: suite, node: try file.value("node"),
            signing: try file.bytes("sign", count: 32), box: try file.bytes("box", count: 32))
        if let stated = file.fields["key-id"]?.value, stated != key.keyID {
            throw FerryError(.keyFile, "key-id \(stated) does not match the key material (\(key.keyID))",
                at: .file(SourceLocation(file: url.path, line: file.fields["key-id"]?.line ?? 1, column: 1)),
                hint: "the file was edited or damaged; obtain a fresh copy from the peer")
        }
        return key
    }
}
