import Foundation
import FerryCore
import FerryMapping
import FerryAdapters
import FerryNode
import FerryOps
import FerrySeal

/// Compares a flow's sink with its source in canonical form: every record the source
/// mapping accepts must be in the sink, equal on every field both mappings carry.
///
/// Streams: each side is read in batches and kept only as (key, digest of the shared
/// fields) rows in a scratch SQLite file beside the demo, which then counts matches,
/// differences, missing and unexpected keys. Memory stays flat however many records.
struct FlowCheck {
    let deployment: Deployment
    /// The scratch database; removed when the check is done.
    let scratch: URL

    func compare(_ flow: Topology.Flow) throws -> Demo.Check {
        let sourceMapping = try deployment.mapping(system: flow.from, entity: flow.entity)
        var check = Demo.Check(flow: flow.name, sourceRecords: 0, matched: 0, missing: 0, different: 0, unexpected: 0)
        for target in flow.to {
            try? FileManager.default.removeItem(at: scratch)
            defer { try? FileManager.default.removeItem(at: scratch) }
            let file = try SQLiteSystemFile(path: scratch)
            // A key read twice keeps its last row, as a sink upserting it would.
            try file.execute("""
                CREATE TABLE source(key TEXT PRIMARY KEY ON CONFLICT REPLACE, digest TEXT NOT NULL);
                CREATE TABLE sink(key TEXT PRIMARY KEY ON CONFLICT REPLACE, digest TEXT NOT NULL);
                """)
            let targetMapping = try deployment.mapping(system: target, entity: flow.entity)
            let shared = Set(sourceMapping.rules.filter { $0.column != nil }.map(\.field))
                .intersection(targetMapping.rules.filter { $0.column != nil }.map(\.field))
            try digests(system: flow.from, mapping: sourceMapping, shared: shared) { try file.insert(into: "source", columns: ["key", "digest"], rows: $0) }
            try digests(system: target, mapping: targetMapping, shared: shared) { try file.insert(into: "sink", columns: ["key", "digest"], rows: $0) }
            func count(_ sql: String) throws -> Int { Int(try file.text(sql) ?? "0") ?? 0 }
            check.sourceRecords = try file.rowCount("source")
            check.matched += try count("SELECT count(*) FROM source JOIN sink USING (key) WHERE source.digest = sink.digest")
            check.different += try count("SELECT count(*) FROM source JOIN sink USING (key) WHERE source.digest <> sink.digest")
            check.missing += try count("SELECT count(*) FROM source WHERE key NOT IN (SELECT key FROM sink)")
            check.unexpected += try count("SELECT count(*) FROM sink WHERE key NOT IN (SELECT key FROM source)")
        }
        return check
    }

    /// Every row of a system's table for the mapping's entity, read in canonical form, handed
    /// on a batch at a time as (key, SHA-256 of the shared fields' canonical JSON) rows.
    func digests(system name: String, mapping: Mapping, shared: Set<String>, _ body: ([[String?]]) throws -> Void) throws {
        guard let system = deployment.topology.system(named: name) else { return }
        var options = try SQLiteAdapter.options(system.options(for: mapping.entity.name), system: name, baseDirectory: deployment.topology.baseDirectory)
        options.cursor = "rowid"  // every row, stamped or not
        var reader = try SQLiteAdapter(options: options).readAll(batchSize: 2000)
        while let batch = try reader.next() {
            var rows: [[String?]] = []
            rows.reserveCapacity(batch.rows.count)
            for row in batch.rows {
                guard case .record(let record) = mapping.read(row) else { continue }
                // Absent and null compare equal, as the fields of a record without them do.
                let fields = record.fields.filter { shared.contains($0.key) && !$0.value.isNull }
                rows.append([record.keyString, hex(FerrySeal.Hasher.sha256(CanonicalJSON.encode(.object(fields))))])
            }
            try body(rows)
        }
    }
}
