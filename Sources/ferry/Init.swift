import ArgumentParser
import Foundation
import FerryNode
import FerryOps

struct Init: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Scaffold a working two-zone deployment to start from.",
        discussion: """
            Writes ferry.yaml, a copy of the mappings and code tables, a key pair per node and \
            empty example system databases into DIR, which must be new or empty.

            Example:
              ferry init mysite
              ferry check --config mysite/ferry.yaml
            """)

    @Argument(help: "The directory to create.")
    var directory: String

    func run() throws {
        let url = URL(fileURLWithPath: directory)
        let files = try reporting { try Scaffold.create(in: url) }
        print("created \(url.path):")
        for file in files { print("  \(file)") }
        print("\nnext: ferry check --config \(directory)/ferry.yaml")
    }
}
