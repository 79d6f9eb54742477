public import Foundation
public import FerryCore

/// The secret that keys record and record-key digests (HMAC-SHA256 or HMAC-SM3). Every zone
/// that reconciles or traces records holds the same one, carried like a private key; its
/// id (a hash of it) lets operators check that two zones agree without showing it.
public struct DigestKey: Sendable {
    public let algorithm: String
    public let secret: [UInt8]

    public static let algorithms = KeyedHash.Algorithm.allCases.map(\.rawValue)

    /// The keyed hash this key makes; the secret stays inside it. `load` and `generate`
    /// accept only the algorithms `KeyedHash` has.
    public var keyedHash: KeyedHash {
        HMAC.keyed(secret, algorithm: KeyedHash.Algorithm(rawValue: algorithm) ?? .hmacSHA256)
    }

    /// First 8 bytes of SHA-256 over the algorithm and the secret, in hex.
    public var id: String { hex(Hasher.sha256(Array("FERRY-DIGEST-KEY-V1".utf8) + Array(algorithm.utf8) + secret).prefix(8)) }

    public static func generate(algorithm: String) throws -> DigestKey {
        guard algorithms.contains(algorithm) else {
            throw FerryError(.keyFile, "unknown digest algorithm \(algorithm)", hint: "use one of: \(algorithms.joined(separator: ", "))")
        }
        return DigestKey(algorithm: algorithm, secret: try randomBytes(32))
    }

    /// Writes the key file with mode 0600; refuses to overwrite one.
    public func write(to url: URL) throws {
        let text = """
            # Ferry digest key: the same file on every node that reconciles or traces. Keep it secret.
            kind: digest
            algorithm: \(algorithm)
            key-id: \(id)
            secret: \(hex(secret))

            """
        guard !FileManager.default.fileExists(atPath: url.path) else {
            throw FerryError(.keyFile, "\(url.path) exists already", hint: "a digest key is made once and copied; remove the old file first if you mean to replace it")
        }
        guard FileManager.default.createFile(atPath: url.path, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600]) else {
            throw FerryError(.keyFile, "cannot write \(url.path)", hint: "check that the directory exists and is writable")
        }
    }

    /// Loads a digest key file, refusing one that others can read.
    public static func load(_ url: URL) throws -> DigestKey {
        let mode = ((try? FileManager.default.attributesOfItem(atPath: url.path))?[.posixPermissions] as? NSNumber)?.intValue
        guard let mode else {
            throw FerryError(.keyFile, "digest key file not found: \(url.path)", hint: "run 'ferry keys digest --out FILE' once and copy the file to each node")
        }
        guard mode & 0o077 == 0 else {
            throw FerryError(.keyPermissions, "digest key file \(url.path) is readable by others (mode \(String(mode, radix: 8)))",
                hint: "run: chmod 600 \(url.path)")
        }
        let file = try KeyFile.read(url)
        guard try file.value("kind") == "digest" else {
            throw FerryError(.keyFile, "\(url.path) is not a digest key file", hint: "digest_key: names a file made by 'ferry keys digest'")
        }
        let algorithm = try file.value("algorithm")
        guard algorithms.contains(algorithm) else {
            throw FerryError(.keyFile, "\(url.path): unknown algorithm \(algorithm)", hint: "use one of: \(algorithms.joined(separator: ", "))")
        }
        let key = DigestKey(algorithm: algorithm, secret: try file.bytes("secret", count: 32))
        guard try file.value("key-id") == key.id else {
            throw FerryError(.keyFile, "\(url.path): key-id does not match the secret", hint: "the file was altered; copy it again from a good node")
        }
        return key
    }
}
