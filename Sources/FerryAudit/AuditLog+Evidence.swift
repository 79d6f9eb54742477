public import FerryCore
public import FerryQueue

extension AuditLog {
    /// This node's entries about an inbound bundle, for the receipt that goes back: the
    /// far side keeps them as proof of what happened here. Shape: `{node, bundle, entries:
    /// [{seq, kind, at, hash, records_root?, merkle_root?, outcomes?, targets?}],
    /// checkpoint?: {seq, chain, at, head, key_id, signature}}`, the checkpoint being the
    /// newest signed one.
    public func evidence(_ tx: StoreTransaction, forBundle bundle: String) throws -> [String: Value] {
        func summary(_ row: StoreRow) -> Value {
            var entry: [String: Value] = [:]
            entry["seq"] = .int(row["seq"] as Int64)
            for name in ["kind", "at", "hash"] { entry[name] = .string(row[name] as String) }
            if case .object(let details)? = try? CanonicalJSON.decode(Array((row["details"] as String).utf8)) {
                for name in ["records_root", "merkle_root", "outcomes", "targets"] { entry[name] = details[name] }
            }
            return .object(entry)
        }
        let entries = try tx.db.rows(sql: "SELECT * FROM audit WHERE bundle = ? AND kind IN ('received', 'applied') ORDER BY seq", arguments: [bundle])
        var evidence: [String: Value] = ["node": .string(node), "bundle": .string(bundle), "entries": .list(entries.map(summary))]
        if let checkpoint = try tx.db.row(sql: "SELECT * FROM audit_checkpoints ORDER BY seq DESC LIMIT 1") {
            var signed: [String: Value] = ["seq": .int(checkpoint["seq"] as Int64), "chain": .string(algorithm.rawValue)]
            for name in ["at", "head", "key_id", "signature"] { signed[name] = .string(checkpoint[name] as String) }
            evidence["checkpoint"] = .object(signed)
        }
        return evidence
    }
}
