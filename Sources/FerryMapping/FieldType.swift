public import FerryCore

/// The type of a canonical field, as declared in an entity file.
public indirect enum FieldType: Sendable, Equatable {
    case string, int, decimal, bool, date, timestamp
    /// Binary content carried inside the record (base64 in a bundle line).
    case bytes
    /// A content-addressed reference to a document carried beside the record
    /// (docs/documents.md).
    case document
    case code(table: String)
    case list(of: FieldType)

    static let scalarNames = ["string", "int", "decimal", "bool", "date", "timestamp", "bytes", "document", "code", "list"]
}

/// Who wins when two systems write different values into one field of one record.
public enum ConflictPolicy: String, Sendable, CaseIterable {
    /// The newer version wins (the default): what the record-level version guard does.
    case latest
    /// The higher authority wins whatever the versions: national over provincial over
    /// municipal over district. A lower system's value for the field is not written.
    case authority
    /// Nobody wins: a different value from another system is a conflict case for people
    /// to settle, and the record is not applied.
    case none
}

/// One canonical field's declaration.
public struct FieldSpec: Sendable {
    public var name: String
    public var type: FieldType
    public var required: Bool
    public var personal: Bool
    /// A regular expression the text must match in full.
    public var check: String?
    public var validators: [String]
    public var maxLength: Int?
    public var minCount: Int?
    /// The table of a code field (or of a list of codes).
    public var codeTable: CodeTable?
    /// `enum: [a, b]`: the only values allowed.
    public var allowed: [String]?
    /// `range: [low, high]`: inclusive bounds (either may be empty) on numbers, dates and
    /// timestamps, compared in the field's own order.
    public var range: (low: String?, high: String?)?
    public var conflict = ConflictPolicy.latest
    /// `compare: ignore`: left out of record digests, so reconciliation overlooks it (local
    /// timestamps, sequence numbers each copy keeps for itself).
    public var compareIgnored = false
    /// `tolerance: 0.01`: numbers this close compare equal in reconciliation reports.
    public var tolerance: String?
    public var location: SourceLocation
}

/// A record-level rule, `left OP right`, where each side is a field name or a quoted literal.
public struct RecordRule: Sendable {
    public enum Operator: String, Sendable, CaseIterable {
        case ge = ">=", le = "<=", ne = "!=", eq = "==", gt = ">", lt = "<"
    }

    public var left: String
    public var op: Operator
    public var right: String
    public var message: String
    public var text: String
    public var location: SourceLocation
}

extension RecordRule.Operator {
    func holds<T: Comparable>(_ left: T, _ right: T) -> Bool {
        switch self {
        case .ge: return left >= right
        case .le: return left <= right
        case .gt: return left > right
        case .lt: return left < right
        case .eq: return left == right
        case .ne: return left != right
        }
    }
}
