import Foundation
import Testing
import FerryTestSupport
import FerryCore
import FerryQueue
import FerryAudit
import FerryReconcile

/// The digest index kept at pull and apply time holds exactly the pairs of the copy, and
/// its range sums equal a tree built from scratch over them, however the changes came
/// (batches, repeats of a key within a batch, updates, deletes).
@Suite struct DigestIndexTests {
    @Test(arguments: StoreKind.allCases) func batchedChangesLeaveTheSameSumsAsARebuild(_ kind: StoreKind) throws {
        let store = try kind.fresh("digest-index").open()
        var random = SplitMix64(seed: 5)
        var copy: [[UInt8]: [UInt8]] = [:]
        let keys = (0..<3_000).map { _ in random.bytes(16) }
        for round in 0..<6 {
            var batch: [DigestIndex.Change] = []
            for _ in 0..<(round == 0 ? 3_000 : 700) {
                let key = keys[random.below(keys.count)]
                // A quarter deleted after the first round; repeats within a batch are common.
                let digest: [UInt8]? = round > 0 && random.below(4) == 0 ? nil : random.bytes(32)
                batch.append(DigestIndex.Change(key: key, digest: digest))
                copy[key] = digest
            }
            try store.write { tx in try tx.digestIndex.record(system: "s", entity: "E", batch) }
        }
        var expected = DigestTree(fanOut: 16, depth: 3)
        for (key, digest) in copy { expected.add(key: key, digest: digest) }
        let kept = try store.read { tx in try tx.digestIndex.copy(system: "s", entity: "E", sketchWidth: nil) }
        #expect(kept.tree == expected, "the kept sums equal a fresh tree")
        #expect(kept.records == copy.count && copy.count > 1_000)
        let rows = try store.count("SELECT COUNT(*) FROM reconcile_index")
        #expect(rows == copy.count)
    }

    /// A store made before v2 kept a row a range: the migration folds them into rows of 256
    /// without losing a sum, and `--indexed` answers from them as before.
    @Test(arguments: StoreKind.allCases) func rangeRowsOfV1AreFoldedIntoParts(_ kind: StoreKind) throws {
        let store = try kind.fresh("digest-index-v1").open()
        var random = SplitMix64(seed: 9)
        var leaves = Array(repeating: RangeSum(), count: DigestIndex.ranges)
        var other = Array(repeating: RangeSum(), count: DigestIndex.ranges)
        try store.write { tx in
            try tx.db.executeScript(tx.db.dialect.render("""
                CREATE TABLE reconcile_ranges (system TEXT NOT NULL, entity TEXT NOT NULL, range INTEGER NOT NULL,
                    sum BLOB NOT NULL, changed_at TEXT NOT NULL, PRIMARY KEY (system, entity, range)) WITHOUT ROWID
                """))
            // Ranges scattered over every part, the first and last among them, in two entities.
            for range in Set((0..<600).map { _ in random.below(DigestIndex.ranges) } + [0, DigestIndex.ranges - 1]) {
                for (entity, target) in [("E", 0), ("F", 1)] {
                    var sum = RangeSum()
                    for _ in 0...random.below(3) { sum.add(random.bytes(32)) }
                    if target == 0 { leaves[range] = sum } else { other[range] = sum }
                    try tx.db.execute(sql: "INSERT INTO reconcile_ranges VALUES (?, ?, ?, ?, ?)",
                        arguments: ["s", entity, range, sum.bytes, "2026-12-0\(1 + target)T00:00:00Z"])
                }
            }
            try DigestIndex.convertRangeRows(tx.db)
        }
        let (e, f) = try store.read { tx in
            (try tx.digestIndex.copy(system: "s", entity: "E", sketchWidth: nil), try tx.digestIndex.copy(system: "s", entity: "F", sketchWidth: nil))
        }
        #expect(e.tree == DigestTree(fanOut: 16, depth: 3, leaves: leaves), "every sum of entity E is where it was")
        #expect(f.tree == DigestTree(fanOut: 16, depth: 3, leaves: other), "entity F's sums stay its own")
        #expect(try store.count("SELECT COUNT(*) FROM reconcile_sums WHERE entity = 'E'") == 16, "rows of 256 ranges")
    }
}
