import Foundation
import FerryCore
import FerryQueue

extension ApplyPlanner {
    /// The actions that settle the batch, in the order the node executes them: retries and
    /// dead letters, conflict events, outcomes, index changes, applied versions, field
    /// holders, then one `applied` event per bundle. A record that failed at any target is
    /// retried whole and settles nothing else.
    func finish() -> ApplyPlan {
        var plan = ApplyPlan()
        for (_, failure) in failed.sorted(by: { $0.key < $1.key }) {
            let action = retry(failure.item, reason: failure.reason)
            if case .deadLetter = action { plan.counts.dead += 1 } else { plan.counts.postponed += 1 }
            plan.actions.append(action)
        }
        for conflict in conflicts {
            plan.actions.append(.auditConflict(conflict.item, target: conflict.target, detail: conflict.detail))
        }
        for item in items where failed[item.id] == nil {
            let (outcome, detail) = outcomes[item.id] ?? (.rejected, "no target applied it")
            plan.actions.append(.settle(item, outcome, detail: detail))
            switch outcome {
            case .applied: plan.counts.applied += 1
            case .skipped: plan.counts.skipped += 1
            case .rejected:
                plan.counts.rejected += 1
                if outcomes[item.id] != nil { plan.rejectedForReason += 1 }
            default: plan.counts.rejected += 1
            }
        }
        for (group, entry) in indexed.sorted(by: { Self.order($0.key, $1.key) }) {
            plan.actions.append(.index(group, schema: entry.schema, records: entry.records))
        }
        for group in staleIndexes.sorted(by: Self.order) { plan.actions.append(.markIndexIncomplete(group)) }
        for applied in appliedVersions {
            plan.actions.append(.recordApplied(target: applied.target, item: applied.item, digest: applied.digest))
        }
        for entry in holders { plan.actions.append(.recordHolders(entry.target, key: entry.key, fields: entry.fields)) }
        plan.actions += bundleEvents()
        return plan
    }

    /// What becomes of a record a target failed: another attempt after a backoff, or dead
    /// letters once this was its last attempt.
    func retry(_ item: InboxItem, reason: String) -> ApplyAction {
        let attempts = item.attempts < Int.max ? item.attempts + 1 : item.attempts
        if attempts >= self.attempts { return .deadLetter(item, reason: reason, attempts: attempts) }
        return .postpone(item, attempts: attempts, next: Timestamp.wholeSeconds(after: delay(attempts), from: now))
    }

    /// One `applied` event per bundle settled in this batch, in bundle order.
    private func bundleEvents() -> [ApplyAction] {
        let settled = items.filter { failed[$0.id] == nil }
        let targets = Set(groups.map(\.target.target)).sorted()
        return Set(settled.map(\.bundle)).sorted().map { bundle in
            let records = settled.filter { $0.bundle == bundle }.map { item in
                (item: item, outcome: outcomes[item.id]?.outcome ?? .rejected)
            }
            var tally: [String: Int64] = [:]
            for record in records { tally[record.outcome.rawValue, default: 0] += 1 }
            return .auditBundle(bundle: bundle, records: records, targets: targets, tally: tally)
        }
    }

    private static func order(_ a: TargetEntity, _ b: TargetEntity) -> Bool { (a.target, a.entity) < (b.target, b.entity) }
}
