import ArgumentParser
import Foundation
import FerryGateway

struct AuditCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit", abstract: "Check a node's audit log.", subcommands: [Verify.self])

    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Recompute a node's audit hash chain and name the first entry that does not fit.",
            discussion: """
                Needs no private key. Exits 0 when the chain holds, 1 when it is broken.

                Example:
                  ferry audit verify --config ferry.yaml --node jinhong-gw
                """)

        @OptionGroup var options: NodeOptions

        func run() throws {
            let result = try reporting { try AuditTools.verify(config: options.config, node: options.node) }
            print("audit log of \(options.node): \(result.entries) entries, chain verified, head \(result.lastHash)")
        }
    }
}
