import FerryCore

/// How a canonical record travels inside a bundle: one canonical-JSON line carrying the
/// flow it belongs to, so the receiving node knows which of its systems to apply it to.
struct RecordEnvelope {
    var flow: String
    var record: Record

    var line: [UInt8] {
        CanonicalJSON.encode(.object([
            "flow": .string(flow),
            "entity": .string(record.entity),
            "key": .list(record.key.map(Value.string)),
            "version": .string(record.version),
            "op": .string(record.operation.rawValue),
            "fields": .object(record.fields),
        ]))
    }

    init(flow: String, record: Record) {
        self.flow = flow
        self.record = record
    }

    init(line: [UInt8]) throws {
        guard case .object(let o) = try CanonicalJSON.decode(line),
            case .string(let flow)? = o["flow"], case .string(let entity)? = o["entity"],
            case .list(let key)? = o["key"], case .string(let version)? = o["version"],
            case .string(let op)? = o["op"], let operation = Record.Operation(rawValue: op),
            case .object(let fields)? = o["fields"]
        else {
            throw FerryError("bundle.record", "a record line is not a Ferry record envelope",
                hint: "sender and receiver run incompatible Ferry versions")
        }
        self.flow = flow
        self.record = Record(entity: entity, key: key.compactMap(\.text), version: version, operation: operation, fields: fields)
    }
}
