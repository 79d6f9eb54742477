import ArgumentParser
import Foundation
import FerryCore
import FerryNode
import FerryOps
import FerryMapping

struct MappingCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mapping", abstract: "Work with mapping files offline.", subcommands: [Test.self, Apply.self, Explain.self])

    struct Test: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run the inline tests of mapping files, or of every mapping a topology names.",
            discussion: """
                Each test gives a system row and expects a canonical record, an error on a field \
                and rule, or a record digest. No system is contacted. A mapping file on its own \
                is compiled against the entities/ and codes/ folders above it.

                Example:
                  ferry mapping test Mappings/foreign-affairs/portal.yaml Mappings/foreign-affairs/approval.yaml
                  ferry mapping test --config ferry.yaml --system approval
                """)

        @Argument(help: "Mapping files (without --config).")
        var files: [String] = []

        @Option(name: .long, help: "The topology file: test the mappings it names.")
        var config: String?

        @Option(name: .long, help: "With --config, only this system's mappings.")
        var system: String?

        func validate() throws {
            guard (config == nil) != files.isEmpty else { throw ValidationError("give mapping files, or --config (not both)") }
        }

        func run() throws {
            let results: [(mapping: String, result: MappingTestResult)] = try reporting {
                if let config { return try Deployment.load(config).runMappingTests(system: system) }
                return try files.flatMap { path in
                    let url = URL(fileURLWithPath: path)
                    let mapping = try MappingLibrary.containing(url).mapping(url)
                    return mapping.runTests(inlineDigester: .inlineTest).map { (mapping.name, $0) }
                }
            }
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

    struct Apply: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Stream NDJSON through a mapping: system rows to canonical records, or back with --direction write.",
            discussion: """
                One JSON object per line in, one per line out, in constant memory. Lines that \
                fail go to --rejects with their line number, rule and reason (keys masked where \
                personal); the run goes on and exits 2 if any did.

                Example:
                  ferry mapping apply --mapping Mappings/foreign-affairs/portal.yaml --in rows.ndjson --out canonical.ndjson --rejects bad.ndjson
                  ferry mapping apply --mapping Mappings/foreign-affairs/approval.yaml --direction write < canonical.ndjson
                """)

        @Option(name: .long, help: "The mapping file.") var mapping: String
        @Option(name: .long, help: "read (system → canonical) or write (canonical → system).") var direction = "read"
        @Option(name: .long, help: "Input NDJSON (default: standard input).") var `in`: String?
        @Option(name: .long, help: "Output NDJSON (default: standard output).") var out: String?
        @Option(name: .long, help: "Where failed lines go, with their reasons.") var rejects: String?

        func run() throws {
            guard let way = MappingStream.Direction(rawValue: direction) else { throw ValidationError("--direction is read or write") }
            let counts = try reporting {
                let url = URL(fileURLWithPath: mapping)
                let compiled = try MappingLibrary.containing(url).mapping(url)
                let input = try `in`.map { try FileHandle(forReadingFrom: URL(fileURLWithPath: $0)) } ?? .standardInput
                // Files are renamed into place when complete; pipes and devices written in place.
                let output = try out.map { try OutputFile(URL(fileURLWithPath: $0)) }
                let rejected = try rejects.map { try OutputFile(URL(fileURLWithPath: $0)) }
                let counts = try MappingStream(mapping: compiled, direction: way).run(
                    input: input, output: output?.handle ?? .standardOutput, rejects: rejected?.handle, inputName: `in` ?? "stdin")
                try output?.commit()
                try rejected?.commit()
                return counts
            }
            FileHandle.standardError.write(Data("\(counts.lines) lines: \(counts.mapped) mapped, \(counts.rejected) rejected\n".utf8))
            if counts.rejected > 0 { throw ExitCode(2) }
        }
    }

    struct Explain: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print a mapping's compiled rules as a table.",
            discussion: "Example:\n  ferry mapping explain Mappings/foreign-affairs/approval.yaml")

        @Argument(help: "The mapping file.") var file: String

        func run() throws {
            let mapping = try reporting {
                let url = URL(fileURLWithPath: file)
                return try MappingLibrary.containing(url).mapping(url)
            }
            print("mapping \(mapping.name): system \(mapping.system), entity \(mapping.entity.name) (key \(mapping.entity.key.joined(separator: "+")), version \(mapping.entity.version))")
            print("directions: \(mapping.directions.map(\.rawValue).sorted().joined(separator: ", ")); unmapped columns: \(mapping.unmapped.rawValue); \(mapping.tests.count) inline tests")
            var table = Table(Mapping.explanationHeader)
            for row in mapping.explanation { table.add(row) }
            print(table.rendered)
        }
    }
}
