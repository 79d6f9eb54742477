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
    /// are zero-padded so that 10 sorts after 9; whole-second canonical timestamps already order.
    /// A canonical timestamp with a fraction of a second (`…T09:30:00.5Z`) would sort before
    /// the whole second (`…T09:30:00Z`, since `.` < `Z`), so its fraction moves after the Z
    /// (`…T09:30:00Z5`): that sorts after the whole second, before the next one, and among
    /// fractions by their digits. Whole-second timestamps stay as they are.
    public static func sortableVersion(_ version: String) -> String {
        let bytes = Array(version.utf8)
        if bytes.count > 21, bytes.count <= 30, bytes[10] == UInt8(ascii: "T"), bytes[19] == UInt8(ascii: "."), bytes.last == UInt8(ascii: "Z"),
            bytes[20..<(bytes.count - 1)].allSatisfy({ (0x30...0x39).contains($0) })
        {
            let fraction = bytes[20..<(bytes.count - 1)].reversed().drop { $0 == UInt8(ascii: "0") }.reversed()
            return String(decoding: bytes[0..<19], as: UTF8.self) + "Z" + String(decoding: fraction, as: UTF8.self)
        }
        guard let number = Int64(version), number >= 0 else { return version }
        let digits = String(number)
        return "#" + String(repeating: "0", count: 19 - digits.count) + digits
    }
}
