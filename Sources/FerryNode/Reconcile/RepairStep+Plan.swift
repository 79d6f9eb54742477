import FerryCore
import FerryMapping
import FerryReconcile

extension RepairStep {
    /// A difference as the plan takes it: the key as shown, and its digest prefix.
    typealias Keyed = (shown: String, digest: String)

    /// The plan for a report of `source`'s copy (left) against `target`'s (right), under the
    /// entity's conflict policies: authority by level (national > provincial > municipal >
    /// district), latest by version, per-field winners, none → a case.
    static func plan(
        missing: [Keyed], changed: [Keyed], extra: [Keyed], source: Topology.System, target: Topology.System, entity: EntitySchema,
        deleteExtras: Bool
    ) -> [RepairStep] {
        let compared = entity.fields.filter { !entity.ignoredInComparison.contains($0.name) && !entity.key.contains($0.name) }
        let policies = Set(compared.map(\.conflict))
        let unsettled = compared.filter { $0.conflict == .none }.map(\.name)
        let change: (Action, String)
        if !unsettled.isEmpty {
            change = (.raiseCase, "conflict: none on \(unsettled.joined(separator: ", ")): people settle which value stands")
        } else if policies == [.authority] {
            if source.level < target.level {
                change = (.update, "\(source.name) (\(source.level.rawValue)) outranks \(target.name) (\(target.level.rawValue))")
            } else if target.level < source.level {
                change = (.keep, "\(target.name) (\(target.level.rawValue)) outranks \(source.name) (\(source.level.rawValue)): its values stand")
            } else {
                change = (.update, "same level (\(source.level.rawValue)): the newer version wins at apply")
            }
        } else if policies.contains(.authority) {
            let held = compared.filter { $0.conflict == .authority }.map(\.name)
            change = (.update, "per field: latest by version, but \(held.joined(separator: ", ")) stay with the higher authority that set them")
        } else {
            change = (.update, "latest by version: applied where \(source.name)'s version is newer")
        }
        return missing.map { RepairStep(action: .insert, key: $0.shown, reason: "missing in \(target.name)", digest: $0.digest) }
            + changed.map { RepairStep(action: change.0, key: $0.shown, reason: change.1, digest: $0.digest) }
            + extra.map {
                deleteExtras
                    ? RepairStep(action: .delete, key: $0.shown, reason: "only in \(target.name); the flow deletes extras (reconcile: { extras: delete })", digest: $0.digest)
                    : RepairStep(action: .report, key: $0.shown, reason: "only in \(target.name): reported, never deleted unless the flow opts in", digest: $0.digest)
            }
    }
}
