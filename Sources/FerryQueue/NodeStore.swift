public import Foundation
public import GRDB
public import FerryCore

extension FerryError.Code {
    public static let store: Self = "store"
}

/// A node's durable state: queue, cursors and audit log in one SQLite database (WAL), so
/// that one transaction can enqueue records, advance a cursor and audit both.
public final class NodeStore: Sendable {
    public let path: URL
    /// The writer every module composes its transactions on.
    public let database: DatabasePool

    /// Opens (creating if needed) the store and applies every pending migration.
    /// - Parameter migrations: further modules' schema steps (the audit log), applied after the queue's.
    public init(path: URL, migrations: [@Sendable (inout DatabaseMigrator) -> Void] = []) throws {
        self.path = path
        do {
            try FileManager.default.createDirectory(at: path.deletingLastPathComponent(), withIntermediateDirectories: true)
            var configuration = Configuration()
            configuration.busyMode = .timeout(30)
            configuration.label = "ferry.store"
            database = try DatabasePool(path: path.path, configuration: configuration)
            var migrator = DatabaseMigrator()
            QueueSchema.register(in: &migrator)
            for migration in migrations { migration(&migrator) }
            try migrator.migrate(database)
        } catch let error as DatabaseError {
            throw FerryError(.store, "cannot open the store \(path.path): \(error.message ?? "\(error.resultCode)")",
                hint: "check the node's store: path, free disk space and permissions")
        }
    }

    /// Runs `body` in one immediate write transaction.
    public func write<T>(_ body: (Database) throws -> T) throws -> T {
        try database.write(body)
    }

    public func read<T>(_ body: (Database) throws -> T) throws -> T {
        try database.read(body)
    }
}
