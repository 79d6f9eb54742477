import Foundation
import FerryCore
import FerryMapping
import FerryQueue
import FerryAudit
import FerryAdapters
import GRDB

extension Node {
    /// Runs one flow once: pull what changed, map it, enqueue it with the advanced cursor
    /// in one transaction, then pack and ship every lane that has records waiting.
    /// - Parameter flush: seal what is queued now, even below the lanes' bundle thresholds.
    public func sync(flow name: String, flush: Bool = false) throws -> SyncReport {
        guard let flow = topology.flow(named: name) else {
            throw FerryError(.config, "no flow named \(name)", hint: "known flows: \(topology.flows.map(\.name).joined(separator: ", "))")
        }
        guard let source = topology.system(named: flow.from) else { throw FerryError(.config, "flow \(name) has no source") }
        guard source.zone == zone else {
            let owner = topology.node(inZone: source.zone)?.name ?? "the node of zone \(source.zone)"
            throw FerryError(.config, "flow \(name) reads from \(source.name) in zone \(source.zone); run it on \(owner)", at: .file(flow.location))
        }
        let mapping = try deployment.mapping(system: source.name, entity: flow.entity)
        let adapter = try SystemAdapters.source(for: source, entity: flow.entity, topology: topology)
        try adapter.check()

        // Where each target's records go: a lane to another zone, or this node's own inbox.
        var lanes: [String] = []
        var local: [String] = []
        for targetName in flow.to {
            guard let target = topology.system(named: targetName) else { continue }
            if target.zone == zone {
                local.append(targetName)
            } else if let lane = topology.lane(from: zone, to: target.zone) {
                if !lanes.contains(lane.name) { lanes.append(lane.name) }
            }
        }

        var report = SyncReport(flow: name)
        let cursor = flow.mode == .full ? nil : try store.read { db in try Cursors.get(db, flow: name) }
        var reader = try adapter.read(since: cursor, batchSize: Self.readBatch)
        while let batch = try reader.next() {
            var records: [FerryCore.Record] = []
            var rejects: [(key: String, issues: [MappingIssue], position: String)] = []
            for (row, position) in zip(batch.rows, batch.positions) {
                switch mapping.read(row) {
                case .record(let record): records.append(record)
                case .rejected(let key, let issues): rejects.append((key, issues, position))
                }
            }
            try transaction { db in
                try audit.append(db, AuditEvent(.pulled, flow: name, details: [
                    "system": .string(source.name), "rows": .int(Int64(batch.rows.count)), "checkpoint": .string(batch.checkpoint),
                ]))
                for reject in rejects {
                    let issues = reject.issues.map(\.description).joined(separator: "; ")
                    try Quarantine.add(db, flow: name, stage: "map", maskedKey: reject.key, issues: issues, position: reject.position, payload: nil)
                    try audit.append(db, AuditEvent(.quarantined, flow: name, subject: reject.key, details: [
                        "rules": .list(reject.issues.map { .string($0.rule) }), "fields": .list(reject.issues.compactMap { $0.field.map(Value.string) }),
                        "position": .string(reject.position),
                    ]))
                }
                var entries: [Outbox.Entry] = []
                entries.reserveCapacity(records.count * lanes.count)
                var leaves: [AuditLeaf] = []
                leaves.reserveCapacity(digester == nil ? 0 : records.count)
                for record in records {
                    let line = RecordEnvelope(flow: name, record: record).line
                    if let leaf = leaf(entity: record.entity, key: record.keyString, line: line) { leaves.append(leaf) }
                    for lane in lanes {
                        entries.append(Outbox.Entry(
                            flow: name, lane: lane, entity: record.entity, key: record.keyString, version: record.version, line: line))
                    }
                }
                try audit.append(db, AuditEvent(.mapped, flow: name, details: [
                    "system": .string(source.name), "mapping": .string(mapping.name), "records": .int(Int64(records.count)),
                    "rejected": .int(Int64(rejects.count)),
                ], leaves: leaves))
                try Outbox.enqueue(db, entries)
                if flow.keepsDigestIndex {
                    try DigestIndex.record(db, system: source.name, entity: flow.entity, records.compactMap { indexChange($0, schema: mapping.entity) })
                }
                if !local.isEmpty, !records.isEmpty {
                    try stageLocally(db, flow: name, records: records)
                }
                for lane in lanes where !records.isEmpty {
                    try audit.append(db, AuditEvent(.enqueued, flow: name, lane: lane, details: ["records": .int(Int64(records.count))]))
                }
                if flow.mode == .incremental { try Cursors.set(db, flow: name, value: batch.checkpoint) }
            }
            report.pulled += batch.rows.count
            report.mapped += records.count
            report.quarantined += rejects.count
            report.enqueued += records.count * lanes.count
            NodeMetrics.records("pulled", flow: name, batch.rows.count)
            NodeMetrics.records("quarantined", flow: name, rejects.count)
            NodeMetrics.records("enqueued", flow: name, records.count * lanes.count)
        }
        logger.debug("pulled", metadata: ["flow": .string(name), "rows": "\(report.pulled)", "quarantined": "\(report.quarantined)"])
        let packed = try pack(flush: flush)
        report.bundles = packed.shipped
        report.held = packed.held
        report.waiting = packed.waiting
        report.refused = packed.refused
        if !local.isEmpty { _ = try applyPending() }
        return report
    }

    /// Same-zone targets skip the gap: records go straight into this node's inbox, in the
    /// same transaction as the cursor, as a local pseudo-bundle.
    private func stageLocally(_ db: Database, flow: String, records: [FerryCore.Record]) throws {
        let id = "local-" + UUID().uuidString.lowercased()
        let lane = "\(zone)→\(zone)"
        let sequence = try BundleLedger.nextSequence(db, lane: lane)
        try BundleLedger.accept(db, id: id, lane: lane, sequence: sequence, kind: "local", sender: name, contentHash: "", records: records.count)
        for record in records {
            try Inbox.stage(db, bundle: id, flow: flow, entity: record.entity, key: record.keyString, version: record.version,
                line: RecordEnvelope(flow: flow, record: record).line)
        }
    }
}
