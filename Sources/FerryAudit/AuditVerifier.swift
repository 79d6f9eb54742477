public import FerryQueue
import Foundation
import FerryCore
public import FerrySeal

/// Checks a node's audit log with public keys only: the hash chain, each batch event's
/// record index against its Merkle root, and every signed checkpoint. The first problem
/// is reported with the sequence number of the first bad entry.
public enum AuditVerifier {
    public struct Verification: Sendable {
        public var entries: Int
        public var lastHash: String
        public var chain: String
        public var checkpoints: Int
        /// The newest signed entry; entries after it are chained but not yet signed.
        public var lastCheckpoint: Int64?
        public var indexedRecords: Int
    }

    public static func verify(_ tx: StoreTransaction, node: String, keys: [PublicKey]) throws -> Verification {
        let db = tx.db
        let chain = try db.value(String.self, sql: "SELECT value FROM audit_meta WHERE name = 'chain'") ?? "sha256"
        guard let algorithm = Hasher.Algorithm(rawValue: chain) else {
            throw broken(node, 1, "the log names an unknown hash algorithm '\(chain)'", hint: "the audit_meta table was altered")
        }
        var previous = AuditLog.genesis
        var expected: Int64 = 1
        var verification = Verification(entries: 0, lastHash: previous, chain: chain, checkpoints: 0, lastCheckpoint: nil, indexedRecords: 0)
        try db.forEachRow(sql: "SELECT * FROM audit ORDER BY seq", arguments: []) { row in
            let entry = try AuditLog.entry(row)
            guard entry.sequence == expected else {
                throw broken(node, expected, "entry \(expected) is missing: the log goes on at entry \(entry.sequence)",
                    hint: "entries were deleted from the audit log")
            }
            guard entry.previousHash == previous else {
                throw broken(node, entry.sequence, "entry \(entry.sequence) (\(entry.event.kind.rawValue)) does not chain to entry \(entry.sequence - 1)",
                    hint: "an entry was deleted, inserted or moved just before \(entry.sequence)")
            }
            guard try AuditLog.hash(entry, algorithm) == entry.hash else {
                throw broken(node, entry.sequence, "entry \(entry.sequence) (\(entry.event.kind.rawValue)) was altered: its hash does not match its content",
                    hint: "compare it with an exported copy of the log")
            }
            if case .string(let root)? = entry.event.details["records_root"] {
                let leaves = try leaves(tx, sequence: entry.sequence)
                guard hex(MerkleTree.root(leafHashes: leaves.map(\.merkleLeaf))) == root,
                    entry.event.details["keys_digest"]?.text == AuditLog.keysDigest(leaves)
                else {
                    throw broken(node, entry.sequence, "the record index of entry \(entry.sequence) does not match its records_root",
                        hint: "rows of audit_records were altered, added or removed")
                }
                guard (row["key_filter"] as [UInt8]?) == KeyFilter.make(keys: leaves.map(\.key)) else {
                    throw broken(node, entry.sequence, "the key filter of entry \(entry.sequence) does not match its record index",
                        hint: "the key_filter column was altered, which would hide records from searches")
                }
                verification.indexedRecords += leaves.count
            }
            previous = entry.hash
            expected += 1
            verification.entries += 1
        }
        verification.lastHash = previous
        let last = expected - 1

        let checkpoints = try db.rows(sql: "SELECT * FROM audit_checkpoints ORDER BY seq")
        for checkpoint in checkpoints {
            let sequence: Int64 = checkpoint["seq"]
            let head: String = checkpoint["head"]
            let keyID: String = checkpoint["key_id"]
            guard sequence <= last else {
                throw broken(node, last + 1,
                    "the log ends at entry \(last), but a checkpoint signed entry \(sequence): entries \(last + 1)…\(sequence) were cut off",
                    hint: "the log was truncated; restore it from a backup or an export")
            }
            guard let key = keys.first(where: { $0.keyID == keyID && $0.node == node }) else {
                throw broken(node, sequence, "the checkpoint at entry \(sequence) is signed by key \(keyID), which is not a key of \(node) in the trust list",
                    hint: "add the node's .pub files under trust:, or the checkpoint is forged")
            }
            let signature = unhex(checkpoint["signature"] as String) ?? []
            let statement = AuditLog.checkpointStatement(node: node, sequence: sequence, head: head, at: checkpoint["at"], chain: chain)
            guard key.verify(signature: signature, of: statement) else {
                throw broken(node, sequence, "the checkpoint at entry \(sequence) has a bad signature", hint: "the checkpoint was forged or altered")
            }
            guard try db.value(String.self, sql: "SELECT hash FROM audit WHERE seq = ?", arguments: [sequence]) == head else {
                throw broken(node, sequence, "entry \(sequence) is not the entry its signed checkpoint covers",
                    hint: "the log was rewritten after it was signed")
            }
            verification.checkpoints += 1
            verification.lastCheckpoint = sequence
        }
        return verification
    }

    /// The index rows of one batch entry, in leaf order.
    public static func leaves(_ tx: StoreTransaction, sequence: Int64) throws -> [AuditLeaf] {
        let db = tx.db
        guard let row = try db.row(sql: "SELECT keys, hashes, tags FROM audit_records WHERE seq = ?", arguments: [sequence]) else {
            return []
        }
        let keys = row["keys"] as [UInt8]
        let hashes = row["hashes"] as [UInt8]
        let tags = (row["tags"] as String?)?.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        let count = min(keys.count / 16, hashes.count / 32)
        // A packing that does not divide evenly, or tags of another count, yields leaves that
        // cannot match the root: verification then names the entry.
        guard keys.count == count * 16, hashes.count == count * 32, tags == nil || tags?.count == count else {
            return [AuditLeaf(key: [], hash: [])]
        }
        var leaves: [AuditLeaf] = []
        leaves.reserveCapacity(count)
        for index in 0..<count {
            let key = Array(keys[(index * 16)..<(index * 16 + 16)])
            let hash = Array(hashes[(index * 32)..<(index * 32 + 32)])
            let tag: String? = tags.flatMap { $0[index].isEmpty ? nil : $0[index] }
            leaves.append(AuditLeaf(key: key, hash: hash, tag: tag))
        }
        return leaves
    }

    static func broken(_ node: String, _ sequence: Int64, _ message: String, hint: String) -> FerryError {
        FerryError(.auditBroken, message, at: .record(source: "audit log of \(node)", key: "entry \(sequence)"), hint: hint)
    }
}
