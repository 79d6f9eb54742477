public import Foundation
package import FerryCore
import FerryNode

/// Finds Ferry's own shipped files (`Ops/scenarios/…`, `Mappings/`) for `ferry demo` and
/// `ferry init`: `$FERRY_HOME` first, then the working directory and its parents, then
/// the source tree this binary was built from.
public enum ScenarioFiles {
    public static func root() throws -> URL {
        var candidates: [URL] = []
        if let home = ProcessInfo.processInfo.environment["FERRY_HOME"] { candidates.append(URL(fileURLWithPath: home)) }
        var directory = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
        for _ in 0..<6 {
            candidates.append(directory)
            directory.deleteLastPathComponent()
        }
        // Sources/FerryNode/ScenarioFiles.swift → the package root.
        candidates.append(URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent())
        for candidate in candidates where isRoot(candidate) { return candidate.standardizedFileURL }
        throw FerryError(.config, "cannot find Ferry's scenario files (Ops/scenarios and Mappings)",
            hint: "run from the Ferry source tree, or set FERRY_HOME to it")
    }

    static func isRoot(_ url: URL) -> Bool {
        let manager = FileManager.default
        return manager.fileExists(atPath: url.appendingPathComponent("Ops/scenarios").path)
            && manager.fileExists(atPath: url.appendingPathComponent("Mappings/codes").path)
    }

    /// Creates every channel's transfer directories; on a real gap they are the exchange
    /// area's mounts, which Ferry never creates by itself.
    package static func createTransferAreas(_ topology: Topology) throws {
        for channel in topology.channels {
            for directory in [channel.forward] + (channel.returnPath.map { [$0] } ?? []) {
                try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            }
        }
    }

    /// Copies a directory tree, refusing to overwrite anything.
    package static func copy(_ source: URL, to destination: URL) throws {
        try FileManager.default.createDirectory(at: destination.deletingLastPathComponent(), withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: source, to: destination)
    }
}
