import Foundation
public import FerryCore
public import FerryMapping

/// How a flow turns its source's rows into the records it carries: the source system's
/// mapping, and for a flow a trigger produces (`triggers:`), the trigger's conditions and
/// the derivation mapping after it. Sync and the scenario checks read through this one
/// place, so they cannot disagree about what a flow sends.
public struct FlowSource: Sendable {
    public enum Outcome: Sendable {
        /// The record the flow carries.
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

    /// Reads one source row into the flow's record: mapped, then (for a trigger's flow)
    /// matched against the conditions and derived.
    public func read(_ row: [String: Value]) -> Outcome {
        switch mapping.read(row) {
        case .rejected(let key, let issues): return .rejected(key: key, issues: issues)
        case .record(let record): return derive(record)
        }
    }

    /// The record a triggering record produces, or why it produces none. A deletion sets
    /// nothing off: what a change made elsewhere (a contract closed, a tax declared) is not
    /// undone by removing the change's row.
    public func derive(_ record: FerryCore.Record) -> Outcome {
        guard let trigger, let derivation else { return .record(record) }
        guard record.operation == .upsert, trigger.matches(record.fields) else { return .untriggered }
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
