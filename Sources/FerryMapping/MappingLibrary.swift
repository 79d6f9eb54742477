public import Foundation
public import FerryCore

/// A `Mappings/` folder on its own, without a topology: `entities/*.yaml`, `codes/*.csv`
/// and mapping files beside them. What engineers test and try mapping files against
/// before any node is configured.
public struct MappingLibrary: Sendable {
    public let root: URL
    public let codes: CodeTables

    public init(root: URL) {
        self.root = root
        codes = CodeTables(directory: root.appendingPathComponent("codes"))
    }

    /// The library a mapping file belongs to: the nearest folder above it that holds both
    /// `entities/` and `codes/`.
    public static func containing(_ file: URL) throws -> MappingLibrary {
        var folder = file.standardizedFileURL.deletingLastPathComponent()
        while folder.path != "/" {
            let entities = folder.appendingPathComponent("entities").path
            let codes = folder.appendingPathComponent("codes").path
            if FileManager.default.fileExists(atPath: entities), FileManager.default.fileExists(atPath: codes) {
                return MappingLibrary(root: folder)
            }
            folder = folder.deletingLastPathComponent()
        }
        throw FerryError(.config, "no entities/ and codes/ folders above \(file.path)",
            at: .file(SourceLocation(file: file.path, line: 1, column: 1)),
            hint: "keep mapping files inside a Mappings/ folder that has entities/ and codes/, or pass --config")
    }

    /// The entity file declaring `name` (`entity: name`).
    public func entity(_ name: String, at location: SourceLocation) throws -> EntitySchema {
        let folder = root.appendingPathComponent("entities")
        let files = ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).filter { $0.hasSuffix(".yaml") }.sorted()
        var known: [String] = []
        for file in files {
            let url = folder.appendingPathComponent(file)
            let node = try ConfigNode.load(file: url)
            let declared = try node["entity"]?.string("entity")
            if declared == name { return try EntitySchema.load(url, codes: codes) }
            if let declared { known.append(declared) }
        }
        throw FerryError(.config, "no entity file under \(folder.path) declares entity \(name)", at: .file(location),
            hint: known.isEmpty ? "add entities/NAME.yaml" : "known entities: \(known.joined(separator: ", "))")
    }

    /// Compiles a mapping file against the entity it names.
    public func mapping(_ file: URL) throws -> Mapping {
        let root = try ConfigNode.load(file: file)
        let entityNode = try root.require("entity", in: "the mapping")
        return try Mapping.load(file, entity: try entity(try entityNode.string("entity"), at: entityNode.location), codes: codes)
    }
}
