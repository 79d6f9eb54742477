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
        let watched = try entity(trigger.entity)
        for condition in trigger.conditions where watched.field(condition.field) == nil {
            throw FerryError(.config, "trigger \(trigger.name): when names \(condition.field), which \(trigger.entity) does not have",
                at: .file(flow.location), hint: "fields of \(trigger.entity): \(watched.fields.map(\.name).joined(separator: ", "))")
        }
        let derivation = try derivation(trigger, entity: flow.entity)
        guard derivation.systems.contains(trigger.name) else {
            throw FerryError(.config, "\(trigger.derivation.path) is the mapping of \(derivation.system), but trigger \(trigger.name) uses it",
                at: .file(flow.location), hint: "a derivation mapping names its trigger: system: \(trigger.name)")
        }
        return FlowSource(mapping: try mapping(system: flow.from, entity: trigger.entity), trigger: trigger, derivation: derivation)
    }
}
