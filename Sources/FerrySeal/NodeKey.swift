public import Foundation
import FerryCore

/// A node's private key pair in one suite: a signing key and a key for receiving file keys.
public struct NodeKey: Sendable {
    public let suite: String
    public let node: String
    let engine: any CryptoSuite
    let signing: PKey
    let box: PKey
    public let publicKey: PublicKey

    public var keyID: String { publicKey.keyID }

    init(engine: any CryptoSuite, node: String, signing: PKey, box: PKey) throws {
        self.suite = engine.name
        self.engine = engine
        self.node = node
        self.signing = signing
        self.box = box
        self.publicKey = PublicKey(
            suite: engine.name, node: node, signing: try engine.encodePublic(signing), box: try engine.encodePublic(box))
    }

    public static func generate(node: String, suite: String = Suite.defaultSuite) throws -> NodeKey {
        let engine = try Suites.require(suite, in: "key generation")
        return try NodeKey(engine: engine, node: node, signing: engine.generateSigning(), box: engine.generateBox())
    }

    /// Writes `NAME.key` (mode 0600) and `NAME.pub` into `directory`; refuses to overwrite.
    public func write(to directory: URL, name: String) throws -> (privateFile: URL, publicFile: URL) {
        let manager = FileManager.default
        try manager.createDirectory(at: directory, withIntermediateDirectories: true)
        let privateURL = directory.appendingPathComponent("\(name).key")
        let publicURL = directory.appendingPathComponent("\(name).pub")
        for url in [privateURL, publicURL] where manager.fileExists(atPath: url.path) {
            throw FerryError(.keyFile, "\(url.path) already exists", hint: "move the old key away first; keys are never overwritten")
        }
        let text = """
            # Ferry PRIVATE key of node \(node). Keep it on this node only, mode 0600.
            format: ferry-key-v1
            kind: private
            suite: \(suite)
            node: \(node)
            key-id: \(keyID)
            sign: \(hex(try engine.encodePrivate(signing)))
            box: \(hex(try engine.encodePrivate(box)))

            """
        // Created with 0600 from the start, so the secret is never briefly world-readable.
        guard manager.createFile(atPath: privateURL.path, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600]) else {
            throw FerryError(.keyFile, "cannot write \(privateURL.path)")
        }
        try Data(publicKey.fileText.utf8).write(to: publicURL)
        return (privateURL, publicURL)
    }

    /// Loads a private key file, refusing one that others can read.
    public static func load(_ url: URL) throws -> NodeKey {
        let attributes: [FileAttributeKey: Any]
        do {
            attributes = try FileManager.default.attributesOfItem(atPath: url.path)
        } catch {
            throw FerryError(.keyFile, "private key file not found: \(url.path)", hint: "run 'ferry keys generate' or fix the node's key: path")
        }
        let mode = (attributes[.posixPermissions] as? NSNumber)?.intValue ?? 0
        guard mode & 0o077 == 0 else {
            throw FerryError(.keyPermissions,
                "private key file \(url.path) is readable by others (mode \(String(mode, radix: 8)))",
                hint: "run: chmod 600 \(url.path)")
        }
        let file = try KeyFile.read(url)
        guard try file.value("kind") == "private" else {
            throw FerryError(.keyFile, "\(url.path) is not a private key file", hint: "a node's key: names its .key file")
        }
        let engine = try Suites.require(try file.value("suite"), in: url.path)
        do {
            return try NodeKey(
                engine: engine, node: try file.value("node"),
                signing: engine.signing(private: try file.bytes("sign")), box: engine.box(private: try file.bytes("box")))
        } catch let error as FerryError where error.code == .crypto {
            // Never echo OpenSSL's view of a secret; say which file is damaged.
            throw FerryError(.keyFile, "\(url.path) does not hold valid \(engine.name) private keys",
                hint: "restore the key file from its backup, or generate a new key and re-exchange the .pub")
        }
    }
}
