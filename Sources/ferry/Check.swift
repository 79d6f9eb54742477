import ArgumentParser
import Foundation
import FerryCore
import FerryNode
import FerryOps

struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Validate a topology, the mappings it names (with their inline tests) and the key files.",
        discussion: """
            Every problem is reported with its file, line and column and a hint. Exits 0 when \
            everything holds, 1 otherwise.

            Example:
              ferry check --config ferry.yaml
              ferry check --config ferry.yaml --node jinhong-gw   # also require this node's private key
            """)

    @Option(name: .long, help: "The topology file.")
    var config: String

    @Option(name: .long, help: "Also check this node's private key (it must be on this machine).")
    var node: String?

    func run() throws {
        let report = try reporting { try Deployment.load(config).check(node: node) }
        for line in report.checked { print("ok    \(line)") }
        for note in report.notes { print("note  \(note)") }
        for failure in report.failures { FileHandle.standardError.write(Data((failure.description + "\n").utf8)) }
        print("\(report.testsRun) mapping tests run, \(report.failures.count) failed")
        if !report.passed { throw ExitCode(1) }
        print("check passed")
    }
}
