import ArgumentParser
import Foundation
import FerrySeal

struct Keys: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Generate and show node keys.",
        subcommands: [Generate.self, Show.self, Digest.self])

    struct Generate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Generate a node's key pair: NAME.key (mode 0600) and NAME.pub.",
            discussion: """
                Give the .pub file to the peers (by removable media, checking the fingerprint by \
                phone) and list it under trust: in the topology. The .key file never leaves this node.

                A node whose channels use both suites holds a key of each; list both under its key:.

                Example:
                  ferry keys generate --node jinhong-gw --out keys
                  ferry keys generate --suite sm2-sm4-sm3 --node jinhong-gw --name jinhong-gw-sm --out keys
                """)

        @Option(name: .long, help: "The node the key belongs to (default: this machine's host name).")
        var node: String = ProcessInfo.processInfo.hostName

        @Option(name: .long, help: "Directory to write the two files into.")
        var out: String

        @Option(name: .long, help: "Crypto suite: \(Suite.supported.joined(separator: ", ")).")
        var suite: String = Suite.defaultSuite

        @Option(name: .long, help: "Base file name (default: the node name).")
        var name: String?

        func run() throws {
            let files = try reporting {
                try NodeKey.generate(node: node, suite: suite).write(to: URL(fileURLWithPath: out), name: name ?? node)
            }
            let key = try reporting { try PublicKey.load(files.publicFile) }
            print("private key: \(files.privateFile.path) (mode 0600)")
            print("public key:  \(files.publicFile.path)")
            print("key id:      \(key.keyID)")
            print("fingerprint: \(key.fingerprint)")
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print a key file's suite, node, key id and fingerprint (never the secret).",
            discussion: "Example:\n  ferry keys show keys/jinhong-gw.pub")

        @Argument(help: "A .pub or .key file.")
        var file: String

        func run() throws {
            let url = URL(fileURLWithPath: file)
            let key = try reporting {
                file.hasSuffix(".key") ? try NodeKey.load(url).publicKey : try PublicKey.load(url)
            }
            print("suite:       \(key.suite)")
            print("node:        \(key.node)")
            print("key id:      \(key.keyID)")
            print("fingerprint: \(key.fingerprint)")
        }
    }

    struct Digest: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Generate the deployment's digest key (mode 0600): the secret of record and key digests.",
            discussion: """
                Make it once, copy it to every node that reconciles or traces records (as you \
                would a private key), and name it with digest_key: in the topology. Nodes print \
                its key id in ferry check, so you can see they agree without showing it.

                Example:
                  ferry keys digest --out keys/digest.key
                  ferry keys digest --algorithm hmac-sm3 --out keys/digest.key
                """)

        @Option(name: .long, help: "The file to write.") var out: String
        @Option(name: .long, help: "hmac-sha256 (default) or hmac-sm3.") var algorithm = "hmac-sha256"

        func run() throws {
            let key = try reporting {
                let key = try DigestKey.generate(algorithm: algorithm)
                try key.write(to: URL(fileURLWithPath: out))
                return key
            }
            print("digest key: \(out) (mode 0600), \(key.algorithm), key id \(key.id)")
        }
    }
}
