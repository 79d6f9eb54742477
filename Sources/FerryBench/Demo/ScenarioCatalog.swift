import Foundation
import FerryCore
import FerryOps

/// The scenarios `ferry demo` can run: each directory under `Ops/scenarios/` that has a
/// `scenario.yaml` (`title:`, `summary:`). `two-zone`, the `ferry init` starting point, has
/// none and is not one.
public enum ScenarioCatalog {
    public struct Entry: Sendable {
        public var name: String
        public var title: String
        public var summary: String
    }

    /// The scenarios, by name.
    /// - Throws: `FerryError(.config)` when a `scenario.yaml` lacks `title:` or `summary:`.
    public static func list() throws -> [Entry] {
        let directory = try ScenarioFiles.root().appendingPathComponent("Ops/scenarios")
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
        return try names.compactMap { name in
            let file = directory.appendingPathComponent(name).appendingPathComponent("scenario.yaml")
            guard FileManager.default.fileExists(atPath: file.path) else { return nil }
            let node = try ConfigNode.load(file: file)
            return Entry(name: name, title: try node.require("title", in: "scenario").string("title"),
                summary: try node.require("summary", in: "scenario").string("summary"))
        }
    }

    /// The scenario called `name`.
    /// - Throws: `FerryError(.config)` naming the scenarios there are, when there is none.
    public static func entry(_ name: String) throws -> Entry {
        let entries = try list()
        guard let entry = entries.first(where: { $0.name == name }) else {
            throw FerryError(.config, "no demo scenario \(name)", hint: "scenarios: \(entries.map(\.name).joined(separator: ", ")) (ferry demo --list)")
        }
        return entry
    }
}
