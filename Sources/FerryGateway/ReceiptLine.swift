import FerryCore

/// One record's outcome inside a receipt bundle.
struct ReceiptLine {
    var bundle: String
    var key: String
    var version: String
    var outcome: String
    var detail: String?

    var line: [UInt8] {
        var object: [String: Value] = [
            "bundle": .string(bundle), "key": .string(key), "version": .string(version), "outcome": .string(outcome),
        ]
        if let detail { object["detail"] = .string(detail) }
        return CanonicalJSON.encode(.object(object))
    }

    init(bundle: String, key: String, version: String, outcome: String, detail: String?) {
        self.bundle = bundle
        self.key = key
        self.version = version
        self.outcome = outcome
        self.detail = detail
    }

    init(line: [UInt8]) throws {
        guard case .object(let o) = try CanonicalJSON.decode(line), case .string(let bundle)? = o["bundle"],
            case .string(let key)? = o["key"], case .string(let version)? = o["version"], case .string(let outcome)? = o["outcome"]
        else {
            throw FerryError("bundle.record", "a receipt line is malformed", hint: "sender and receiver run incompatible Ferry versions")
        }
        self.init(bundle: bundle, key: key, version: version, outcome: outcome, detail: o["detail"]?.text)
    }
}
