import FerryCore
import FerryMapping
import FerryQueue
import FerryAdapters

extension ApplyPlanner {
    /// The fields of `mapping`'s entity under a policy other than `latest`: the ones whose
    /// holders the node must read before ``write(_:mapping:known:holders:)``.
    static func policed(_ mapping: Mapping) -> [FieldSpec] {
        mapping.entity.fields.filter { $0.conflict != .latest }
    }

    /// The sink rows of `group`: every record the version guard and the field policies let
    /// through, written with `mapping`. Records skipped, held as conflicts or refused by the
    /// mapping get their outcome here.
    /// - Parameters:
    ///   - known: per entry, what the target last applied for its key (nil: never).
    ///   - holders: per entry, who holds the key's policed fields (empty when none are policed).
    /// - Throws: what `mapping` throws other than a ``MappingIssue``.
    mutating func write(
        _ group: ApplyGroup, mapping: Mapping, known: [Inbox.Applied?], holders: [[String: FieldProvenance.Entry]]
    ) throws -> ApplyWrite {
        let target = group.target.target
        let policed = Self.policed(mapping)
        var write = ApplyWrite(target: group.target, schema: mapping.entity)
        // What the target holds per key as this batch goes: a later record of a key
        // in the same batch is judged against the earlier one, not the store's note.
        var current: [String: Inbox.Applied] = [:]
        for (index, entry) in group.entries.enumerated() where current[entry.item.key] == nil {
            current[entry.item.key] = index < known.count ? known[index] : nil
        }
        for (index, entry) in group.entries.enumerated() {
            let (item, record) = (entry.item, entry.record)
            let held = index < holders.count ? holders[index] : [:]
            let digest = Node.contentDigest(record)
            let verdict = Node.versionVerdict(record, digest: digest, applied: current[item.key], repair: entry.repair, target: target,
                policed: policed, holders: held, from: item)
            switch verdict {
            case .skip(let reason):
                outcomes[item.id] = outcomes[item.id] ?? (.skipped, reason)
                continue
            case .conflict(let reason):
                hold(item, at: target, detail: "\(target): \(reason)")
                continue
            case .apply, .replaceSameVersion:
                current[item.key] = Inbox.Applied(version: FerryCore.Record.sortableVersion(record.version), digest: digest,
                    lane: item.lane, sequence: item.sequence, position: item.id)
            }
            // A deletion removes the record whole; field policies judge values.
            let decision = record.operation == .delete
                ? Node.ConflictDecision()
                : Node.settleConflicts(record, fields: policed, holders: held, source: entry.source,
                    rank: ranks[entry.source] ?? Topology.Level.allCases.count)
            if !decision.conflicts.isEmpty {
                hold(item, at: target, detail: "\(target): conflict on " + decision.conflicts.joined(separator: "; "))
                continue
            }
            do {
                write.rows.append(try Self.row(entry, digest: digest, mapping: mapping, decision: decision,
                    replacesSameVersion: verdict == .replaceSameVersion))
            } catch let issue as MappingIssue {
                outcomes[item.id] = (.rejected, "\(target): \(issue.description)")
            }
        }
        return write
    }

    /// Holds a record as a case for a person: its outcome, and a conflict to audit.
    private mutating func hold(_ item: InboxItem, at target: String, detail: String) {
        outcomes[item.id] = (.conflict, detail)
        conflicts.append((item, target, detail))
    }

    /// One record as its sink row, without the fields a higher authority keeps.
    private static func row(
        _ entry: ApplyGroup.Entry, digest: [UInt8], mapping: Mapping, decision: Node.ConflictDecision, replacesSameVersion: Bool
    ) throws -> ApplyWrite.Row {
        let record = entry.record
        var values = try mapping.write(record)
        for field in decision.kept {
            guard let rule = mapping.rule(for: field) else { continue }
            for column in (rule.column.map { [$0] } ?? []) + rule.concat { values.removeValue(forKey: column) }
        }
        let kept = decision.kept.isEmpty ? nil : "kept " + decision.kept.joined(separator: ", ") + " as a higher authority set them"
        // Two key fields on one column (a mapping mistake) keep the first rather than trap.
        let keyValues = Dictionary(zip(mapping.entity.key, record.key).compactMap { field, value in
            mapping.rule(for: field)?.column.map { ($0, Value.string(value)) }
        }) { first, _ in first }
        return ApplyWrite.Row(
            item: entry.item, record: record, digest: digest,
            row: SinkRow(key: keyValues, values: values, operation: record.operation, replacesSameVersion: replacesSameVersion),
            personal: mapping.personalTexts(of: record, written: values.merging(keyValues) { value, _ in value }),
            holders: decision.holders, kept: kept)
    }
}
