public import FerryCore

/// How a canonical record travels inside a `records` bundle (docs/bundle-format.md): one canonical-JSON line carrying the
/// flow it belongs to, so the receiving node knows which of its systems to apply it to.
public struct RecordEnvelope: Sendable {
    public var flow: String
    public var record: Record
    /// Sent by a reconcile repair: the target node may have applied this very version
    /// before (and the row was lost since), so the same version is let through to the
    /// target's own version guard; an older one is still skipped.
    public var repair = false

    public var line: [UInt8] {
        var object: [String: Value] = [
            "flow": .string(flow),
            "entity": .string(record.entity),
            "key": .list(record.key.map(Value.string)),
            "version": .string(record.version),
            "op": .string(record.operation.rawValue),
            "fields": .object(record.fields),
        ]
        if repair { object["repair"] = .bool(true) }
        return CanonicalJSON.encode(.object(object))
    }

    public init(flow: String, record: Record, repair: Bool = false) {
        self.flow = flow
        self.record = record
        self.repair = repair
    }

    public init(line: [UInt8]) throws {
        guard case .object(let o) = try CanonicalJSON.decode(line),
            case .string(let flow)? = o["flow"], case .string(let entity)? = o["entity"],
            case .list(let key)? = o["key"], case .string(let version)? = o["version"],
            case .string(let op)? = o["op"], let operation = Record.Operation(rawValue: op),
            case .object(let fields)? = o["fields"]
        else {
            throw FerryError(.bundleRecord, "a record line is not a Ferry record envelope",
                hint: "sender and receiver run incompatible Ferry versions")
        }
        self.flow = flow
        // Binary values and document references travel as tagged objects (CanonicalJSON).
        self.record = Record(entity: entity, key: key.compactMap(\.text), version: version, operation: operation,
            fields: fields.mapValues(CanonicalJSON.untagged))
        self.repair = o["repair"] == .bool(true)
    }
}
