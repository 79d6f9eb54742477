import Foundation
import FerryCore
import FerryMapping
import FerryAdapters
import FerryNode
import FerryOps
import FerrySeal

/// Compares a flow's sink with its source in canonical form: every record the source
/// mapping accepts must be in the sink, equal on every field both mappings carry.
struct FlowCheck {
    let deployment: Deployment

    func compare(_ flow: Topology.Flow) throws -> Demo.Check {
        let sourceMapping = try deployment.mapping(system: flow.from, entity: flow.entity)
        let source = try canonicalRecords(system: flow.from, mapping: sourceMapping)
        var check = Demo.Check(flow: flow.name, sourceRecords: source.count, matched: 0, missing: 0, different: 0, unexpected: 0)
        for target in flow.to {
            let targetMapping = try deployment.mapping(system: target, entity: flow.entity)
            let sink = try canonicalRecords(system: target, mapping: targetMapping)
            let shared = Set(sourceMapping.rules.filter { $0.column != nil }.map(\.field))
                .intersection(targetMapping.rules.filter { $0.column != nil }.map(\.field))
            for (key, record) in source {
                guard let copy = sink[key] else {
                    check.missing += 1
                    continue
                }
                let same = shared.allSatisfy { (record.fields[$0] ?? .null) == (copy.fields[$0] ?? .null) }
                if same { check.matched += 1 } else { check.different += 1 }
            }
            check.unexpected += sink.keys.filter { source[$0] == nil }.count
        }
        return check
    }

    /// Every row of a system's table for the mapping's entity, read in canonical form.
    func canonicalRecords(system name: String, mapping: Mapping) throws -> [String: FerryCore.Record] {
        guard let system = deployment.topology.system(named: name) else { return [:] }
        var options = try SQLiteAdapter.options(system.options(for: mapping.entity.name), system: name, baseDirectory: deployment.topology.baseDirectory)
        options.cursor = "rowid"  // every row, stamped or not
        var reader = try SQLiteAdapter(options: options).readAll(batchSize: 2000)
        var records: [String: FerryCore.Record] = [:]
        while let batch = try reader.next() {
            for row in batch.rows {
                if case .record(let record) = mapping.read(row) { records[record.keyString] = record }
            }
        }
        return records
    }
}
