public import Foundation
public import FerryCore
public import FerryQueue

/// The audit log's tables as one of the store's schemas.
package enum AuditSchema: StoreSchema {
    package static var migrations: [StoreMigration] { AuditLog.migrations }
}

extension NodeStore {
    /// Every schema of a node's store, in the one order a store moves forward through: the
    /// queue's, the audit log's, then the console's and reconcile's.
    package static var allSchemas: [any StoreSchema.Type] { NodeStore.schemas + [AuditSchema.self] + NodeStore.laterSchemas }

    /// Opens (creating if needed) a node's SQLite store for writing and migrates every table
    /// in it.
    /// - Throws: `FerryError(.store)` when the file cannot be opened or migrated.
    public convenience init(path: URL) throws {
        try self.init(path: path, schemas: Self.allSchemas)
    }

    /// Opens node `node`'s store as the topology's `store:` names it, for writing, and
    /// migrates it: a SQLite file, or a schema in a PostgreSQL database. A PostgreSQL node
    /// keeps its files (sealed bundles, staging) in `state/` beside the topology file.
    /// - Throws: `FerryError(.config)` for an unusable store URL; `FerryError(.store)` when
    ///   the store cannot be opened or migrated.
    public convenience init(node: Topology.Node, topology: Topology) throws {
        switch node.store {
        case .sqlite(let path):
            try self.init(path: path)
        case .postgres(let url):
            try self.init(postgres: PostgresStoreLocation(url: url, node: node.name), directory: Self.stateDirectory(topology), schemas: Self.allSchemas)
        }
    }

    /// Opens node `node`'s existing store for reading only, without migrating it.
    /// - Throws: as `init(node:topology:)`, and `FerryError(.store)` for a SQLite file that
    ///   is not there.
    public convenience init(readingNode node: Topology.Node, topology: Topology) throws {
        switch node.store {
        case .sqlite(let path):
            try self.init(readingAt: path)
        case .postgres(let url):
            self.init(readingPostgres: try PostgresStoreLocation(url: url, node: node.name), directory: Self.stateDirectory(topology))
        }
    }

    /// Where a node on a PostgreSQL store keeps its files.
    static func stateDirectory(_ topology: Topology) -> URL {
        URL(fileURLWithPath: topology.file).deletingLastPathComponent().appendingPathComponent("state")
    }
}
