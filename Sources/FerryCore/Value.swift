public import Foundation

/// A field value in the canonical record model.
///
/// Dates and timestamps travel as normalised text (`2026-01-31`, `2026-01-31T08:00:00Z`):
/// their type lives in the entity, which keeps the encoding small and order-preserving.
/// Decimals keep their exact text so no float rounding ever changes a digest.
public enum Value: Sendable, Hashable {
    case null
    case bool(Bool)
    case int(Int64)
    case decimal(String)
    case string(String)
    case list([Value])
    case object([String: Value])
    /// Binary content small enough to travel inside its record (a BLOB column, a stamp
    /// image); large files are documents.
    case bytes(Data)
    /// A content-addressed reference to a document held in the blob store. Boxed
    /// (`indirect`): inline, its ~170 bytes made every value that size, and each copy of a
    /// string or number in a row a 169-byte memcpy (the mysql apply profile's top entry).
    indirect case document(DocumentRef)

    /// The value as text, for code-table lookups and system columns.
    public var text: String? {
        switch self {
        case .null, .list, .object, .bytes, .document: return nil
        case .bool(let b): return b ? "true" : "false"
        case .int(let i): return String(i)
        case .decimal(let d): return d
        case .string(let s): return s
        }
    }

    public var isNull: Bool { self == .null }
}

extension Value: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral,
    ExpressibleByArrayLiteral, ExpressibleByNilLiteral
{
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int64) { self = .int(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(arrayLiteral elements: Value...) { self = .list(elements) }
    public init(nilLiteral: ()) { self = .null }
}
