public import FerryCore

/// Why a record was stopped: the field, the rule it broke and a message. Messages never
/// quote a personal value.
public struct MappingIssue: Error, Sendable, Equatable, CustomStringConvertible {
    public var field: String?
    public var rule: String
    public var message: String

    public init(field: String?, rule: String, message: String) {
        self.field = field
        self.rule = rule
        self.message = message
    }

    public var description: String { "\(field.map { "\($0): " } ?? "")\(message) [\(rule)]" }
}

/// The result of reading one system row: a canonical record, or the reasons it was stopped.
public enum MappedRow: Sendable {
    case record(Record)
    /// `key` is the row's key as far as it could be read, masked if personal.
    case rejected(key: String, issues: [MappingIssue])
}
