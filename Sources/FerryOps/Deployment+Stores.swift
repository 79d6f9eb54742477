import Foundation
import FerryCore
import FerryNode
import FerryQueue
import FerryAudit

extension Deployment {
    /// Node `name`'s store, which the tools only read or change, never create: a node
    /// makes its own store when it first runs. A PostgreSQL store is opened (and, for
    /// writing, migrated) as the node opens it.
    /// - Throws: `FerryError(.config)` for a node the topology does not name;
    ///   `FerryError(.store)` when a SQLite file is not on this machine or the store
    ///   cannot be reached.
    func existingStore(ofNode name: String, readOnly: Bool) throws -> NodeStore {
        guard let node = topology.node(named: name) else {
            throw FerryError(.config, "no node \(name) in \(topology.file)",
                hint: "known nodes: \(topology.nodes.map(\.name).joined(separator: ", "))")
        }
        guard case .sqlite(let path) = node.store else {
            let reader = try NodeStore(readingNode: node, topology: topology)
            guard try reader.isCreated() else {
                throw FerryError(.store, "node \(name) has no store at \(reader.location)",
                    hint: "run the node once (a sync or receive there creates it), or check the schema in its store: in \(topology.file)")
            }
            return readOnly ? reader : try NodeStore(node: node, topology: topology)
        }
        guard FileManager.default.fileExists(atPath: path.path) else {
            throw FerryError(.store, "node \(name) has no store on this machine at \(path.path)",
                hint: "run the tool on that node (a sync or receive there creates it), or copy its store here")
        }
        return readOnly ? try NodeStore(readingAt: path) : try NodeStore(path: path)
    }
}
