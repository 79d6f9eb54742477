public import Foundation
import FerryCore
import FerrySeal
import FerryAdapters
import FerryNode

/// `ferry init DIR`: a working two-zone deployment to start from, which `ferry check`
/// passes unchanged.
public enum Scaffold {
    /// Creates the example in `directory`, which must be empty or new; returns the files written.
    public static func create(in directory: URL) throws -> [String] {
        let manager = FileManager.default
        if manager.fileExists(atPath: directory.path), !(try manager.contentsOfDirectory(atPath: directory.path)).isEmpty {
            throw FerryError(.config, "\(directory.path) is not empty", hint: "ferry init writes into a new or empty directory only")
        }
        let root = try ScenarioFiles.root()
        try manager.createDirectory(at: directory, withIntermediateDirectories: true)
        try ScenarioFiles.copy(root.appendingPathComponent("Ops/scenarios/two-zone/ferry.yaml"), to: directory.appendingPathComponent("ferry.yaml"))
        try ScenarioFiles.copy(root.appendingPathComponent("Mappings"), to: directory.appendingPathComponent("Mappings"))
        var written = ["ferry.yaml", "Mappings/"]
        let file = directory.appendingPathComponent("ferry.yaml")
        try ScenarioFiles.createTransferAreas(
            try TopologyLoader.parse(try ConfigNode.load(file: file), file: file.path, baseDirectory: file.deletingLastPathComponent()))
        written.append("gap/")
        for node in ["extranet-gw", "jinhong-gw"] {
            let files = try NodeKey.generate(node: node).write(to: directory.appendingPathComponent("keys"), name: node)
            written += ["keys/\(files.privateFile.lastPathComponent)", "keys/\(files.publicFile.lastPathComponent)"]
        }
        try FileManager.default.createDirectory(at: directory.appendingPathComponent("keys"), withIntermediateDirectories: true)
        try DigestKey.generate(algorithm: "hmac-sha256").write(to: directory.appendingPathComponent("keys/records.digest"))
        written.append("keys/records.digest")
        // Empty example systems, so the first sync runs against real tables.
        let schemas = root.appendingPathComponent("Ops/scenarios/foreign-affairs/systems")
        try manager.createDirectory(at: directory.appendingPathComponent("data"), withIntermediateDirectories: true)
        for system in ["portal", "approval"] {
            let schema = try String(contentsOf: schemas.appendingPathComponent("\(system).sql"), encoding: .utf8)
            try SQLiteSystemFile(path: directory.appendingPathComponent("data/\(system).db")).execute(schema)
            written.append("data/\(system).db")
        }
        return written
    }
}
