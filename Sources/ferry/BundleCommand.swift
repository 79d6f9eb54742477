import ArgumentParser
import Foundation
import FerryNode
import FerryOps
import FerrySeal
import FerryCore

struct BundleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bundle", abstract: "Inspect, verify and open single bundles, for gap operators and auditors.",
        subcommands: [Inspect.self, Verify.self, Open.self])

    struct Inspect: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print a bundle's plain header without decrypting anything.",
            discussion: """
                For gap operators checking what is on removable media before it goes across.

                Example:
                  ferry bundle inspect gap/extranet-to-jinhong/3f…9a.bundle --json
                """)

        @Argument(help: "A .bundle file.")
        var file: String

        @Flag(name: .long, help: "Print the header as JSON.")
        var json = false

        func run() throws {
            let info = try reporting { try BundleReader.inspect(URL(fileURLWithPath: file)) }
            let header = info.header
            if json {
                print(header.json)
                return
            }
            print("bundle      \(header.id) (\(header.kind.rawValue))")
            print("lane        \(header.lane), sequence \(header.sequence)")
            print("sender      \(header.sender) key \(header.senderKey)")
            print("recipients  \(header.recipients.joined(separator: ", "))")
            print("suite       \(header.suite)")
            print("created     \(Timestamp.format(header.created)), expires \(Timestamp.format(header.expires))")
            print("records     \(header.records), plain \(header.plainSize) B, compressed \(header.compressedSize) B, file \(info.fileSize) B")
            print("merkle root \(header.merkleRoot)")
        }
    }

    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check a bundle's sender, signature, addressing and every chunk, decrypting to nowhere.",
            discussion: """
                Uses the node's private keys and the topology's trust list. Exits 0 if the bundle \
                would be accepted by the pipeline's checks, 1 with the reason otherwise. The file \
                is only read: a failing bundle stays where it is ('ferry receive' is what moves \
                rejected bundles to quarantine/).

                Example:
                  ferry bundle verify gap/extranet-to-jinhong/3f…9a.bundle --config ferry.yaml --node jinhong-gw
                """)

        @Argument(help: "A .bundle file.")
        var file: String

        @OptionGroup var options: NodeOptions

        func run() throws {
            let result = try reporting { try BundleTools.verify(URL(fileURLWithPath: file), try Deployment.load(options.config), node: options.node) }
            print("bundle \(result.header.id) from \(result.header.sender): signature, addressing and \(result.records) records verified (\(result.plainBytes) bytes)")
        }
    }

    struct Open: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write a bundle's records as NDJSON, for forensics.",
            discussion: """
                The output holds the records in plain text, personal data included: a file is \
                created mode 0600 and only once the whole bundle verified. A pipe or device \
                (/dev/stdout) is written in place, also only after the last check; the status \
                line goes to standard error, so standard output holds only records.

                Example:
                  ferry bundle open 3f…9a.bundle --config ferry.yaml --node jinhong-gw --out records.ndjson
                  ferry bundle open 3f…9a.bundle --config ferry.yaml --node jinhong-gw --out /dev/stdout | jq .key
                """)

        @Argument(help: "A .bundle file.")
        var file: String

        @OptionGroup var options: NodeOptions

        @Option(name: .long, help: "Where to write the NDJSON.")
        var out: String

        func run() throws {
            let result = try reporting {
                try BundleTools.open(URL(fileURLWithPath: file), try Deployment.load(options.config), node: options.node, output: URL(fileURLWithPath: out))
            }
            FileHandle.standardError.write(Data("wrote \(result.records) records of bundle \(result.header.id) to \(out)\n".utf8))
        }
    }
}
