public import Foundation
public import FerryQueue

/// The audit log's tables as one of the store's schemas.
package enum AuditSchema: StoreSchema {
    package static var migrations: [StoreMigration] { AuditLog.migrations }
}

extension NodeStore {
    /// Opens (creating if needed) a node's store for writing and migrates every table in
    /// it: the queue's, the audit log's, then the console's and reconcile's. The one place
    /// that order is written; a deployed store only moves forward through it.
    /// - Throws: `FerryError(.store)` when the file cannot be opened or migrated.
    public convenience init(path: URL) throws {
        try self.init(path: path, schemas: NodeStore.schemas + [AuditSchema.self] + NodeStore.laterSchemas)
    }
}
