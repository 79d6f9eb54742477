package import GRDB
public import Foundation
public import FerryCore

extension FerryError.Code {
    public static let store: Self = "store"
}

/// A node's durable state: queue, cursors, reconcile index and audit log in one database,
/// so that one transaction can enqueue records, advance a cursor and audit both. Every
/// access is a `StoreTransaction`; nothing outside the store modules (FerryQueue, and
/// FerryAudit for its own tables) sees the database or its SQL.
///
/// Two engines hold it: SQLite (WAL) in one file, embedded, the default; and PostgreSQL,
/// shared by several worker processes of one node (`PostgresStoreSession` says how their
/// writes are ordered). Both run the same migrations and the same SQL.
public final class NodeStore: Sendable {
    /// The SQLite file; for a PostgreSQL store, the node's state directory.
    public let path: URL
    /// Where the node keeps its files beside the store: sealed bundles, staging.
    public let directory: URL
    /// The store as messages name it, without secrets.
    public let location: String
    let engine: Engine
    /// Opened for auditors' reads: `write` is refused.
    private let readOnly: Bool

    enum Engine: Sendable {
        case sqlite(any DatabaseWriter)
        case postgres(PostgresSessions)
    }

    /// A PostgreSQL store's connections, one per kind of use, so that a read never waits for
    /// this process's own write transaction (which may be waiting for another worker's),
    /// and a worker's claims are renewed while its job writes.
    struct PostgresSessions: Sendable {
        let writes: PostgresStoreSession
        let reads: PostgresStoreSession
        let claims: PostgresStoreSession

        init(_ location: PostgresStoreLocation, creating: Bool) {
            writes = PostgresStoreSession(location, creating: creating)
            (reads, claims) = (PostgresStoreSession(location, creating: false), PostgresStoreSession(location, creating: false))
        }
    }

    /// The SQLite connection pool. Only the store modules and tests reach it; a PostgreSQL
    /// store has none.
    package var database: any DatabaseWriter {
        guard case .sqlite(let database) = engine else { preconditionFailure("\(location) is not a SQLite store") }
        return database
    }

    /// Every schema of a node's store before the audit log's, in the order a new store
    /// applies them. The audit module appends its own (`NodeStore(path:)` in FerryAudit):
    /// that initializer is the one way a node's store is opened for writing.
    package static var schemas: [any StoreSchema.Type] { [QueueSchema.self] }
    package static var laterSchemas: [any StoreSchema.Type] { [ConsoleUserTable.self, ReconcileRuns.self, DigestIndex.self, WorkLeases.self, Documents.self] }

    /// Opens (creating if needed) a SQLite store and applies every pending migration of
    /// `schemas`, in order.
    /// - Throws: `FerryError(.store)` when the file cannot be opened or migrated.
    package init(path: URL, schemas: [any StoreSchema.Type]) throws {
        self.path = path
        directory = path.deletingLastPathComponent()
        location = path.path
        readOnly = false
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            // Queued and applied lines hold records in clear, personal data among them: a new
            // store is the node's alone (SQLite gives its -wal and -shm files the same mode).
            // An existing store keeps the mode its operator chose.
            // O_EXCL: a second process opening the same new store finds the file made, never
            // a fresh one replacing it (Foundation's createFile writes and renames).
            let made = open(path.path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
            if made >= 0 {
                close(made)
            } else if errno != EEXIST {
                throw FerryError(.store, "cannot create the store \(path.path): \(String(cString: strerror(errno)))",
                    hint: "check the node's store: path, free disk space and permissions")
            }
            var configuration = Configuration()
            configuration.busyMode = .timeout(30)
            configuration.label = "ferry.store"
            engine = .sqlite(try DatabasePool(path: path.path, configuration: configuration))
        } catch let error as DatabaseError {
            throw FerryError(.store, "cannot open the store \(path.path): \(error.message ?? "\(error.resultCode)")",
                hint: "check the node's store: path, free disk space and permissions")
        }
        try migrate(schemas)
    }

    /// Opens (creating its schema if needed) a PostgreSQL store and applies every pending
    /// migration of `schemas`; `directory` is where the node keeps its files.
    /// - Throws: `FerryError(.store)` when the server cannot be reached or the store migrated.
    package init(postgres location: PostgresStoreLocation, directory: URL, schemas: [any StoreSchema.Type]) throws {
        self.path = directory
        self.directory = directory
        self.location = "\(location)"
        engine = .postgres(PostgresSessions(location, creating: true))
        readOnly = false
        try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try migrate(schemas)
    }

    /// Opens an existing PostgreSQL store for reading only, without migrating it: every
    /// transaction is `READ ONLY`, so auditors' commands change nothing.
    public init(readingPostgres location: PostgresStoreLocation, directory: URL) {
        self.path = directory
        self.directory = directory
        self.location = "\(location)"
        engine = .postgres(PostgresSessions(location, creating: false))
        readOnly = true
    }

    /// Opens an existing SQLite store for reading only, without migrating it: what auditors'
    /// commands use, so they need no write permission and change nothing.
    /// - Throws: `FerryError(.store)` when there is no store at `path`.
    public init(readingAt path: URL) throws {
        self.path = path
        directory = path.deletingLastPathComponent()
        location = path.path
        readOnly = true
        guard FileManager.default.fileExists(atPath: path.path) else {
            throw FerryError(.store, "no store at \(path.path)", hint: "run the node once (ferry sync or ferry run) to create it, or check store: in the topology")
        }
        do {
            var configuration = Configuration()
            configuration.readonly = true
            configuration.busyMode = .timeout(30)
            engine = .sqlite(try DatabaseQueue(path: path.path, configuration: configuration))
        } catch let error as DatabaseError {
            throw FerryError(.store, "cannot read the store \(path.path): \(error.message ?? "\(error.resultCode)")",
                hint: "check the file's permissions")
        }
    }

    /// Erases a PostgreSQL store: its schema and every table in it. Demos, benchmarks and
    /// tests start from nothing this way; a node never calls it.
    /// - Throws: `FerryError(.store)` when the server cannot be reached.
    package static func erase(postgres location: PostgresStoreLocation) throws {
        do {
            try PostgresStoreSession(location).dropSchema()
        } catch let error as PostgresStoreError {
            throw FerryError(.store, "cannot erase the store \(location): \(error)", hint: "check the server and the user's rights on the schema")
        }
    }

    /// Whether a node has made this store: always for a SQLite file that is open; for
    /// PostgreSQL, whether its schema holds migrated tables. Tools that must not create a
    /// store ask first (a mistyped schema would otherwise look like an empty, healthy queue).
    /// - Throws: `FerryError(.store)` when the server cannot be reached.
    public func isCreated() throws -> Bool {
        guard case .postgres(let sessions) = engine else { return true }
        return try read { tx in
            try tx.db.value(Int.self, sql: "SELECT count(*) FROM information_schema.tables WHERE table_schema = ? AND table_name = 'ferry_migrations'",
                arguments: [sessions.writes.location.schema])
        } ?? 0 > 0
    }

    private func migrate(_ schemas: [any StoreSchema.Type]) throws {
        let migrations = schemas.flatMap { $0.migrations }
        try write { tx in try StoreMigrator.migrate(tx.db, migrations) }
    }

    /// Runs `body` in one write transaction: all of it commits, or none.
    /// - Throws: `body`'s errors unchanged; engine failures as `FerryError(.store)`, naming
    ///   a full disk as such (the transaction rolled back whole, so the next run starts
    ///   from a consistent store).
    @discardableResult
    public func write<T>(_ body: (StoreTransaction) throws -> T) throws -> T {
        guard !readOnly else {
            throw FerryError(.store, "the store \(location) is open for reading only", hint: "run the command on the node itself")
        }
        switch engine {
        case .sqlite(let database):
            return try translatingErrors(writing: true) { try database.write { try body(StoreTransaction(SQLiteStoreConnection($0))) } }
        case .postgres(let sessions):
            return try translatingErrors(writing: true) { try sessions.writes.transaction(writing: true) { try body(StoreTransaction($0)) } }
        }
    }

    /// Runs `body` in one write transaction that does not wait for the node's write lock:
    /// only for claiming jobs (`WorkLeases`), whose rows are locked one by one and skipped
    /// when another worker holds them. On SQLite, an ordinary write.
    public func claim<T>(_ body: (WorkLeases) throws -> T) throws -> T {
        switch engine {
        case .sqlite(let database):
            return try translatingErrors(writing: true) { try database.write { try body(WorkLeases(db: SQLiteStoreConnection($0))) } }
        case .postgres(let sessions):
            return try translatingErrors(writing: true) { try sessions.claims.transaction(writing: true, serialized: false) { try body(WorkLeases(db: $0)) } }
        }
    }

    /// Runs `body` on one consistent snapshot.
    public func read<T>(_ body: (StoreTransaction) throws -> T) throws -> T {
        switch engine {
        case .sqlite(let database):
            try translatingErrors(writing: false) { try database.read { try body(StoreTransaction(SQLiteStoreConnection($0))) } }
        case .postgres(let sessions):
            try translatingErrors(writing: false) { try sessions.reads.transaction(writing: false) { try body(StoreTransaction($0)) } }
        }
    }

    private func translatingErrors<T>(writing: Bool, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as DatabaseError {
            let full = error.resultCode == .SQLITE_FULL
            throw FerryError(.store,
                full ? "the store \(location) is out of disk space" : "the store \(location) failed: \(error.message ?? "\(error.resultCode)")",
                hint: full
                    ? "free space on that disk; intake stopped with nothing half-written, and the next run resumes"
                    : writing ? "check the disk and the file; the last step rolled back whole" : "check the disk and the file's permissions")
        } catch let error as PostgresStoreError {
            // 53100: disk full on the server.
            let full = error.sqlState == "53100"
            throw FerryError(.store,
                full ? "the store \(location) is out of disk space" : "the store \(location) failed: \(error)",
                hint: full
                    ? "free space on the database server; intake stopped with nothing half-written, and the next run resumes"
                    : "check the database server; the last step rolled back whole")
        }
    }
}
