/// One business record in canonical form: what every mapping reads into and writes from.
public struct Record: Sendable, Hashable {
    public enum Operation: String, Sendable, Hashable {
        case upsert
        case delete
    }

    public var entity: String
    /// The match-key values, in the entity's key order.
    public var key: [String]
    /// The version, as order-preserving text; an older version never overwrites a newer one.
    public var version: String
    public var operation: Operation
    public var fields: [String: Value]

    public init(
        entity: String, key: [String], version: String, operation: Operation = .upsert,
        fields: [String: Value]
    ) {
        self.entity = entity
        self.key = key
        self.version = version
        self.operation = operation
        self.fields = fields
    }

    /// The key as one string; the unit separator cannot occur in real key values.
    public var keyString: String { key.joined(separator: "\u{1F}") }

    /// The key as people read it.
    public var displayKey: String { key.joined(separator: "/") }

    /// The canonical encoding of the business content (entity, key, fields), which is what
    /// digests are taken over; version and operation are carried beside it.
    public var canonicalContent: [UInt8] {
        var object: [String: Value] = [:]
        object["entity"] = .string(entity)
        object["key"] = .list(key.map(Value.string))
        object["fields"] = .object(fields)
        return CanonicalJSON.encode(.object(object))
    }
}

extension Record {
    /// A form of a version that orders correctly as text: whole numbers (a version counter)
    /// are zero-padded so that 10 sorts after 9; timestamps in canonical form already order.
    public static func sortableVersion(_ version: String) -> String {
        guard let number = Int64(version), number >= 0 else { return version }
        let digits = String(number)
        return "#" + String(repeating: "0", count: 19 - digits.count) + digits
    }
}
