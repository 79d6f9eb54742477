import Foundation
import FerryCore
import FerryMapping
import FerryQueue
import FerryAudit
import FerryAdapters
import FerrySeal

extension Node {
    /// Runs one flow once: pull what changed, map it, enqueue it with the advanced cursor
    /// in one transaction, then pack and ship every lane that has records waiting.
    /// - Parameter flush: seal what is queued now, even below the lanes' bundle thresholds.
    /// - Throws: `FerryError(.jobHeld)` when another worker of the node runs the flow now.
    public func sync(flow name: String, flush: Bool = false) throws -> SyncReport {
        try claimed("flow:\(name)", what: "flow \(name)") { try syncClaimed(flow: name, flush: flush) }
    }

    private func syncClaimed(flow name: String, flush: Bool) throws -> SyncReport {
        let route = try syncRoute(flow: name)
        let flow = route.flow
        let adapter = try AdapterRegistry.source(for: try sourceSystem(of: flow), entity: flow.trigger?.entity ?? flow.entity, topology: topology)
        try Self.fromSource { try adapter.check() }
        let lanes = route.lanes

        var report = SyncReport(flow: name)
        var packed = PackResult()
        var sincePack = 0
        // A target added to the flow needs every record, not only those that change from now on.
        try store.write { tx in
            let added = try tx.sentDigests.noteTargets(flow: name, targets: flow.to)
            guard !added.isEmpty else { return }
            try tx.sentDigests.clear(flow: name)
            try tx.cursors.clear(flow: name)
            try audit.append(tx, AuditEvent(.flowTargetsAdded, flow: name, details: ["added": .list(added.map(Value.string))]))
            logger.notice("targets added to the flow: it reads and sends every record again", metadata: [
                "flow": .string(name), "added": .string(added.joined(separator: ", ")),
            ])
        }
        let cursor = flow.mode == .full ? nil : try store.read { tx in try tx.cursors.get(flow: name) }
        let reader = try Self.fromSource {
            flow.mode == .full ? try adapter.readAll(batchSize: Self.readBatch) : try adapter.read(since: cursor, batchSize: Self.readBatch)
        }
        let batches = MappedBatches(reader: SourceErrorsMasked(reader: reader)) { batch in try self.mapBatch(batch, route: route) }
        // Storing a record's documents writes to the store the enqueue below holds.
        if adapter.readsAhead, !route.hasDocuments { batches.start() }
        defer { batches.finish() }
        while let mapped = try batches.next() {
            let (batch, records, rejects) = (mapped.batch, mapped.records, mapped.rejects)
            report.untriggered += mapped.untriggered
            let counts = try enqueue(batch: batch, records: records, rejects: rejects, route: route)
            report.pulled += batch.rows.count
            report.mapped += records.count
            report.unchanged += counts.unchanged
            report.quarantined += counts.quarantined
            report.enqueued += counts.fresh * lanes.count
            NodeMetrics.records("pulled", flow: name, batch.rows.count)
            NodeMetrics.records("quarantined", flow: name, counts.quarantined)
            NodeMetrics.records("enqueued", flow: name, counts.fresh * lanes.count)
            // A full bundle's worth ships while the read goes on: the far side opens and
            // applies it while this node maps the rest.
            sincePack += counts.fresh
            if sincePack >= route.fullBundle {
                sincePack = 0
                packed.absorb(try pack(fullOnly: true))
            }
        }
        logger.debug("pulled", metadata: [
            "flow": .string(name), "rows": "\(report.pulled)", "unchanged": "\(report.unchanged)", "quarantined": "\(report.quarantined)",
        ])
        packed.absorb(try pack(flush: flush, earlier: packed))
        report.bundles = packed.shipped
        report.held = packed.held
        report.waiting = packed.waiting
        report.refused = packed.refused
        if !route.local.isEmpty {
            let local = try applyPending()
            (report.appliedLocally, report.rejectedLocally) = (local.applied, local.rejected)
        }
        return report
    }

    /// Maps one source batch: its records, and the rows the mapping, the documents' storage
    /// or a key collision refused. Runs on `MappedBatches`' thread unless the entity has
    /// documents.
    func mapBatch(_ batch: SourceBatch, route: SyncRoute) throws -> MappedBatch {
        var mapped: [(record: FerryCore.Record, position: String, row: [String: Value])] = []
        var rejects: [MappedBatch.Reject] = []
        var untriggered = 0
        for (row, position) in zip(batch.rows, batch.positions) {
            switch route.reader.read(row) {
            case .record(let record) where route.hasDocuments:
                do { mapped.append((try storeDocuments(of: record), position, row)) } catch let issue as MappingIssue {
                    rejects.append((Masking.mask(record.displayKey), [issue], position, row))
                }
            case .record(let record): mapped.append((record, position, row))
            case .rejected(let key, let issues): rejects.append((key, issues, position, row))
            case .untriggered: untriggered += 1
            }
        }
        let colliding = Self.keyCollisions(mapped.map { ($0.record, $0.position) })
        var records: [FerryCore.Record] = []
        for (index, entry) in mapped.enumerated() {
            guard let issue = colliding[index] else { records.append(entry.record); continue }
            rejects.append((Masking.mask(entry.record.displayKey), [issue], entry.position, entry.row))
        }
        return MappedBatch(batch: batch, records: records, rejects: rejects, untriggered: untriggered)
    }

    /// Runs a call into a source adapter. Its errors' text comes from outside Ferry (a
    /// database's or web service's own words may quote a row): masked before anyone sees it.
    package static func fromSource<T>(_ body: () throws -> T) throws -> T {
        do { return try body() } catch let error as FerryError { throw error.masked(by: FreeTextRedactor()) }
    }

    /// The flow's source system, which must be in this node's zone.
    func sourceSystem(of flow: Topology.Flow) throws -> Topology.System {
        guard let source = topology.system(named: flow.from) else { throw FerryError(.config, "flow \(flow.name) has no source") }
        guard source.zone == zone else {
            let owner = topology.node(inZone: source.zone)?.name ?? "the node of zone \(source.zone)"
            throw FerryError(.config, "flow \(flow.name) reads from \(source.name) in zone \(source.zone); run it on \(owner)", at: .file(flow.location))
        }
        return source
    }

    /// Where a flow's records go: a lane to another zone per target there, or this node's
    /// own inbox for targets in its zone.
    func syncRoute(flow name: String) throws -> SyncRoute {
        guard let flow = topology.flow(named: name) else {
            throw FerryError(.config, "no flow named \(name)", hint: "known flows: \(topology.flows.map(\.name).joined(separator: ", "))")
        }
        let source = try sourceSystem(of: flow)
        var lanes: [String] = []
        var local: [String] = []
        var fullBundle = Int.max
        for targetName in flow.to {
            guard let target = topology.system(named: targetName) else { continue }
            if target.zone == zone {
                local.append(targetName)
            } else if let lane = topology.lane(from: zone, to: target.zone) {
                if !lanes.contains(lane.name) { lanes.append(lane.name) }
                fullBundle = min(fullBundle, lane.policy.bundleRecords)
            }
        }
        let reader = try deployment.flowSource(flow)
        let mapping = reader.derivation ?? reader.mapping
        return SyncRoute(flow: flow, source: source.name, mapping: mapping, reader: reader, lanes: lanes, local: local, fullBundle: fullBundle,
            hasDocuments: mapping.entity.hasDocuments)
    }

    /// Where one flow's records go, resolved once per sync.
    struct SyncRoute {
        var flow: Topology.Flow
        var source: String
        /// The mapping that makes the flow's records: the source's, or a trigger's derivation.
        var mapping: Mapping
        var reader: FlowSource
        var lanes: [String]
        var local: [String]
        /// Records that fill a bundle on the smallest of the lanes.
        var fullBundle: Int
        /// Whether the entity has document fields, whose content is stored before queueing.
        var hasDocuments = false
    }

    /// Quarantines (once) what the mapping or the reader refused and enqueues the records this flow
    /// has not sent as they are now, in the transaction that advances the cursor.
    /// - Parameter also: more writes that must commit with these (a re-drive's own marks).
    ///
    /// A record whose envelope digest equals what the flow last sent for its key is
    /// unchanged: the source handed it back because its read went over old ground again
    /// (a look-back window, rows sharing the last cursor value, rows with no cursor value,
    /// a full read), and it is not sent twice.
    func enqueue(
        batch: SourceBatch, records: [FerryCore.Record], rejects: [(key: String, issues: [MappingIssue], position: String, row: [String: Value])],
        route: SyncRoute, also: ((StoreTransaction) throws -> Void)? = nil
    ) throws -> (fresh: Int, unchanged: Int, quarantined: Int) {
        let name = route.flow.name
        let (lines, oversized) = Self.envelopes(records, flow: name, maxLine: BundleReader.Limits().maxLineSize)
        let records = lines.map(\.record)
        return try store.write { tx in
            // A re-drive of quarantined rows pulls nothing: only a read is audited as a pull.
            if !batch.checkpoint.isEmpty {
                try audit.append(tx, AuditEvent(.pulled, flow: name, details: [
                    "system": .string(route.source), "rows": .int(Int64(batch.rows.count)), "checkpoint": .string(batch.checkpoint),
                ]))
            }
            var quarantined = 0
            for reject in rejects {
                quarantined += try quarantine(tx, flow: name, key: reject.key, rules: reject.issues.map(\.rule), fields: reject.issues.compactMap(\.field),
                    issues: reject.issues.map(\.description).joined(separator: "; "), position: reject.position,
                    raw: CanonicalJSON.encode(.object(reject.row))) ? 1 : 0
            }
            for bad in batch.malformed {
                quarantined += try quarantine(tx, flow: name, key: "-", rules: ["malformed"], fields: [], issues: bad.reason, position: bad.position,
                    raw: bad.raw) ? 1 : 0
            }
            for entry in oversized {
                quarantined += try quarantine(tx, flow: name, key: entry.key, rules: ["max_record_size"], fields: [], issues: entry.reason,
                    position: "-", raw: entry.line) ? 1 : 0
            }
            var lastSent = try tx.sentDigests.lookup(flow: name, keys: records.map(\.keyString))
            var fresh: [(record: FerryCore.Record, line: [UInt8])] = []
            var sent: [(key: String, digest: [UInt8])] = []
            for (record, line) in lines {
                let digest = Array(FerrySeal.Hasher.sha256(line).prefix(16))
                guard lastSent[record.keyString] != digest else { continue }
                lastSent[record.keyString] = digest
                fresh.append((record, line))
                sent.append((record.keyString, digest))
            }
            var entries: [Outbox.Entry] = []
            entries.reserveCapacity(fresh.count * route.lanes.count)
            var leaves: [AuditLeaf] = []
            var indexChanges: [DigestIndex.Change] = []
            leaves.reserveCapacity(digester == nil ? 0 : fresh.count)
            for (record, line) in fresh {
                // One key digest serves the audit leaf and the digest index.
                if let digester {
                    let keyDigest = digester.keyDigest(entity: record.entity, key: record.key)
                    leaves.append(AuditLeaf(key: keyDigest, hash: MerkleTree.leafHash(line)))
                    if route.flow.keepsDigestIndex { indexChanges.append(indexChange(record, schema: route.mapping.entity, keyDigest: keyDigest)) }
                }
                for lane in route.lanes {
                    entries.append(Outbox.Entry(
                        flow: name, lane: lane, entity: record.entity, key: record.keyString, version: record.version, line: line))
                }
            }
            try audit.append(tx, AuditEvent(.mapped, flow: name, details: Self.mappedDetails(
                route, records: records.count, rejected: rejects.count, malformed: batch.malformed.count, unchanged: records.count - fresh.count), leaves: leaves))
            try tx.outbox.enqueue(entries)
            try tx.sentDigests.record(flow: name, sent)
            let changed = fresh.map(\.record)
            if route.hasDocuments { try oweDocuments(tx, records: changed, lanes: route.lanes) }
            if route.flow.keepsDigestIndex {
                try tx.digestIndex.record(system: route.source, entity: route.flow.entity, indexChanges)
            }
            if !route.local.isEmpty, !changed.isEmpty {
                try stageLocally(tx, flow: name, records: changed)
            }
            for lane in route.lanes where !changed.isEmpty {
                try audit.append(tx, AuditEvent(.enqueued, flow: name, lane: lane, details: ["records": .int(Int64(changed.count))]))
            }
            if route.flow.mode == .incremental { try tx.cursors.set(flow: name, value: batch.checkpoint) }
            try also?(tx)
            return (fresh.count, records.count - fresh.count, quarantined)
        }
    }

    /// What a `mapped` audit entry says of one batch; a trigger's flow names the trigger.
    static func mappedDetails(_ route: SyncRoute, records: Int, rejected: Int, malformed: Int, unchanged: Int) -> [String: Value] {
        var details: [String: Value] = [
            "system": .string(route.source), "mapping": .string(route.mapping.name), "records": .int(Int64(records)),
            "rejected": .int(Int64(rejected)), "malformed": .int(Int64(malformed)), "unchanged": .int(Int64(unchanged)),
        ]
        if let trigger = route.flow.trigger {
            details["trigger"] = .string(trigger.name)
            details["trigger_entity"] = .string(trigger.entity)
        }
        return details
    }

    /// Records of one batch that share a key but not their content: two source rows that map
    /// to one key (a key transform like `upper` folding `wb1` and `WB1`) would overwrite each
    /// other at every target on every read. Both are refused, each naming the other's place.
    /// Rows of one change read carry the row as it is now, so they never differ.
    static func keyCollisions(_ records: [(record: FerryCore.Record, position: String)]) -> [Int: MappingIssue] {
        var first: [String: Int] = [:]
        var issues: [Int: MappingIssue] = [:]
        // A deletion and an upsert of one key are a row deleted and inserted again.
        for (index, entry) in records.enumerated() where entry.record.operation == .upsert {
            let key = entry.record.keyString
            guard let earlier = first[key] else { first[key] = index; continue }
            let other = records[earlier]
            guard other.record.fields != entry.record.fields || other.record.version != entry.record.version else { continue }
            func issue(_ elsewhere: String) -> MappingIssue {
                MappingIssue(field: nil, rule: "key_collision",
                    message: "another row (\(elsewhere)) maps to the same key with other content; a key must name one row "
                        + "(check the key field's transforms and the source's uniqueness), then requeue")
            }
            issues[earlier] = issue(entry.position)
            issues[index] = issue(other.position)
        }
        return issues
    }

    /// Each record's envelope line, and the records whose line is larger than a bundle may
    /// hold: those would be sealed, shipped and then refused by the receiver, so they are
    /// stopped here, where they can still be fixed.
    static func envelopes(_ records: [FerryCore.Record], flow: String, maxLine: Int)
        -> (lines: [(record: FerryCore.Record, line: [UInt8])], oversized: [(key: String, reason: String, line: [UInt8])])
    {
        var lines: [(record: FerryCore.Record, line: [UInt8])] = []
        var oversized: [(key: String, reason: String, line: [UInt8])] = []
        lines.reserveCapacity(records.count)
        for record in records {
            let line = RecordEnvelope(flow: flow, record: record).line
            guard line.count > maxLine else {
                lines.append((record, line))
                continue
            }
            let reason = "the record is \(line.count) bytes, over the \(maxLine) bytes a bundle line may hold; "
                + "shorten its largest field at the source, or carry the content as a document"
            oversized.append((Masking.mask(record.displayKey), reason, line))
        }
        return (lines, oversized)
    }

    /// Scalars of a quarantined row's reasons kept: many fields may each have one.
    package static let quarantineReasonLimit = 4000

    /// Keeps one refused row: its reasons in the clear (numbers that look personal masked), its raw input sealed with this node's
    /// storage key (it may hold personal data), so it can be re-mapped once the cause is fixed.
    /// - Returns: whether it is new; the same input read again (a look-back window) is held once.
    private func quarantine(
        _ tx: StoreTransaction, flow: String, key: String, rules: [String], fields: [String], issues: String, position: String, raw: [UInt8]
    ) throws -> Bool {
        // A reader's reason for a malformed row may quote the row itself.
        let issues = FreeTextRedactor(limit: Self.quarantineReasonLimit)(issues)
        let kept = try tx.quarantine.add(flow: flow, stage: "map", maskedKey: key, issues: issues, position: position,
            payload: try quarantineSealer.seal(raw), rules: rules, fingerprint: quarantineSealer.fingerprint(raw))
        guard kept else { return false }
        try audit.append(tx, AuditEvent(.quarantined, flow: flow, subject: key, details: [
            "rules": .list(rules.map(Value.string)), "fields": .list(fields.map(Value.string)), "position": .string(position),
        ]))
        return true
    }

    /// Same-zone targets skip the gap: records go straight into this node's inbox, in the
    /// same transaction as the cursor, as a local pseudo-bundle.
    private func stageLocally(_ tx: StoreTransaction, flow: String, records: [FerryCore.Record]) throws {
        let id = "local-" + UUID().uuidString.lowercased()
        let lane = "\(zone)→\(zone)"
        let sequence = try tx.ledger.nextSequence(lane: lane)
        try tx.ledger.accept(id: id, lane: lane, sequence: sequence, kind: .local, sender: name, contentHash: "", records: records.count)
        for record in records {
            try tx.inbox.stage(bundle: id, flow: flow, entity: record.entity, key: record.keyString, version: record.version,
                line: RecordEnvelope(flow: flow, record: record).line)
        }
    }
}
