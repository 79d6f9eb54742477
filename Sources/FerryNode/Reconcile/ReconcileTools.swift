import Foundation
import FerryCore
import FerryAdapters
import FerryMapping
import FerryAudit
public import FerryReconcile
import FerrySeal

/// `ferry reconcile --left A --right B`: two systems in one zone compared by the digests of
/// their records in canonical form, so their dialects do not matter. Each side is read
/// twice: once into a digest tree (memory fixed by the tree's size, not the record count),
/// and once for just the records in the leaves whose fingerprints differ.
public enum ReconcileTools {
    /// Refuses a fan-out whose levels do not reach the 4096 leaf ranges.
    static func checkFanOut(_ fanOut: Int) throws {
        guard RangeSummary.fanOuts.contains(fanOut) else {
            throw FerryError(.reconcile, "a fan-out of \(fanOut) does not divide the 4096 ranges into levels",
                hint: "use one of \(RangeSummary.fanOuts.map(String.init).joined(separator: ", "))")
        }
    }

    public static func compare(
        config: String, node name: String, left: String, right: String, entity requested: String?, fanOut: Int = 16, actor: String
    ) throws -> Report {
        try checkFanOut(fanOut)
        let deployment = try Deployment.load(config)
        let node = try Node(deployment: deployment, name: name, logger: .init(label: "ferry.reconcile"))
        return try compare(on: node, left: left, right: right, entity: requested, fanOut: fanOut, actor: actor)
    }

    /// Compares two systems' copies record by record, and audits the result on `node`.
    /// - Throws: `FerryError(.config)` when a system is unknown, they share no entity or
    ///   several (and none is named), or the deployment has no digest key.
    public static func compare(
        on node: Node, left: String, right: String, entity requested: String?, fanOut: Int = 16, actor: String
    ) throws -> Report {
        try checkFanOut(fanOut)
        let deployment = node.deployment
        let topology = deployment.topology
        guard let leftSystem = topology.system(named: left), let rightSystem = topology.system(named: right) else {
            throw FerryError(.config, "no system \(topology.system(named: left) == nil ? left : right) in \(topology.file)",
                hint: "known systems: \(topology.systems.map(\.name).joined(separator: ", "))")
        }
        let common = Set(leftSystem.maps.keys).intersection(rightSystem.maps.keys)
        guard let entity = requested ?? (common.count == 1 ? common.first : nil), common.contains(entity) else {
            throw FerryError(.config, "\(left) and \(right) share \(common.isEmpty ? "no entity" : "the entities \(common.sorted().joined(separator: ", "))")",
                hint: common.count > 1 ? "name one with --entity" : "both systems need a mapping of the same entity under maps:")
        }
        guard let digester = try deployment.digester() else {
            throw noDigestKey
        }
        let sides = [(leftSystem, try deployment.mapping(system: left, entity: entity)), (rightSystem, try deployment.mapping(system: right, entity: entity))]
        let schema = sides[0].1.entity
        var report = Report(left: left, right: right, entity: entity)

        func scan(_ side: Int, _ body: (DigestPair, FerryCore.Record) throws -> Void) throws -> (records: Int, unreadable: Int) {
            try Self.scan(deployment, system: sides[side].0, entity: entity, digester: digester, progress: nil, body)
        }

        let count = max(1, try scan(0) { _, _ in }.records)
        let depth = DigestTree.depth(forRecords: count, fanOut: fanOut)
        var trees = [DigestTree(fanOut: fanOut, depth: depth), DigestTree(fanOut: fanOut, depth: depth)]
        for side in 0..<2 {
            let counts = try scan(side) { pair, _ in trees[side].add(key: pair.key, digest: pair.digest) }
            if side == 0 { (report.leftRecords, report.unreadable.left) = counts } else { (report.rightRecords, report.unreadable.right) = counts }
        }
        let (leaves, compared) = trees[0].differingLeaves(against: trees[1])
        (report.differingLeaves, report.leaves, report.fingerprintsCompared) = (leaves.count, trees[0].leafCount, compared)
        let wanted = Set(leaves)
        var held: [[[UInt8]: (DigestPair, FerryCore.Record)]] = [[:], [:]]
        if !wanted.isEmpty {
            for side in 0..<2 {
                _ = try scan(side) { pair, record in
                    if wanted.contains(trees[side].leaf(of: pair.key)) { held[side][pair.key] = (pair, record) }
                }
            }
        }
        let differences = Differences.between(left: held[0].values.map(\.0), right: held[1].values.map(\.0))
        func display(_ record: FerryCore.Record) -> String { deployment.subject(key: record.keyString, entity: entity) }
        report.onlyLeft = differences.onlyLeft.compactMap { held[0][$0].map { display($0.1) } }.sorted()
        report.onlyRight = differences.onlyRight.compactMap { held[1][$0].map { display($0.1) } }.sorted()
        for key in differences.changed {
            guard let a = held[0][key]?.1, let b = held[1][key]?.1 else { continue }
            let fields = fieldDifferences(a, b, schema: schema)
            if fields.isEmpty { report.withinTolerance += 1 } else { report.changed.append(Changed(key: display(a), fields: fields)) }
        }
        report.changed.sort { $0.key < $1.key }
        report.matched = report.leftRecords - report.onlyLeft.count - report.changed.count
        report.resultDigest = resultDigest(differences)

        try node.store.write { tx in
            try node.audit.append(tx, AuditEvent(.reconciled, actor: actor, details: [
                "left": .string(left), "right": .string(right), "entity": .string(entity), "left_records": .int(Int64(report.leftRecords)),
                "right_records": .int(Int64(report.rightRecords)), "matched": .int(Int64(report.matched)),
                "only_left": .int(Int64(report.onlyLeft.count)), "only_right": .int(Int64(report.onlyRight.count)),
                "changed": .int(Int64(report.changed.count)), "result_digest": .string(report.resultDigest),
            ]))
        }
        return report
    }

    public enum Side: Sendable { case left, right }

    /// Reconciling compares keyed digests: without the shared key there is nothing to compare.
    static let noDigestKey = FerryError(.config, "reconciling needs the deployment's digest_key",
        hint: "create one with 'ferry keys digest' and name it under digest_key: (every zone holds the same file)")

    /// Reads every record of a system, mapped to canonical form, with its digests. Rows the
    /// mapping refuses are counted, not compared.
    static func scan(
        _ deployment: Deployment, system: Topology.System, entity: String, digester: RecordDigester, progress: (@Sendable (String, Int) -> Void)?,
        _ body: (DigestPair, FerryCore.Record) throws -> Void
    ) throws -> (records: Int, unreadable: Int) {
        let mapping = try deployment.mapping(system: system.name, entity: entity)
        var reader = try AdapterRegistry.source(for: system, entity: entity, topology: deployment.topology).readCopy(batchSize: 1000)
        var counts = (records: 0, unreadable: 0)
        while let batch = try reader.next() {
            for row in batch.rows {
                guard case .record(let record) = mapping.read(row) else {
                    counts.unreadable += 1
                    continue
                }
                counts.records += 1
                let pair = DigestPair(key: Array(digester.keyDigest(entity: entity, key: record.key).prefix(16)), digest: digester.digest(record, schema: mapping.entity))
                try body(pair, record)
            }
            progress?(system.name, counts.records + counts.unreadable)
        }
        return counts
    }

    /// SHA-256 over the sorted key digests of every difference: two runs that found the
    /// same differences audit the same digest.
    static func resultDigest(_ differences: Differences) -> String {
        let all = differences.onlyLeft.union(differences.onlyRight).union(differences.changed).sorted { $0.lexicographicallyPrecedes($1) }
        return hex(Hasher.sha256(all.flatMap { $0 }))
    }

    /// The fields that differ beyond their tolerance, personal values masked; fields marked
    /// `compare: ignore` are left out.
    static func fieldDifferences(_ a: FerryCore.Record, _ b: FerryCore.Record, schema: EntitySchema) -> [FieldDifference] {
        let ignored = schema.ignoredInComparison
        let personal = schema.personalFields
        var out: [FieldDifference] = []
        for field in Set(a.fields.keys).union(b.fields.keys).sorted() where !ignored.contains(field) {
            let x = a.fields[field] ?? .null
            let y = b.fields[field] ?? .null
            guard x != y else { continue }
            if let tolerance = schema.fields.first(where: { $0.name == field })?.tolerance.flatMap(Double.init),
                let p = x.text.flatMap(Double.init), let q = y.text.flatMap(Double.init), abs(p - q) <= tolerance
            {
                continue
            }
            func shown(_ value: Value) -> String {
                let text = value.text ?? String(decoding: CanonicalJSON.encode(value), as: UTF8.self)
                return personal.contains(field) ? Masking.mask(text) : text
            }
            out.append(FieldDifference(field: field, left: shown(x), right: shown(y)))
        }
        return out
    }
}
