public import Foundation
public import FerryQueue
import FerryAudit
import FerryCore

/// The two engines a node's store runs on. Tests of the queue, crash recovery and the
/// audit log take one as an argument and run on both: SQLite in a temporary file, and
/// PostgreSQL on the server `make test` starts (`FERRY_TEST_POSTGRES`), in a new schema.
public enum StoreKind: String, CaseIterable, Sendable, CustomStringConvertible {
    case sqlite
    case postgres

    public var description: String { rawValue }

    /// The test server's URL with a fresh schema prefix, for topologies whose nodes each get
    /// a schema `PREFIX_NODE`; the password comes from `FERRY_TEST_POSTGRES_PASSWORD`.
    /// - Throws: when `FERRY_TEST_POSTGRES` is not set (run the tests with `make test`).
    public static func postgresURL(_ name: String) throws -> String {
        guard let url = ProcessInfo.processInfo.environment["FERRY_TEST_POSTGRES"], var components = URLComponents(string: url) else {
            throw FerryError(.config, "FERRY_TEST_POSTGRES is not set", hint: "run the tests with 'make test', which starts PostgreSQL")
        }
        let unique = UUID().uuidString.prefix(8).lowercased()
        let prefix = "t_" + name.lowercased().map { $0.isLetter || $0.isNumber ? String($0) : "_" }.joined().prefix(30) + "_" + unique
        components.queryItems = [URLQueryItem(name: "password_env", value: "FERRY_TEST_POSTGRES_PASSWORD"), URLQueryItem(name: "schema", value: prefix)]
        return components.string ?? url
    }

    /// A place for one store of this kind that no other test uses.
    public func fresh(_ name: String) throws -> TestStore {
        switch self {
        case .sqlite:
            return TestStore(kind: self, path: TemporaryDirectory.url(name).appendingPathComponent("node.db"), postgres: nil)
        case .postgres:
            let location = try PostgresStoreLocation(url: Self.postgresURL(name), node: name)
            return TestStore(kind: self, path: TemporaryDirectory.url(name), postgres: location)
        }
    }
}

/// One test's store: opened, reopened and read as the node and the auditors' tools do.
public struct TestStore: Sendable {
    public let kind: StoreKind
    public let path: URL
    let postgres: PostgresStoreLocation?

    /// Opens (creating and migrating) the store, as a node does.
    public func open() throws -> NodeStore {
        guard let postgres else { return try NodeStore(path: path) }
        return try NodeStore(postgres: postgres, directory: path, schemas: NodeStore.allSchemas)
    }

    /// Opens it for reading only, as auditors' tools do.
    public func openReadOnly() throws -> NodeStore {
        guard let postgres else { return try NodeStore(readingAt: path) }
        return NodeStore(readingPostgres: postgres, directory: path)
    }
}

extension NodeStore {
    /// The first column of one query's first row, as an integer: for tests that count rows.
    public func count(_ sql: String) throws -> Int {
        try read { tx in try tx.db.value(Int.self, sql: sql) } ?? 0
    }
}
