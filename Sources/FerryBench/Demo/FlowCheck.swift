import Foundation
import FerryCore
import FerryMapping
import FerryAdapters
import FerryNode
import FerryOps
import FerrySeal

/// Compares a flow's sinks with its source in canonical form: every record the source
/// mapping accepts must be in each sink, equal on every field both mappings carry.
///
/// Streams: each side is read in batches, through its own adapter (whatever the type) as
/// a whole copy, and kept only as (key, digest of the shared fields) rows in a scratch
/// SQLite file beside the demo, which then counts matches, differences, missing and
/// unexpected keys. The source is read once per flow; memory stays flat however many records.
struct FlowCheck {
    let deployment: Deployment
    /// The scratch database; removed when the check is done.
    let scratch: URL
    /// Records read from each system, per entity: the scenario summary's counts.
    private var read: [String: [String: Int]] = [:]

    init(deployment: Deployment, scratch: URL) {
        (self.deployment, self.scratch) = (deployment, scratch)
    }

    /// One check per target of `flow` (of those in `targets`, when given).
    mutating func compare(_ flow: Topology.Flow, targets: Set<String>? = nil) throws -> [Demo.Check] {
        let source = try deployment.flowSource(flow)
        // What the flow's records carry: the source's fields, or a trigger's derivation's.
        let sourceMapping = source.derivation ?? source.mapping
        try? FileManager.default.removeItem(at: scratch)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let file = try SQLiteSystemFile(path: scratch)
        // A key read twice keeps its last row, as a sink upserting it would.
        try file.execute("""
            CREATE TABLE source(key TEXT PRIMARY KEY ON CONFLICT REPLACE, digest TEXT NOT NULL);
            CREATE TABLE sink(key TEXT PRIMARY KEY ON CONFLICT REPLACE, digest TEXT NOT NULL);
            """)
        var checks: [Demo.Check] = []
        var sourceLoaded: Set<String>?
        for target in flow.to where targets?.contains(target) ?? true {
            let targetMapping = try deployment.mapping(system: target, entity: flow.entity)
            let shared = Set(sourceMapping.rules.filter { $0.column != nil }.map(\.field))
                .intersection(targetMapping.rules.filter { $0.column != nil }.map(\.field))
            // Targets of one flow usually carry the same fields; the source is read again
            // only for a target that carries others.
            if sourceLoaded != shared {
                try file.execute("DELETE FROM source")
                try digests(system: flow.from, entity: source.mapping.entity.name, read: { if case .record(let record) = source.read($0) { record } else { nil } },
                    shared: shared) {
                    try file.insert(into: "source", columns: ["key", "digest"], rows: $0)
                }
                sourceLoaded = shared
            }
            try file.execute("DELETE FROM sink")
            let readTarget = { (row: [String: Value]) -> FerryCore.Record? in if case .record(let record) = targetMapping.read(row) { record } else { nil } }
            try digests(system: target, entity: flow.entity, read: readTarget, shared: shared) { try file.insert(into: "sink", columns: ["key", "digest"], rows: $0) }
            func count(_ sql: String) throws -> Int { try file.count(sql) ?? 0 }
            checks.append(Demo.Check(
                flow: flow.name, target: target, sourceRecords: try file.rowCount("source"), sinkRecords: try file.rowCount("sink"),
                matched: try count("SELECT count(*) FROM source JOIN sink USING (key) WHERE source.digest = sink.digest"),
                missing: try count("SELECT count(*) FROM source WHERE key NOT IN (SELECT key FROM sink)"),
                different: try count("SELECT count(*) FROM source JOIN sink USING (key) WHERE source.digest <> sink.digest"),
                unexpected: try count("SELECT count(*) FROM sink WHERE key NOT IN (SELECT key FROM source)")))
        }
        return checks
    }

    /// Every system of the deployment with the records read from it, in topology order.
    func systemCounts() -> [Demo.SystemCount] {
        deployment.topology.systems.map { system in
            Demo.SystemCount(name: system.name, level: system.level.rawValue, zone: system.zone, adapter: system.adapter,
                records: read[system.name]?.values.reduce(0, +) ?? 0)
        }
    }

    /// Every record of a system's copy of `entity`, read in canonical form by `read`, handed
    /// on a batch at a time as (key, SHA-256 of the shared fields' canonical JSON) rows.
    mutating func digests(
        system name: String, entity: String, read: ([String: Value]) -> FerryCore.Record?, shared: Set<String>, _ body: ([[String?]]) throws -> Void
    ) throws {
        guard let system = deployment.topology.system(named: name) else { return }
        var reader = try AdapterRegistry.source(for: system, entity: entity, topology: deployment.topology).readCopy(batchSize: 2000)
        var records = 0
        while let batch = try reader.next() {
            var rows: [[String?]] = []
            rows.reserveCapacity(batch.rows.count)
            for row in batch.rows {
                records += 1
                guard let record = read(row) else { continue }
                // Absent and null compare equal, as the fields of a record without them do.
                let fields = record.fields.filter { shared.contains($0.key) && !$0.value.isNull }
                rows.append([record.keyString, hex(FerrySeal.Hasher.sha256(CanonicalJSON.encode(.object(fields))))])
            }
            try body(rows)
        }
        self.read[name, default: [:]][entity] = records
    }
}
