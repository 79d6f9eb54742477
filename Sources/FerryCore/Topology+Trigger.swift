public import Foundation

extension Topology {
    /// Linked processing (一件事一次办): a change of one entity at a system that matches
    /// conditions produces records of other entities for other systems, one flow each.
    ///
    /// ```yaml
    /// triggers:
    ///   - name: employee-departure
    ///     on: { system: hr, entity: EmploymentChange, when: ["change == 'departure'"] }
    ///     produce:
    ///       - { entity: ContractTermination, to: [labour], mapping: Mappings/linked/departure-to-contract.yaml }
    /// ```
    /// Each `produce` entry is the flow `NAME.ENTITY`. Its mapping reads the triggering
    /// record's canonical fields as columns, and names the trigger as its `system:`. A
    /// derived record keeps the triggering record's key, so one audit trace by that key
    /// shows the change and every record it produced, with each target's outcome.
    public struct Trigger: Sendable {
        /// `FIELD == 'literal'` or `FIELD != 'literal'` on the triggering record's canonical
        /// text (an absent field compares as empty).
        public struct Condition: Sendable, Equatable {
            public var field: String
            public var equals: Bool
            public var literal: String

            public init(field: String, equals: Bool, literal: String) {
                (self.field, self.equals, self.literal) = (field, equals, literal)
            }

            /// Whether the record's field compares so; lists, documents and nulls compare as empty.
            public func holds(_ fields: [String: Value]) -> Bool { ((fields[field]?.text ?? "") == literal) == equals }
        }

        /// The trigger's name; its flows are `NAME.ENTITY`.
        public var name: String
        /// The entity whose changes trigger, as the source system maps it.
        public var entity: String
        /// All must hold.
        public var conditions: [Condition]
        /// The mapping from the triggering record's fields to the flow's entity.
        public var derivation: URL

        public init(name: String, entity: String, conditions: [Condition], derivation: URL) {
            (self.name, self.entity, self.conditions, self.derivation) = (name, entity, conditions, derivation)
        }

        /// Whether a triggering record's fields match every condition.
        public func matches(_ fields: [String: Value]) -> Bool { conditions.allSatisfy { $0.holds(fields) } }
    }
}
