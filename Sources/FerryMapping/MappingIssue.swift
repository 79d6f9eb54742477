public import FerryCore

/// Why a record was stopped: the field, the rule it broke and a message. Messages never
/// quote a personal value.
public struct MappingIssue: Error, Sendable, Equatable, CustomStringConvertible {
    public var field: String?
    public var rule: String
    public var message: String
    /// Where the rule is written: the mapping's field line, or the entity's.
    public var location: SourceLocation?

    public init(field: String?, rule: String, message: String, at location: SourceLocation? = nil) {
        self.field = field
        self.rule = rule
        self.message = message
        self.location = location
    }

    public var description: String {
        "\(field.map { "\($0): " } ?? "")\(message) [\(rule)\(location.map { " at \(Self.short($0))" } ?? "")]"
    }

    /// `portal.yaml:12:3`: the file's name is enough beside the rule in a quarantine report.
    static func short(_ location: SourceLocation) -> String {
        "\(location.file.split(separator: "/").last.map(String.init) ?? location.file):\(location.line):\(location.column)"
    }
}

/// The result of reading one system row: a canonical record, or the reasons it was stopped.
public enum MappedRow: Sendable {
    case record(Record)
    /// `key` is the row's key as far as it could be read, masked if personal.
    case rejected(key: String, issues: [MappingIssue])
}
