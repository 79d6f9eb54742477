import ArgumentParser
import Foundation
import FerrySeal
import FerryCore

struct BundleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bundle", abstract: "Look at bundles without a node.", subcommands: [Inspect.self])

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
}
