import Foundation
import FerryCore
import FerryMapping
import FerryQueue
import FerryAudit
import FerryAdapters
import FerrySeal
import GRDB

extension Node {
    struct ApplyCounts {
        var applied = 0
        var skipped = 0
        var rejected = 0
        /// Failed this run, to be retried after a backoff.
        var postponed = 0
        var dead = 0
    }

    /// Applies staged inbox records to this zone's target systems of their flows.
    ///
    /// Sink writes cannot share the store's transaction, so this is idempotent instead:
    /// a crash after the sink write and before the outcome commits re-applies the same
    /// version, which the version guard turns into a no-op.
    func applyPending(now: Date = Date()) throws -> ApplyCounts {
        var counts = ApplyCounts()
        var sinks: [String: (any Sink, Mapping)] = [:]
        let due = Timestamp.format(now)
        while true {
            let items = try store.read { db in try Inbox.pending(db, limit: Self.readBatch, now: due) }
            guard !items.isEmpty else { break }
            var outcomes: [Int64: (Inbox.Outcome, String?)] = [:]
            // Items whose target failed in a way worth retrying: postponed, or dead-lettered.
            var failed: [Int64: (item: InboxItem, reason: String)] = [:]
            var appliedVersions: [(target: String, item: InboxItem, digest: [UInt8])] = []
            // Grouped by target system and entity: one system may receive several entities.
            var perTarget: [TargetEntity: [(InboxItem, FerryCore.Record, source: String, repair: Bool)]] = [:]
            // Records held back as conflict cases, audited with the settlement.
            var conflicts: [(item: InboxItem, target: String, detail: String)] = []
            // What each target now holds, for its digest index (kept for reconciles).
            var indexChanges: [TargetEntity: [DigestIndex.Change]] = [:]
            var staleIndexes: Set<TargetEntity> = []
            let unindexedFlows = Set(topology.flows.filter { !$0.keepsDigestIndex }.map(\.name))
            for item in items {
                let envelope: RecordEnvelope
                do { envelope = try RecordEnvelope(line: item.line) } catch {
                    outcomes[item.id] = (.rejected, "unreadable record")
                    continue
                }
                guard let flow = topology.flow(named: envelope.flow) else {
                    outcomes[item.id] = (.rejected, "flow \(envelope.flow) is not in this node's topology")
                    continue
                }
                let targets = flow.to.filter { topology.system(named: $0)?.zone == zone }
                if targets.isEmpty { outcomes[item.id] = (.rejected, "flow \(flow.name) has no target in zone \(zone)") }
                for target in targets {
                    perTarget[TargetEntity(target: target, entity: envelope.record.entity), default: []].append((item, envelope.record, flow.from, envelope.repair))
                }
            }
            for (group, entries) in perTarget.sorted(by: { ($0.key.target, $0.key.entity) < ($1.key.target, $1.key.entity) }) {
                let target = group.target
                let entity = group.entity
                guard let system = topology.system(named: target) else { continue }
                let cacheKey = "\(target)/\(entity)"
                if sinks[cacheKey] == nil {
                    let mapping = try deployment.mapping(system: target, entity: entity)
                    sinks[cacheKey] = (try SystemAdapters.sink(for: system, mapping: mapping, topology: topology), mapping)
                }
                guard let (sink, mapping) = sinks[cacheKey] else { continue }
                var rows: [SinkRow] = []
                var rowItems: [InboxItem] = []
                var rowRecords: [FerryCore.Record] = []
                // Per row: its personal values, masked wherever the sink's text quotes them.
                var rowPersonal: [[String]] = []
                // Per row: who now holds its policed fields, and fields left to a higher authority.
                var rowProvenance: [(key: String, fields: [String: FieldProvenance.Entry])] = []
                var keptFields: [Int64: String] = [:]
                let policed = mapping.entity.fields.filter { $0.conflict != .latest }
                let (known, held) = try store.read { db in
                    (
                        try entries.map { try Inbox.applied(db, target: target, entity: entity, key: $0.0.key) },
                        try entries.map { policed.isEmpty ? [:] : try FieldProvenance.fields(db, target: target, entity: entity, key: $0.0.key) }
                    )
                }
                var rowDigests: [[UInt8]] = []
                // What the target holds per key as this batch goes: a later record of a key
                // in the same batch is judged against the earlier one, not the store's note.
                var current: [String: Inbox.Applied] = [:]
                for (entry, applied) in zip(entries, known) where current[entry.0.key] == nil { current[entry.0.key] = applied }
                for ((item, record, source, repair), holders) in zip(entries, held) {
                    let digest = Self.contentDigest(record)
                    let verdict = Self.versionVerdict(record, digest: digest, applied: current[item.key], repair: repair, target: target,
                        policed: policed, holders: holders, from: item)
                    if verdict == .apply || verdict == .replaceSameVersion {
                        current[item.key] = Inbox.Applied(version: FerryCore.Record.sortableVersion(record.version), digest: digest,
                            lane: item.lane, sequence: item.sequence, position: item.id)
                    }
                    switch verdict {
                    case .skip(let reason):
                        outcomes[item.id] = outcomes[item.id] ?? (.skipped, reason)
                        continue
                    case .conflict(let reason):
                        let detail = "\(target): \(reason)"
                        outcomes[item.id] = (.conflict, detail)
                        conflicts.append((item, target, detail))
                        continue
                    case .apply, .replaceSameVersion:
                        break
                    }
                    let rank = topology.system(named: source)?.level.rank ?? Topology.Level.allCases.count
                    // A deletion removes the record whole; field policies judge values.
                    let decision = record.operation == .delete
                        ? ConflictDecision() : Self.settleConflicts(record, fields: policed, holders: holders, source: source, rank: rank)
                    if !decision.conflicts.isEmpty {
                        let detail = "\(target): conflict on " + decision.conflicts.joined(separator: "; ")
                        outcomes[item.id] = (.conflict, detail)
                        conflicts.append((item, target, detail))
                        continue
                    }
                    do {
                        var values = try mapping.write(record)
                        for field in decision.kept {
                            guard let rule = mapping.rule(for: field) else { continue }
                            for column in (rule.column.map { [$0] } ?? []) + rule.concat { values.removeValue(forKey: column) }
                        }
                        if !decision.kept.isEmpty {
                            keptFields[item.id] = "kept " + decision.kept.joined(separator: ", ") + " as a higher authority set them"
                        }
                        rowProvenance.append((item.key, decision.holders))
                        let keyValues = Dictionary(uniqueKeysWithValues: zip(mapping.entity.key, record.key).compactMap { field, value in
                            mapping.rule(for: field)?.column.map { ($0, Value.string(value)) }
                        })
                        rows.append(SinkRow(key: keyValues, values: values, operation: record.operation,
                            replacesSameVersion: verdict == .replaceSameVersion))
                        rowItems.append(item)
                        rowRecords.append(record)
                        rowPersonal.append(mapping.personalTexts(of: record, written: values.merging(keyValues) { value, _ in value }))
                        rowDigests.append(digest)
                    } catch let issue as MappingIssue {
                        outcomes[item.id] = (.rejected, "\(target): \(issue.description)")
                    }
                }
                // Every text the sink writes is masked, and a batch failure is attributed per record.
                let results = try SinkAttempt(sink: sink, target: target, logger: logger).apply(rows, personal: rowPersonal)
                var provenance: [(key: String, fields: [String: FieldProvenance.Entry])] = []
                for ((((item, result), holders), record), digest) in zip(zip(zip(zip(rowItems, results), rowProvenance), rowRecords), rowDigests) {
                    switch result {
                    case .failed(let reason):
                        failed[item.id] = (item, "\(target): \(reason)")
                    case .outcome(.applied):
                        if keptFields[item.id] != nil {
                            // The target now holds a mix of this record and values a higher
                            // authority set: no digest of ours describes it.
                            staleIndexes.insert(group)
                        } else if !unindexedFlows.contains(item.flow), let change = indexChange(record, schema: mapping.entity) {
                            indexChanges[group, default: []].append(change)
                        }
                        if outcomes[item.id] == nil || outcomes[item.id]?.0 == .skipped { outcomes[item.id] = (.applied, keptFields[item.id]) }
                        appliedVersions.append((target, item, digest))
                        if !holders.fields.isEmpty { provenance.append(holders) }
                    case .outcome(.skippedOlder):
                        // Not recorded as applied: the target holds something else (a newer
                        // version written there), and a later resend must be judged against it.
                        outcomes[item.id] = outcomes[item.id] ?? (.skipped, "\(target) holds a newer version than \(item.version)")
                    case .outcome(.rejected(let reason)):
                        outcomes[item.id] = (.rejected, "\(target): \(reason)")
                    }
                }
                if !provenance.isEmpty {
                    try transaction { db in
                        for entry in provenance {
                            try FieldProvenance.record(db, target: target, entity: entity, key: entry.key, fields: entry.fields)
                        }
                    }
                }
            }
            try transaction { db in
                for (id, failure) in failed.sorted(by: { $0.key < $1.key }) {
                    let attempts = failure.item.attempts + 1
                    if attempts >= topology.retry.attempts {
                        try Inbox.settle(db, id: id, outcome: .dead, detail: failure.reason)
                        try forgetLocalRefusal(db, failure.item)
                        try DeadLetters.add(db, stage: "apply", flow: failure.item.flow, bundle: failure.item.bundle, inboxID: id,
                            subject: subject(key: failure.item.key, entity: failure.item.entity), reason: failure.reason,
                            position: "bundle \(failure.item.bundle)", attempts: attempts)
                        try audit.append(db, AuditEvent(.deadLettered, flow: failure.item.flow, bundle: failure.item.bundle,
                            subject: subject(key: failure.item.key, entity: failure.item.entity),
                            keyDigest: keyDigest(entity: failure.item.entity, key: failure.item.key),
                            details: ["stage": "apply", "reason": .string(failure.reason), "attempts": .int(Int64(attempts))]))
                        counts.dead += 1
                    } else {
                        // Stored times have whole seconds: round up, or a sub-second delay would
                        // be due again within this very run.
                        let next = Date(timeIntervalSince1970: (now.timeIntervalSince1970 + topology.retry.delay(after: attempts)).rounded(.up))
                        try Inbox.postpone(db, id: id, attempts: attempts, next: Timestamp.format(next))
                        counts.postponed += 1
                    }
                }
                for conflict in conflicts {
                    try audit.append(db, AuditEvent(.conflict, flow: conflict.item.flow, bundle: conflict.item.bundle,
                        subject: subject(key: conflict.item.key, entity: conflict.item.entity),
                        keyDigest: keyDigest(entity: conflict.item.entity, key: conflict.item.key),
                        details: ["target": .string(conflict.target), "detail": .string(conflict.detail)]))
                }
                for item in items where failed[item.id] == nil {
                    let (outcome, detail) = outcomes[item.id] ?? (.rejected, "no target applied it")
                    try Inbox.settle(db, id: item.id, outcome: outcome, detail: detail)
                    if outcome == .rejected || outcome == .conflict { try forgetLocalRefusal(db, item) }
                    switch outcome {
                    case .applied: counts.applied += 1
                    case .skipped: counts.skipped += 1
                    default: counts.rejected += 1
                    }
                }
                NodeMetrics.records("applied", flow: "*", items.filter { outcomes[$0.id]?.0 == .applied && failed[$0.id] == nil }.count)
                NodeMetrics.records("rejected", flow: "*", items.filter { outcomes[$0.id]?.0 == .rejected && failed[$0.id] == nil }.count)
                for (group, changes) in indexChanges {
                    try DigestIndex.record(db, system: group.target, entity: group.entity, changes)
                }
                for group in staleIndexes { try DigestIndex.markIncomplete(db, system: group.target, entity: group.entity) }
                for (target, item, digest) in appliedVersions {
                    try Inbox.recordApplied(db, target: target, entity: item.entity, key: item.key,
                        version: FerryCore.Record.sortableVersion(item.version), digest: digest, lane: item.lane, sequence: item.sequence,
                        position: item.id)
                }
                let bundles = Set(items.filter { failed[$0.id] == nil }.map(\.bundle)).sorted()
                for bundle in bundles {
                    let mine = items.filter { $0.bundle == bundle && failed[$0.id] == nil }
                    var tally: [String: Int64] = [:]
                    for item in mine { tally[(outcomes[item.id]?.0 ?? .rejected).rawValue, default: 0] += 1 }
                    let leaves = mine.compactMap { item in
                        leaf(entity: item.entity, key: item.key, line: item.line, tag: (outcomes[item.id]?.0 ?? .rejected).rawValue)
                    }
                    try audit.append(db, AuditEvent(.applied, bundle: bundle, details: [
                        "targets": .list(Set(perTarget.keys.map(\.target)).sorted().map(Value.string)),
                        "outcomes": .object(tally.mapValues(Value.int)),
                    ], leaves: leaves))
                }
            }
        }
        return counts
    }
}

extension Node {
    /// A record a target of this very node refused is not "sent" for change detection (no
    /// receipt comes back for a local pseudo-bundle to say so): the next read of its row sends
    /// it again once the target takes it.
    func forgetLocalRefusal(_ db: Database, _ item: InboxItem) throws {
        guard item.bundle.hasPrefix("local-") else { return }
        try SentDigests.forget(db, flow: item.flow, key: item.key, digest: Array(FerrySeal.Hasher.sha256(item.line).prefix(16)))
    }

    /// What field policies make of one incoming record: fields left as a higher authority
    /// set them, fields in conflict, and who holds the policed fields once it is applied.
    struct ConflictDecision {
        var kept: [String] = []
        var conflicts: [String] = []
        var holders: [String: FieldProvenance.Entry] = [:]
    }

    static func settleConflicts(
        _ record: FerryCore.Record, fields: [FieldSpec], holders: [String: FieldProvenance.Entry], source: String, rank: Int
    ) -> ConflictDecision {
        var decision = ConflictDecision()
        for spec in fields {
            let digest = valueDigest(record.fields[spec.name] ?? .null)
            let incoming = FieldProvenance.Entry(system: source, rank: rank, digest: digest)
            guard let holder = holders[spec.name], holder.system != source, holder.digest != digest else {
                decision.holders[spec.name] = incoming
                continue
            }
            switch spec.conflict {
            case .authority where holder.rank < rank:
                decision.kept.append(spec.name)
            case .none:
                decision.conflicts.append("\(spec.name) (\(holder.system) holds another value; settle it, then re-drive)")
            default:
                decision.holders[spec.name] = incoming
            }
        }
        return decision
    }

    /// A short digest of a canonical value: enough to see that two writers disagree.
    static func valueDigest(_ value: Value) -> String {
        hex(FerrySeal.Hasher.sha256(CanonicalJSON.encode(value)).prefix(16))
    }
}

/// A target system and the entity written to it.
struct TargetEntity: Hashable {
    var target: String
    var entity: String
}
