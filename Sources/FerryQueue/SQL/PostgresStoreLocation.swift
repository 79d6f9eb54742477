public import Foundation
import FerryCore

/// Where a PostgreSQL store lives, from `store: postgres://USER@HOST:PORT/DATABASE?…`.
///
/// Query options: `schema` (default `ferry_NODE`: each node keeps its tables in its own
/// schema, so several nodes can share a database), `password_env` or `password_file`
/// (a password written in the URL works but is discouraged: the topology is not a secret),
/// `sslmode=verify-full` (or `require`, which here verifies the certificate and host name
/// too), and `connect_timeout` in seconds (default 10).
public struct PostgresStoreLocation: Sendable, Equatable {
    public var host: String
    public var port: Int
    public var user: String
    public var database: String
    public var schema: String
    public var requireTLS: Bool
    public var connectTimeout: Int
    /// Never printed: `description` leaves it out.
    var password: String?

    /// Parses a store URL for node `node`.
    /// - Throws: `FerryError(.config)` naming what is wrong, never the password.
    public init(url text: String, node: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        guard let components = URLComponents(string: text), ["postgres", "postgresql"].contains(components.scheme ?? ""),
            let host = components.host, !host.isEmpty
        else {
            throw FerryError(.config, "store \(Self.redacted(text)) is not a postgres://USER@HOST:PORT/DATABASE url",
                hint: "write store: postgres://ferry@127.0.0.1:5432/ferry?password_env=FERRY_STORE_PASSWORD")
        }
        let items = components.queryItems ?? []
        if let repeated = Dictionary(grouping: items, by: \.name).first(where: { $0.value.count > 1 })?.key {
            throw FerryError(.config, "store option \(repeated) is given twice", hint: "give each option once")
        }
        let options = Dictionary(items.map { ($0.name, $0.value ?? "") }, uniquingKeysWith: { $1 })
        let known: Set = ["schema", "password_env", "password_file", "sslmode", "connect_timeout"]
        if let unknown = options.keys.sorted().first(where: { !known.contains($0) }) {
            throw FerryError(.config, "store option \(unknown) is not known", hint: "known: \(known.sorted().joined(separator: ", "))")
        }
        self.host = host
        port = components.port ?? 5432
        user = components.user ?? "postgres"
        let path = components.path.hasPrefix("/") ? String(components.path.dropFirst()) : components.path
        database = path.isEmpty ? user : path
        schema = options["schema"] ?? "ferry_" + node.lowercased().map { $0.isLetter || $0.isNumber ? String($0) : "_" }.joined()
        guard (1...63).contains(schema.utf8.count), schema.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }) else {
            throw FerryError(.config, "store schema '\(schema)' is not a plain name", hint: "use letters, digits and _ only, 1 to 63 of them")
        }
        // The server's own schemas, and the one every user shares, are not a node's to fill.
        guard !["public", "information_schema"].contains(schema.lowercased()), !schema.lowercased().hasPrefix("pg_") else {
            throw FerryError(.config, "store schema \(schema) is reserved", hint: "give the node a schema of its own, e.g. schema=ferry_\(node.lowercased().filter { $0.isLetter || $0.isNumber })")
        }
        switch options["sslmode"] ?? "disable" {
        case "disable": requireTLS = false
        // Both verify the server's certificate and name, stricter than libpq's `require`.
        case "require", "verify-full": requireTLS = true
        case let other:
            throw FerryError(.config, "store sslmode \(other) is not supported", hint: "use sslmode=disable, or sslmode=verify-full to verify the server's certificate and name")
        }
        guard let timeout = Int(options["connect_timeout"] ?? "10"), (1...600).contains(timeout) else {
            throw FerryError(.config, "store connect_timeout must be seconds, 1 to 600", hint: "connect_timeout=10")
        }
        connectTimeout = timeout
        password = try Self.password(components: components, options: options, environment: environment)
    }

    private static func password(components: URLComponents, options: [String: String], environment: [String: String]) throws -> String? {
        if options["password_env"] != nil, options["password_file"] != nil {
            throw FerryError(.config, "store gives both password_env and password_file", hint: "keep one of them")
        }
        if let name = options["password_env"] {
            guard !name.isEmpty else { throw FerryError(.config, "store password_env names no variable", hint: "password_env=FERRY_STORE_PASSWORD") }
            guard let value = environment[name] else {
                throw FerryError(.config, "store password_env names \(name), which is not set", hint: "export \(name) for the node's service")
            }
            return value
        }
        if let file = options["password_file"] {
            guard let data = FileManager.default.contents(atPath: file) else {
                throw FerryError(.config, "store password_file \(file) cannot be read", hint: "check the path and that the node's user may read it")
            }
            return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        }
        return components.password
    }

    /// The URL with any password taken out, for messages and logs.
    static func redacted(_ text: String) -> String {
        guard var components = URLComponents(string: text) else { return "(unreadable url)" }
        if components.password != nil { components.password = "***" }
        return components.string ?? "(unreadable url)"
    }
}

extension PostgresStoreLocation: CustomStringConvertible {
    public var description: String { "postgres://\(user)@\(host):\(port)/\(database) (schema \(schema))" }
}
