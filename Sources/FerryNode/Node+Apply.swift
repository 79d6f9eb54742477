import Foundation
import FerryCore
import FerryMapping
import FerryQueue
import FerryAudit
import FerryAdapters
import FerrySeal

extension Node {
    /// Applies staged inbox records to this zone's target systems of their flows.
    ///
    /// Sink writes cannot share the store's transaction, so this is idempotent instead:
    /// a crash after the sink write and before the outcome commits re-applies the same
    /// version, which the version guard turns into a no-op. What to do with each record is
    /// the ``ApplyPlanner``'s decision; this loop only reads, writes and commits.
    func applyPending(now: Date = Date()) throws -> ApplyCounts {
        var sinks = SinkCache()
        return try applyPending(now: now, sinks: &sinks)
    }

    /// The sinks and mappings of one run's targets, made once (`sink(for:cache:)`).
    typealias SinkCache = [TargetEntity: (any Sink, Mapping)]

    /// Applies staged records with the sinks `sinks` holds, adding those it makes: a caller
    /// that applies again and again (`receive` while intake goes on) opens each sink once.
    func applyPending(now: Date, sinks: inout SinkCache) throws -> ApplyCounts {
        var counts = ApplyCounts()
        let due = Timestamp.format(now)
        while true {
            let items = try store.read { tx in try tx.inbox.pending(limit: Self.applyBatch, now: due) }
            guard !items.isEmpty else { break }
            var planner = ApplyPlanner(items: items, topology: topology, zone: zone, now: now)
            for group in planner.groups {
                guard let (sink, mapping) = try sink(for: group.target, cache: &sinks) else { continue }
                let (known, holders) = try appliedState(of: group, policed: !ApplyPlanner.policed(mapping).isEmpty)
                let write = try planner.write(group, mapping: mapping, known: known, holders: holders)
                // Every text the sink writes is masked, and a batch failure is attributed per record.
                let attempt = SinkAttempt(sink: sink, target: group.target.target, logger: logger)
                planner.absorb(write, results: try mapping.entity.hasDocuments
                    ? applyWithDocuments(write, mapping: mapping, attempt: attempt)
                    : attempt.apply(write.sinkRows, personal: write.personal))
            }
            let plan = planner.finish()
            try store.write { tx in try execute(plan, tx) }
            NodeMetrics.records("applied", flow: "*", plan.counts.applied)
            NodeMetrics.records("rejected", flow: "*", plan.rejectedForReason)
            counts += plan.counts
        }
        return counts
    }

    /// Writes rows that name documents: each document is pointed at this node's copy, and
    /// a row whose target requires a signature the document lacks is rejected, audited,
    /// and never reaches the sink.
    private func applyWithDocuments(_ write: ApplyWrite, mapping: Mapping, attempt: SinkAttempt) throws -> [SinkAttempt.Result] {
        var rows = write.rows
        var refused: [Int: String] = [:]
        for index in rows.indices {
            rows[index].row.values = locateDocuments(rows[index].row.values)
            guard let refusal = signatureRefusal(rows[index].row.values, mapping: mapping) else { continue }
            refused[index] = refusal.reason
            let item = rows[index].item
            try store.write { tx in
                try audit.append(tx, AuditEvent(.documentRejected, flow: item.flow, bundle: item.bundle, subject: refusal.digest,
                    keyDigest: keyDigest(entity: item.entity, key: item.key), details: [
                        "digest": .string(refusal.digest), "target": .string(write.target.target), "reason": .string(refusal.reason),
                    ]))
            }
            logger.warning("document refused", metadata: ["digest": .string(refusal.digest), "reason": .string(refusal.reason)])
        }
        let passing = rows.indices.filter { refused[$0] == nil }
        // Each signature that verified is evidence too: one transaction for the batch.
        let verified = passing.flatMap { index in verifiedSignatures(rows[index].row.values, mapping: mapping).map { (rows[index].item, $0) } }
        if !verified.isEmpty {
            try store.write { tx in
                for (item, document) in verified {
                    try audit.append(tx, AuditEvent(.documentVerified, flow: item.flow, bundle: item.bundle, subject: document.digest,
                        keyDigest: keyDigest(entity: item.entity, key: item.key), details: [
                            "digest": .string(document.digest), "target": .string(write.target.target), "signer": .string(document.signer),
                        ]))
                }
            }
        }
        var results = try attempt.apply(passing.map { rows[$0].row }, personal: passing.map { rows[$0].personal }).makeIterator()
        return rows.indices.map { index in refused[index].map { .outcome(.rejected($0)) } ?? results.next() ?? .failed("no answer from the sink") }
    }

    /// The sink and mapping that write `target`'s entity, made once per run; nil when the
    /// target is not a system of the topology.
    private func sink(for target: TargetEntity, cache: inout SinkCache) throws -> (any Sink, Mapping)? {
        if let cached = cache[target] { return cached }
        guard let system = topology.system(named: target.target) else { return nil }
        let mapping = try deployment.mapping(system: target.target, entity: target.entity)
        let made = (try SystemAdapters.sink(for: system, mapping: mapping, topology: topology), mapping)
        cache[target] = made
        return made
    }

    /// Per record of `group`: what its target last applied for the key, and, when the entity
    /// has `policed` fields, who holds them.
    private func appliedState(of group: ApplyGroup, policed: Bool) throws -> ([Inbox.Applied?], [[String: FieldProvenance.Entry]]) {
        let (target, entity) = (group.target.target, group.target.entity)
        return try store.read { tx in
            (
                try tx.inbox.applied(target: target, entity: entity, keys: group.entries.map(\.item.key)),
                try group.entries.map { policed ? try tx.provenance.fields(target: target, entity: entity, key: $0.item.key) : [:] }
            )
        }
    }

    /// Executes a batch's actions in order, inside the caller's transaction. Settlements
    /// and applied versions are gathered and written many to a statement at the end: no
    /// other action reads the inbox's states or the applied versions.
    private func execute(_ plan: ApplyPlan, _ tx: StoreTransaction) throws {
        var settled: [(id: Int64, outcome: Inbox.Outcome, detail: String?)] = []
        var applied: [Inbox.AppliedRow] = []
        for action in plan.actions {
            switch action {
            case .postpone(let item, let attempts, let next):
                try tx.inbox.postpone(id: item.id, attempts: attempts, next: Timestamp.format(next))
            case .deadLetter(let item, let reason, let attempts):
                try deadLetter(item, reason: reason, attempts: attempts, tx)
            case .auditConflict(let item, let target, let detail):
                try audit.append(tx, AuditEvent(.conflict, flow: item.flow, bundle: item.bundle,
                    subject: subject(key: item.key, entity: item.entity), keyDigest: keyDigest(entity: item.entity, key: item.key),
                    details: ["target": .string(target), "detail": .string(detail)]))
            case .settle(let item, let outcome, let detail):
                settled.append((item.id, outcome, detail))
                if outcome == .rejected || outcome == .conflict { try forgetLocalRefusal(tx, item) }
            case .index(let group, let schema, let records):
                let changes = records.compactMap { indexChange($0, schema: schema) }
                try tx.digestIndex.record(system: group.target, entity: group.entity, changes)
            case .markIndexIncomplete(let group):
                try tx.digestIndex.markIncomplete(system: group.target, entity: group.entity)
            case .recordApplied(let target, let item, let digest):
                applied.append(Inbox.AppliedRow(target: target, entity: item.entity, key: item.key,
                    version: FerryCore.Record.sortableVersion(item.version), digest: digest, lane: item.lane, sequence: item.sequence,
                    position: item.id))
            case .recordHolders(let group, let key, let fields):
                try tx.provenance.record(target: group.target, entity: group.entity, key: key, fields: fields)
            case .auditBundle(let bundle, let records, let targets, let tally):
                let leaves = records.compactMap { item, outcome in
                    leaf(entity: item.entity, key: item.key, line: item.line, tag: outcome.rawValue)
                }
                try audit.append(tx, AuditEvent(.applied, bundle: bundle, details: [
                    "targets": .list(targets.map(Value.string)), "outcomes": .object(tally.mapValues(Value.int)),
                ], leaves: leaves))
            }
        }
        try tx.inbox.settle(settled)
        try tx.inbox.recordApplied(applied)
    }

    /// A record out of attempts: settled as dead, listed for an operator, and audited.
    private func deadLetter(_ item: InboxItem, reason: String, attempts: Int, _ tx: StoreTransaction) throws {
        let subject = subject(key: item.key, entity: item.entity)
        try tx.inbox.settle(id: item.id, outcome: .dead, detail: reason)
        try forgetLocalRefusal(tx, item)
        try tx.deadLetters.add(stage: "apply", flow: item.flow, bundle: item.bundle, inboxID: item.id, subject: subject,
            reason: reason, position: "bundle \(item.bundle)", attempts: attempts)
        try audit.append(tx, AuditEvent(.deadLettered, flow: item.flow, bundle: item.bundle, subject: subject,
            keyDigest: keyDigest(entity: item.entity, key: item.key),
            details: ["stage": "apply", "reason": .string(reason), "attempts": .int(Int64(attempts))]))
    }

    /// A record a target of this very node refused is not "sent" for change detection (no
    /// receipt comes back for a local pseudo-bundle to say so): the next read of its row sends
    /// it again once the target takes it.
    func forgetLocalRefusal(_ tx: StoreTransaction, _ item: InboxItem) throws {
        guard item.bundle.hasPrefix("local-") else { return }
        try tx.sentDigests.forget(flow: item.flow, key: item.key, digest: Array(FerrySeal.Hasher.sha256(item.line).prefix(16)))
    }
}
