public import Foundation
public import FerryCore
package import GRDB

extension FerryError.Code {
    public static let store: Self = "store"
}

/// A node's durable state: queue, cursors, reconcile index and audit log in one SQLite
/// database (WAL), so that one transaction can enqueue records, advance a cursor and
/// audit both. Every access is a `StoreTransaction`; nothing outside the store modules
/// (FerryQueue, and FerryAudit for its own tables) sees the database or its SQL.
public final class NodeStore: Sendable {
    public let path: URL
    /// The connection pool. Only the store modules and tests reach it.
    package let database: any DatabaseWriter

    /// Every schema of a node's store before the audit log's, in the order a new store
    /// applies them. The audit module appends its own (`NodeStore(path:)` in FerryAudit):
    /// that initializer is the one way a node's store is opened for writing.
    package static var schemas: [any StoreSchema.Type] { [QueueSchema.self] }
    package static var laterSchemas: [any StoreSchema.Type] { [ConsoleUserTable.self, ReconcileRuns.self, DigestIndex.self] }

    /// Opens (creating if needed) the store and applies every pending migration of
    /// `schemas`, in order.
    /// - Throws: `FerryError(.store)` when the file cannot be opened or migrated.
    package init(path: URL, schemas: [any StoreSchema.Type]) throws {
        self.path = path
        do {
            try FileManager.default.createDirectory(at: path.deletingLastPathComponent(), withIntermediateDirectories: true)
            var configuration = Configuration()
            configuration.busyMode = .timeout(30)
            configuration.label = "ferry.store"
            database = try DatabasePool(path: path.path, configuration: configuration)
            var migrator = DatabaseMigrator()
            for schema in schemas { schema.register(in: &migrator) }
            try migrator.migrate(database)
        } catch let error as DatabaseError {
            throw FerryError(.store, "cannot open the store \(path.path): \(error.message ?? "\(error.resultCode)")",
                hint: "check the node's store: path, free disk space and permissions")
        }
    }

    /// Opens an existing store for reading only, without migrating it: what auditors'
    /// commands use, so they need no write permission and change nothing.
    /// - Throws: `FerryError(.store)` when there is no store at `path`.
    public init(readingAt path: URL) throws {
        self.path = path
        guard FileManager.default.fileExists(atPath: path.path) else {
            throw FerryError(.store, "no store at \(path.path)", hint: "run the node once (ferry sync or ferry run) to create it, or check store: in the topology")
        }
        do {
            var configuration = Configuration()
            configuration.readonly = true
            configuration.busyMode = .timeout(30)
            database = try DatabaseQueue(path: path.path, configuration: configuration)
        } catch let error as DatabaseError {
            throw FerryError(.store, "cannot read the store \(path.path): \(error.message ?? "\(error.resultCode)")",
                hint: "check the file's permissions")
        }
    }

    /// Runs `body` in one immediate write transaction: all of it commits, or none.
    /// - Throws: `body`'s errors unchanged; SQLite failures as `FerryError(.store)`, naming
    ///   a full disk as such (the transaction rolled back whole, so the next run starts
    ///   from a consistent store).
    @discardableResult
    public func write<T>(_ body: (StoreTransaction) throws -> T) throws -> T {
        try translatingErrors(writing: true) { try database.write { try body(StoreTransaction($0)) } }
    }

    /// Runs `body` on one consistent snapshot.
    public func read<T>(_ body: (StoreTransaction) throws -> T) throws -> T {
        try translatingErrors(writing: false) { try database.read { try body(StoreTransaction($0)) } }
    }

    private func translatingErrors<T>(writing: Bool, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as DatabaseError {
            let full = error.resultCode == .SQLITE_FULL
            throw FerryError(.store,
                full ? "the store \(path.path) is out of disk space" : "the store \(path.path) failed: \(error.message ?? "\(error.resultCode)")",
                hint: full
                    ? "free space on that disk; intake stopped with nothing half-written, and the next run resumes"
                    : writing ? "check the disk and the file; the last step rolled back whole" : "check the disk and the file's permissions")
        }
    }
}
