public import FerryCore

/// One record's outcome inside a `receipt` bundle (docs/bundle-format.md).
public struct ReceiptLine: Sendable {
    public var bundle: String
    public var entity: String?
    public var key: String
    public var version: String
    public var outcome: String
    public var detail: String?

    public var line: [UInt8] {
        var object: [String: Value] = [
            "bundle": .string(bundle), "key": .string(key), "version": .string(version), "outcome": .string(outcome),
        ]
        if let detail { object["detail"] = .string(detail) }
        if let entity { object["entity"] = .string(entity) }
        return CanonicalJSON.encode(.object(object))
    }

    public init(bundle: String, entity: String?, key: String, version: String, outcome: String, detail: String?) {
        self.bundle = bundle
        self.entity = entity
        self.key = key
        self.version = version
        self.outcome = outcome
        self.detail = detail
    }

    public init(line: [UInt8]) throws {
        guard case .object(let o) = try CanonicalJSON.decode(line), case .string(let bundle)? = o["bundle"],
            case .string(let key)? = o["key"], case .string(let version)? = o["version"], case .string(let outcome)? = o["outcome"]
        else {
            throw FerryError(.bundleRecord, "a receipt line is malformed", hint: "sender and receiver run incompatible Ferry versions")
        }
        self.init(bundle: bundle, entity: o["entity"]?.text, key: key, version: version, outcome: outcome, detail: o["detail"]?.text)
    }

    /// The far node's audit evidence for the bundle a receipt covers: which of its entries
    /// received and applied it, and its latest signed checkpoint. One such line per
    /// receipt, so the trace works from the sending side too.
    public static func evidenceLine(_ evidence: [String: Value]) -> [UInt8] {
        CanonicalJSON.encode(.object(["evidence": .object(evidence)]))
    }

    public static func evidence(in line: [UInt8]) -> Value? {
        guard case .object(let o)? = try? CanonicalJSON.decode(line), let evidence = o["evidence"] else { return nil }
        return evidence
    }
}
