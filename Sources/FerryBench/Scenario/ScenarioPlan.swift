import Foundation
import FerryCore

/// What a scenario's `scenario.yaml` says to do beyond its ferry.yaml: the servers its
/// systems live on, the tables to make, the records to seed and the exchanges to run.
/// A scenario without `steps:`, or with `builtin: official-travel`, runs the built-in
/// official-travel line of the foreign-affairs demo (`Demo`) first.
struct ScenarioPlan {
    enum Step {
        /// Delivers one flow, or every flow of a trigger, across its gaps (or within its
        /// zone) in one exchange, and back with receipts.
        case deliver(String)
        /// Runs an SQL file on a SQLite system; with `stamp`, the time now in that pattern
        /// is its one parameter (a business step: an approval, a correction).
        case sql(system: String, file: String, stamp: String?)
    }

    struct Schema {
        var file: String
        var systems: [String]
    }

    struct Seed {
        var file: String
        var share: Int
    }

    /// A rule across entities that the per-flow checks cannot see (a form naming a person the
    /// system holds): `count` is an SQL query on SQLite system `system` counting the rows that
    /// break it, and the run fails unless it finds `want`.
    struct Expectation {
        var says: String
        var system: String
        var count: String
        var want: Int
        var at: SourceLocation
    }

    /// The built-in line that runs before the steps; only `official-travel` exists.
    static let builtinLines: Set<String> = ["official-travel"]

    /// Whether the scenario keeps systems on the test set-up's PostgreSQL and MariaDB
    /// servers, in a database of the run's own (`${FERRY_SCENARIO_DATABASE}` in ferry.yaml).
    var postgres = false
    var mariadb = false
    /// REST-system collections and the (key, version) fields it keeps their records by;
    /// nil when the scenario needs no REST system.
    var httpCollections: [String: (key: String, version: String)]?
    var schemas: [Schema] = []
    var seeds: [Seed] = []
    /// Each step with where scenario.yaml says it, for errors found before the run.
    var steps: [(step: Step, at: SourceLocation)] = []
    /// Flows whose every record the targets must refuse: their check passes when no target
    /// holds any of them, and they are not reconciled.
    var refused: Set<String> = []
    /// The built-in line run before the steps (`builtin:`), nil for none.
    var builtin: String?
    var expectations: [Expectation] = []

    /// - Throws: `FerryError(.config)` located in the file for anything malformed.
    static func load(_ file: URL) throws -> ScenarioPlan {
        let root = try ConfigNode.load(file: file)
        try root.rejectUnknownKeys(["title", "summary", "builtin", "servers", "schemas", "seed", "steps", "refused", "expect"], in: "the scenario")
        var plan = ScenarioPlan()
        plan.refused = Set(try root["refused"]?.strings("refused") ?? [])
        if let node = root["builtin"] {
            let line = try node.string("builtin")
            guard builtinLines.contains(line) else { throw node.error("there is no built-in line \(line)", hint: "builtin: official-travel, or leave it out") }
            // The built-in line makes and seeds its own systems and starts no server.
            if let other = ["servers", "schemas", "seed"].first(where: { root[$0] != nil }) {
                throw node.error("a scenario with builtin: takes steps:, refused: and expect: only, not \(other):",
                    hint: "make the tables in the built-in line's systems/*.sql, or drop builtin: and seed with seed:")
            }
            plan.builtin = line
        }
        plan.expectations = try (root["expect"]?.items("expect") ?? []).map(expectation)
        if let servers = root["servers"] {
            try servers.rejectUnknownKeys(["postgres", "mariadb", "http"], in: "servers")
            plan.postgres = try servers["postgres"]?.bool("postgres") ?? false
            plan.mariadb = try servers["mariadb"]?.bool("mariadb") ?? false
            if let http = servers["http"] {
                plan.httpCollections = try Dictionary(uniqueKeysWithValues: http.entries("http").map { entry in
                    let fields = try entry.value.strings(entry.key)
                    guard fields.count == 2 else { throw entry.value.error("collection \(entry.key) is [key field, version field]", hint: "write \(entry.key): [id, updated]") }
                    return (entry.key, (fields[0], fields[1]))
                })
            }
        }
        plan.schemas = try (root["schemas"]?.items("schemas") ?? []).map {
            Schema(file: try $0.require("file", in: "a schema").string("file"), systems: try $0.require("systems", in: "a schema").strings("systems"))
        }
        plan.seeds = try (root["seed"]?.items("seed") ?? []).map { node in
            let share = Int(try node["share"]?.string("share") ?? "1") ?? 0
            guard share > 0 else { throw node.error("share is a whole number of parts, at least 1", hint: "write share: 1, or leave it out") }
            return Seed(file: try node.require("file", in: "a seed").string("file"), share: share)
        }
        plan.steps = try (root["steps"]?.items("steps") ?? []).map { node in (try step(node), node.location) }
        return plan
    }

    static func step(_ node: ConfigNode) throws -> Step {
        if let flow = node["deliver"] { return .deliver(try flow.string("deliver")) }
        guard let sql = node["sql"] else {
            throw node.error("a step is { deliver: FLOW or TRIGGER } or { sql: { system, file, stamp } }", hint: "see the steps: of Ops/scenarios/linked-processing/scenario.yaml")
        }
        try sql.rejectUnknownKeys(["system", "file", "stamp"], in: "an sql step")
        return .sql(system: try sql.require("system", in: "an sql step").string("system"), file: try sql.require("file", in: "an sql step").string("file"),
            stamp: try sql["stamp"]?.string("stamp"))
    }

    static func expectation(_ node: ConfigNode) throws -> Expectation {
        try node.rejectUnknownKeys(["says", "system", "count", "want"], in: "an expectation")
        guard let want = Int(try node["want"]?.string("want") ?? "0"), want >= 0 else {
            throw node.error("want is the number of rows the query must count", hint: "write want: 0, or leave it out")
        }
        return Expectation(says: try node.require("says", in: "an expectation").string("says"),
            system: try node.require("system", in: "an expectation").string("system"),
            count: try node.require("count", in: "an expectation").string("count"), want: want, at: node.location)
    }

    /// How many of `records` each seed makes: its share of the whole, at least one.
    func counts(records: Int) -> [Int] {
        let parts = seeds.reduce(0) { $0 + $1.share }
        return seeds.map { max(1, records * $0.share / max(1, parts)) }
    }
}
