import Foundation
public import FerryCore
import FerryMapping

extension Deployment {
    /// The source reading of `flow`.
    /// - Throws: `FerryError(.config)` when a mapping is missing, a trigger's condition names
    ///   a field its entity does not have (it would never hold, and nothing would ever be
    ///   produced), or its derivation mapping does not name the trigger as its system.
    public func flowSource(_ flow: Topology.Flow) throws -> FlowSource {
        guard let trigger = flow.trigger else {
            return FlowSource(mapping: try mapping(system: flow.from, entity: flow.entity), trigger: nil, derivation: nil)
        }
        try checkConditions(trigger, at: flow.location)
        let derivation = try derivation(trigger, entity: flow.entity)
        guard derivation.systems.contains(trigger.name) else {
            throw FerryError(.config, "\(trigger.derivation.path) is the mapping of \(derivation.system), but trigger \(trigger.name) uses it",
                at: .file(flow.location), hint: "a derivation mapping names its trigger: system: \(trigger.name)")
        }
        return FlowSource(mapping: try mapping(system: flow.from, entity: trigger.entity), trigger: trigger, derivation: derivation)
    }

    /// Refuses conditions that could never hold, which would make the trigger produce
    /// nothing, silently: a field the entity lacks, a code its table does not have (the
    /// system's own code instead of the canonical one), or two different values required
    /// of one field.
    func checkConditions(_ trigger: Topology.Trigger, at location: SourceLocation) throws {
        let watched = try entity(trigger.entity)
        var required: [String: String] = [:]
        for condition in trigger.conditions {
            guard let field = watched.field(condition.field) else {
                throw FerryError(.config, "trigger \(trigger.name): when names \(condition.field), which \(trigger.entity) does not have",
                    at: .file(location), hint: "fields of \(trigger.entity): \(watched.fields.map(\.name).joined(separator: ", "))")
            }
            if let table = field.codeTable, !condition.literal.isEmpty, !table.canonicalCodes.contains(condition.literal) {
                throw FerryError(.config, "trigger \(trigger.name): '\(condition.literal)' is not a canonical code of \(condition.field)",
                    at: .file(location), hint: "conditions compare canonical values: one of \(table.canonicalCodes.sorted().joined(separator: ", "))")
            }
            guard condition.equals else { continue }
            if let other = required[condition.field], other != condition.literal {
                throw FerryError(.config, "trigger \(trigger.name): \(condition.field) cannot be both '\(other)' and '\(condition.literal)'",
                    at: .file(location), hint: "all conditions must hold; write one trigger per value")
            }
            required[condition.field] = condition.literal
        }
    }
}
