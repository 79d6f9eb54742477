import FerryCore
import FerrySeal

/// One record's outcome inside a receipt bundle.
struct ReceiptLine {
    var bundle: String
    var entity: String?
    var key: String
    var version: String
    var outcome: String
    var detail: String?

    var line: [UInt8] {
        var object: [String: Value] = [
            "bundle": .string(bundle), "key": .string(key), "version": .string(version), "outcome": .string(outcome),
        ]
        if let detail { object["detail"] = .string(detail) }
        if let entity { object["entity"] = .string(entity) }
        return CanonicalJSON.encode(.object(object))
    }

    init(bundle: String, entity: String?, key: String, version: String, outcome: String, detail: String?) {
        self.bundle = bundle
        self.entity = entity
        self.key = key
        self.version = version
        self.outcome = outcome
        self.detail = detail
    }

    init(line: [UInt8]) throws {
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
    static func evidenceLine(_ evidence: [String: Value]) -> [UInt8] {
        CanonicalJSON.encode(.object(["evidence": .object(evidence)]))
    }

    static func evidence(in line: [UInt8]) -> Value? {
        guard case .object(let o)? = try? CanonicalJSON.decode(line), let evidence = o["evidence"] else { return nil }
        return evidence
    }
}
