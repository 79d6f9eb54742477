public import FerryQueue
import Foundation

/// A Bloom filter of the record keys in one batch entry, stored with the entry. Finding a
/// record then scans the small filters, not an index ordered by key: such an index takes
/// its inserts at random pages, and every batch would rewrite thousands of them.
///
/// About 10 bits a key and 7 probes: roughly 1% false positives, which the exact lookup in
/// `audit_records` then drops. Key digests are uniform already, so the probes come from
/// their bytes by double hashing.
public enum KeyFilter {
    static let probes = 7

    public static func make(keys: [[UInt8]]) -> [UInt8] {
        var filter = [UInt8](repeating: 0, count: max(8, (keys.count * 10 + 7) / 8))
        for key in keys {
            for bit in positions(key, bits: filter.count * 8) { filter[bit >> 3] |= 1 << UInt8(bit & 7) }
        }
        return filter
    }

    public static func mayContain(_ filter: [UInt8], key: [UInt8]) -> Bool {
        guard !filter.isEmpty else { return false }
        return positions(key, bits: filter.count * 8).allSatisfy { filter[$0 >> 3] & (1 << UInt8($0 & 7)) != 0 }
    }

    static func positions(_ key: [UInt8], bits: Int) -> [Int] {
        func word(_ offset: Int) -> UInt64 {
            (0..<8).reduce(UInt64(0)) { $0 << 8 | UInt64(offset + $1 < key.count ? key[offset + $1] : 0) }
        }
        let (a, b) = (word(0), word(8) | 1)
        return (0..<probes).map { Int((a &+ UInt64($0) &* b) % UInt64(bits)) }
    }

    /// The (entry, leaf) places of the given 16-byte key digests, oldest first.
    public static func places(_ tx: StoreTransaction, keys: [[UInt8]]) throws -> [(sequence: Int64, leaf: Int)] {
        let db = tx.db
        var places: [(Int64, Int)] = []
        try db.forEachRow(sql: "SELECT seq, key_filter FROM audit WHERE key_filter IS NOT NULL ORDER BY seq", arguments: []) { row in
            let filter: [UInt8] = row["key_filter"]
            let sequence: Int64 = row["seq"]
            let wanted = keys.filter { mayContain(filter, key: $0) }
            guard !wanted.isEmpty, let all = try db.value([UInt8].self, sql: "SELECT keys FROM audit_records WHERE seq = ?", arguments: [sequence])
            else { return }
            for leaf in 0..<all.count / 16 where wanted.contains(where: { $0.elementsEqual(all[leaf * 16..<leaf * 16 + 16]) }) {
                places.append((sequence, leaf))
            }
        }
        return places
    }
}
