package import Foundation
import FerryCore
import FerryQueue

/// Puts every node of a generated topology on one PostgreSQL server, each in its own
/// schema: what `ferry demo --store` and `ferry bench e2e --store` do with the URL given.
package enum NodeStores {
    /// Rewrites the `store: sqlite:state/NODE.db` entries of `file` to `url`, with
    /// `schema=PREFIX_NODE`, where PREFIX is the URL's own `schema` option (default `ferry`).
    /// - Throws: `FerryError(.config)` when `url` is not a postgres:// URL.
    package static func usePostgres(_ url: String, in file: URL) throws {
        guard var components = URLComponents(string: url), ["postgres", "postgresql"].contains(components.scheme ?? "") else {
            throw FerryError(.config, "--store takes a postgres://USER@HOST:PORT/DATABASE url",
                hint: "leave --store out for SQLite stores in the run's directory")
        }
        // The run writes the URL into its topology file, which is not a secret.
        guard components.password == nil else {
            throw FerryError(.config, "--store carries a password", hint: "give it with password_env=VAR (or password_file=PATH) in the URL instead")
        }
        let prefix = components.queryItems?.first { $0.name == "schema" }?.value ?? "ferry"
        var text = try String(contentsOf: file, encoding: .utf8)
        let pattern = try NSRegularExpression(pattern: #"store: sqlite:state/([A-Za-z0-9_-]+)\.db"#)
        for match in pattern.matches(in: text, range: NSRange(text.startIndex..., in: text)).reversed() {
            guard let whole = Range(match.range, in: text), let name = Range(match.range(at: 1), in: text) else { continue }
            let schema = prefix + "_" + text[name].lowercased().map { $0.isLetter || $0.isNumber ? String($0) : "_" }.joined()
            components.queryItems = (components.queryItems ?? []).filter { $0.name != "schema" } + [URLQueryItem(name: "schema", value: schema)]
            let nodeURL = components.string ?? url
            // A run starts from nothing, as its directory does.
            try NodeStore.erase(postgres: PostgresStoreLocation(url: nodeURL, node: String(text[name])))
            text.replaceSubrange(whole, with: "store: \"\(nodeURL)\"")
        }
        try Data(text.utf8).write(to: file)
    }
}
