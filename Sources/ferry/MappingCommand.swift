import ArgumentParser
import Foundation
import FerryCore
import FerryGateway

struct MappingCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mapping", abstract: "Work with mapping files offline.", subcommands: [Test.self])

    struct Test: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run the inline tests of every mapping the topology names (or one system's).",
            discussion: """
                Each test gives a system row and expects a canonical record, or an error on a
                field and rule. No system is contacted.

                Example:
                  ferry mapping test --config ferry.yaml --system approval
                """)

        @Option(name: .long, help: "The topology file.")
        var config: String

        @Option(name: .long, help: "Only this system's mappings.")
        var system: String?

        func run() throws {
            let results = try reporting { try Deployment.load(config).runMappingTests(system: system) }
            var failed = 0
            for (mapping, result) in results {
                print("\(result.passed ? "pass" : "FAIL")  \(mapping): \(result.test)")
                if !result.passed {
                    failed += 1
                    print("      \(result.location): \(result.detail)")
                }
            }
            print("\(results.count) tests, \(failed) failed")
            if failed > 0 { throw ExitCode(1) }
        }
    }
}
