import Foundation
public import FerryCore
public import FerryMapping

/// How a flow turns its source's rows into the records it carries: the source system's
/// mapping, and for a flow a trigger produces (`triggers:`), the trigger's conditions and
/// the derivation mapping after it. Sync and the scenario checks read through this one
/// place, so they cannot disagree about what a flow sends.
public struct FlowSource: Sendable {
    public enum Outcome: Sendable {
        case record(FerryCore.Record)
        /// `key` as far as it could be read, masked if personal.
        case rejected(key: String, issues: [MappingIssue])
        /// A change of the triggering entity that does not match the trigger's conditions.
        case untriggered
    }

    /// The source system's mapping; of the triggering entity for a trigger's flow.
    public let mapping: Mapping
    public let trigger: Topology.Trigger?
    /// The triggering record's canonical fields, as columns, into the flow's entity.
    public let derivation: Mapping?

    public func read(_ row: [String: Value]) -> Outcome {
        switch mapping.read(row) {
        case .rejected(let key, let issues): return .rejected(key: key, issues: issues)
        case .record(let record): return derive(record)
        }
    }

    /// The record a triggering record produces, or why it produces none.
    public func derive(_ record: FerryCore.Record) -> Outcome {
        guard let trigger, let derivation else { return .record(record) }
        guard trigger.matches(record.fields) else { return .untriggered }
        switch derivation.read(record.fields) {
        case .rejected(let key, let issues): return .rejected(key: key, issues: issues)
        case .record(var derived):
            // One key across the change and what it produced: one audit trace finds them all.
            guard derived.key == record.key else {
                return .rejected(key: Masking.mask(record.displayKey), issues: [MappingIssue(field: nil, rule: "trigger_key",
                    message: "a record trigger \(trigger.name) produces keeps the key of the change that triggered it; "
                        + "map \(derivation.entity.key.joined(separator: ", ")) from the triggering record's key fields",
                    at: SourceLocation(file: derivation.file, line: 1, column: 1))])
            }
            derived.operation = record.operation
            return .record(derived)
        }
    }
}

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
        let derivation = try Mapping.load(trigger.derivation, entity: try entity(flow.entity), codes: codes)
        guard derivation.systems.contains(trigger.name) else {
            throw FerryError(.config, "\(trigger.derivation.path) is the mapping of \(derivation.system), but trigger \(trigger.name) uses it",
                at: .file(flow.location), hint: "a derivation mapping names its trigger: system: \(trigger.name)")
        }
        return FlowSource(mapping: try mapping(system: flow.from, entity: trigger.entity), trigger: trigger, derivation: derivation)
    }
}
