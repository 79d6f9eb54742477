import Foundation
import FerryCore
import FerryNode

extension Deployment {
    /// Where node `name` keeps its store, which the tools only read or change, never
    /// create: a node makes its own store when it first runs.
    /// - Throws: `FerryError(.config)` for a node the topology does not name (or without
    ///   an sqlite store); `FerryError(.store)` when the file is not on this machine.
    func existingStore(ofNode name: String) throws -> URL {
        guard let node = topology.node(named: name), case .sqlite(let path) = node.store else {
            throw FerryError(.config, "no node \(name) with an sqlite store in \(topology.file)",
                hint: "known nodes: \(topology.nodes.map(\.name).joined(separator: ", "))")
        }
        guard FileManager.default.fileExists(atPath: path.path) else {
            throw FerryError(.store, "node \(name) has no store on this machine at \(path.path)",
                hint: "run the tool on that node (a sync or receive there creates it), or copy its store here")
        }
        return path
    }
}
