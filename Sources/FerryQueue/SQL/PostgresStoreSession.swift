import Foundation
import FerryCore
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import PostgresNIO

/// One connection to a PostgreSQL store, and the transactions run on it one at a time.
///
/// A write transaction first takes the node's advisory lock (`pg_advisory_xact_lock`, held
/// until commit), so every worker process of a node writes its store one at a time, as
/// SQLite's single writer does: the audit chain gets one next sequence and one previous
/// hash, lane sequences never collide, and every rule the SQLite store keeps holds
/// unchanged. Workers still overlap everything outside the store (reading sources,
/// mapping, sealing, opening, applying to targets). Reads take no lock: they run as
/// repeatable-read snapshots.
final class PostgresStoreSession: @unchecked Sendable {
    // @unchecked: `connection` changes only under `lock`.
    let location: PostgresStoreLocation
    /// Whether this session may create the node's schema: not for auditors' read-only opens.
    let creating: Bool
    private let lock = NSLock()
    private var connection: PostgresConnection?
    /// The advisory lock key: the same for every worker of one schema.
    let writeLock: Int64

    init(_ location: PostgresStoreLocation, creating: Bool = true) {
        self.location = location
        self.creating = creating
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in "ferry-store:\(location.database):\(location.schema)".utf8 {
            hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
        }
        writeLock = Int64(bitPattern: hash)
    }

    deinit { try? connection?.close().wait() }

    /// Runs `body` in one transaction: all of it commits, or none.
    /// - Parameter serialized: whether a write waits for the node's write lock; only job
    ///   claims do not (`NodeStore.claim`).
    func transaction<T>(writing: Bool, serialized: Bool = true, _ body: (PostgresStoreConnection) throws -> T) throws -> T {
        try lock.withLock {
            let store = PostgresStoreConnection(try connected())
            do {
                try store.run(writing ? "BEGIN" : "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", [])
                if writing && serialized { try store.run("SELECT pg_advisory_xact_lock(\(writeLock))", []) }
                let result = try body(store)
                // A transaction a failed statement aborted answers COMMIT with ROLLBACK, not an error.
                let tag = try store.run("COMMIT", []).metadata.command
                guard tag == "COMMIT" else { throw PostgresStoreError(message: "the transaction was rolled back (\(tag))") }
                return result
            } catch {
                _ = store.drain()
                if (try? store.run("ROLLBACK", [])) == nil {
                    // The connection is gone or broken: the next transaction opens a new one.
                    try? connection?.close().wait()
                    connection = nil
                }
                throw error
            }
        }
    }

    /// Drops the store's schema and everything in it: for demos, benchmarks and tests that
    /// start from nothing, never for a node's own store.
    func dropSchema() throws {
        try lock.withLock {
            let store = PostgresStoreConnection(try connected())
            try store.run("DROP SCHEMA IF EXISTS \"\(location.schema)\" CASCADE", [])
            try? connection?.close().wait()
            connection = nil
        }
    }

    private func connected() throws -> PostgresConnection {
        if let connection, !connection.isClosed { return connection }
        var configuration = PostgresConnection.Configuration(
            host: location.host, port: location.port, username: location.user, password: location.password, database: location.database,
            tls: location.requireTLS ? .require(try NIOSSLContext(configuration: .makeClientConfiguration())) : .disable)
        configuration.options.connectTimeout = .seconds(Int64(location.connectTimeout))
        let opened: PostgresConnection
        do {
            opened = try PostgresConnection.connect(
                on: MultiThreadedEventLoopGroup.singleton.any(), configuration: configuration, id: 1, logger: PostgresStoreConnection.logger
            ).wait()
        } catch {
            throw FerryError(.store, "cannot connect to the store \(location): \(PostgresStoreError(error))",
                hint: "check that the server runs, the url, and the password (password_env or password_file)")
        }
        let store = PostgresStoreConnection(opened)
        do {
            // Timestamps are stored as text; the session's own clock settings never matter,
            // but messages and now() read the same everywhere.
            try store.run("SET TIME ZONE 'UTC'", [])
            // A worker whose host drops off the network mid-transaction would hold the node's
            // lock until the server's TCP timeout, hours; others would wait as long.
            try store.run("SET idle_in_transaction_session_timeout = '300s'", [])
            try store.run("SET lock_timeout = '300s'", [])
            if creating {
                // Under the node's lock: workers starting together would race to create it.
                try store.run("BEGIN", [])
                try store.run("SELECT pg_advisory_xact_lock(\(writeLock))", [])
                try store.run("CREATE SCHEMA IF NOT EXISTS \"\(location.schema)\"", [])
                try store.run("COMMIT", [])
            }
            try store.run("SET search_path TO \"\(location.schema)\"", [])
        } catch {
            try? opened.close().wait()
            throw FerryError(.store, "cannot use schema \(location.schema) in the store \(location): \(error)",
                hint: creating ? "grant the store's user CREATE on the database" : "run the node once to create its store")
        }
        connection = opened
        return opened
    }
}
