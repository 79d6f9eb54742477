import Foundation
import FerryCore
import FerryMapping

/// A scenario's seed file: how to generate the `n`-th record of one entity at one system,
/// field by field, deterministically (the same `n` always gives the same record).
///
/// ```yaml
/// system: muni-approval
/// entity: ConstructionProject
/// let:    { area: { cycle: [思明, 海沧] } }      # helpers patterns use, not fields
/// fields:
///   division:     { cycle: ["350203", "350205"] }   # item n modulo the list's length
///   project_code: { pattern: "2026-{division}-48-01-{n:6}" }
///   project_type: { pick: [approval, filing] }      # drawn from a seeded generator
///   builder_uscc: { uscc: division }                # GB 32100, in that field's division
///   id_number:    { resident_id: division }         # GB 11643, born there 1960–2004
///   investment:   { decimal: ["100", "500000"] }    # two decimal places
///   planned_start: { date: ["2027-01-01", 365] }    # a day up to 365 days on
///   registered_at: { timestamp: ["2026-11-01T00:00:00Z", 2] }  # 2 seconds apart, in order
///   departments:  { sample: [a, b, c, d], min: 2, max: 3 }     # distinct, in list order
///   licence:      { pdf: { text: "不动产权证书 {n}", name: "{n}.pdf" } }  # a document
/// ```
/// A `pattern` names `n` (`{n:6}` pads to six digits) or any other field or helper.
struct SeedSpec {
    enum Generator {
        case value(String)
        case cycle([String])
        case pick([String])
        case pattern(String)
        case uscc(division: String)
        case residentID(division: String)
        case decimal(low: Int, high: Int)
        case date(start: String, days: Int)
        case timestamp(start: Date, step: Int)
        case sample([String], min: Int, max: Int)
        /// A small PDF document holding `text`, named `name` (both patterns).
        case pdf(text: String, name: String)
    }

    var system: String
    var entity: String
    /// Helpers first, then fields, each in file order: a pattern sees what came before it.
    var helpers: [(String, Generator)]
    var fields: [(String, Generator)]

    /// - Throws: `FerryError(.config)` located in the file for an unknown or malformed generator.
    static func load(_ file: URL) throws -> SeedSpec {
        let root = try ConfigNode.load(file: file)
        try root.rejectUnknownKeys(["system", "entity", "let", "fields"], in: "the seed file")
        func generators(_ key: String) throws -> [(String, Generator)] {
            guard let node = root[key] else { return [] }
            return try node.entries(key).map { entry in (entry.key, try generator(entry.value, field: entry.key)) }
        }
        return SeedSpec(system: try root.require("system", in: "the seed file").string("system"),
            entity: try root.require("entity", in: "the seed file").string("entity"),
            helpers: try generators("let"), fields: try generators("fields"))
    }

    static func generator(_ node: ConfigNode, field: String) throws -> Generator {
        let kinds: Set<String> = ["value", "cycle", "pick", "pattern", "uscc", "resident_id", "decimal", "date", "timestamp", "sample", "min", "max", "pdf"]
        try node.rejectUnknownKeys(kinds, in: "the generator of \(field)")
        func pair(_ key: String) throws -> [String]? {
            guard let list = try node[key]?.strings(key) else { return nil }
            guard list.count == 2 else { throw node.error("\(key) of \(field) is [from, to]", hint: "e.g. \(key): [\"100\", \"500\"]") }
            return list
        }
        if let value = node["value"] { return .value(try value.string("value")) }
        if let list = try node["cycle"]?.strings("cycle"), !list.isEmpty { return .cycle(list) }
        if let list = try node["pick"]?.strings("pick"), !list.isEmpty { return .pick(list) }
        if let list = try node["sample"]?.strings("sample"), !list.isEmpty {
            let low = Int(try node["min"]?.string("min") ?? "1") ?? 1, high = Int(try node["max"]?.string("max") ?? "\(list.count)") ?? list.count
            guard 1 <= low, low <= high, high <= list.count else { throw node.error("sample of \(field) needs 1 ≤ min ≤ max ≤ \(list.count)", hint: "fix min: and max:") }
            return .sample(list, min: low, max: high)
        }
        if let text = node["pattern"] { return .pattern(try text.string("pattern")) }
        if let pdf = node["pdf"] {
            try pdf.rejectUnknownKeys(["text", "name"], in: "pdf")
            return .pdf(text: try pdf.require("text", in: "pdf").string("text"), name: try pdf.require("name", in: "pdf").string("name"))
        }
        if let division = node["uscc"] { return .uscc(division: try division.string("uscc")) }
        if let division = node["resident_id"] { return .residentID(division: try division.string("resident_id")) }
        // Amounts from zero up to a trillion: cents stay well inside 64 bits.
        if let range = try pair("decimal"), let low = Int(range[0]), let high = Int(range[1]), 0 <= low, low <= high, high <= 1_000_000_000_000 {
            return .decimal(low: low, high: high)
        }
        if let range = try pair("date"), let days = Int(range[1]), days > 0, DatePattern.isoDate.parse(range[0]) != nil {
            return .date(start: range[0], days: days)
        }
        if let range = try pair("timestamp"), let step = Int(range[1]), let start = Timestamp.parse(range[0]) {
            return .timestamp(start: start, step: step)
        }
        throw node.error("\(field) has no generator Ferry knows",
            hint: "one of value, cycle, pick, sample, pattern, pdf, uscc, resident_id, decimal [low, high], date [start, days], timestamp [start, seconds]")
    }
}
