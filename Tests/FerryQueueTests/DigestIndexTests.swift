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

    /// A store made before v2 kept a row a range: reopened, it runs the migration, which
    /// folds them into rows of 256 without losing a sum, and `--indexed` answers as before.
    @Test(arguments: StoreKind.allCases) func aStoreMadeBeforeV2KeepsEverySumThroughTheMigration(_ kind: StoreKind) throws {
        let place = try kind.fresh("digest-index-v1")
        var random = SplitMix64(seed: 9)
        var leaves = ["E": Array(repeating: RangeSum(), count: DigestIndex.ranges), "F": Array(repeating: RangeSum(), count: DigestIndex.ranges)]
        try place.open().write { tx in
            // Back to v1: its table, and no record of v2 having run.
            try tx.db.executeScript(tx.db.dialect.render("""
                DROP TABLE reconcile_sums;
                CREATE TABLE reconcile_ranges (system TEXT NOT NULL, entity TEXT NOT NULL, range INTEGER NOT NULL,
                    sum BLOB NOT NULL, changed_at TEXT NOT NULL, PRIMARY KEY (system, entity, range)) WITHOUT ROWID;
                """))
            try tx.db.execute(sql: "DELETE FROM \(kind == .sqlite ? "grdb_migrations" : "ferry_migrations") WHERE identifier = 'reconcile-index-v2'")
            // Ranges scattered over every part, the first and last among them, in two entities.
            for range in Set((0..<600).map { _ in random.below(DigestIndex.ranges) } + [0, DigestIndex.ranges - 1]) {
                for entity in ["E", "F"] {
                    var sum = RangeSum()
                    for _ in 0...random.below(3) { sum.add(random.bytes(32)) }
                    leaves[entity]![range] = sum
                    try tx.db.execute(sql: "INSERT INTO reconcile_ranges VALUES (?, ?, ?, ?, ?)",
                        arguments: ["s", entity, range, sum.bytes, "2026-12-01T00:00:00Z"])
                }
            }
        }
        let store = try place.open()
        for entity in ["E", "F"] {
            let kept = try store.read { tx in try tx.digestIndex.copy(system: "s", entity: entity, sketchWidth: nil) }
            #expect(kept.tree == DigestTree(fanOut: 16, depth: 3, leaves: leaves[entity]!), "every sum of entity \(entity) is where it was")
        }
        #expect(try store.count("SELECT COUNT(*) FROM reconcile_sums WHERE entity = 'E'") == 16, "rows of 256 ranges")
    }

    /// A row of sums that cannot be read (cut short by hand, say) does not stop the pulls
    /// and applies that keep the index: they go on, and `--indexed` is refused until a full
    /// read rewrites it.
    @Test(arguments: StoreKind.allCases) func anUnreadableRowOfSumsMarksTheIndexIncompleteAndNeverStopsARecord(_ kind: StoreKind) throws {
        let store = try kind.fresh("digest-index-cut").open()
        var random = SplitMix64(seed: 3)
        let key = random.bytes(16)
        let part = DigestTree(fanOut: 16, depth: 3).leaf(of: key) / 256
        try store.write { tx in
            try tx.db.execute(sql: "INSERT INTO reconcile_sums(system, entity, part, sums, changed_at) VALUES ('s', 'E', ?, ?, 'x')",
                arguments: [part, [UInt8](repeating: 1, count: 100)])
            try tx.db.execute(sql: "INSERT INTO reconcile_index_state(system, entity, complete_at) VALUES ('s', 'E', 'x')")
        }
        #expect(throws: FerryError.self) { try store.read { tx in try tx.digestIndex.copy(system: "s", entity: "E", sketchWidth: nil) } }
        try store.write { tx in try tx.digestIndex.record(system: "s", entity: "E", [DigestIndex.Change(key: key, digest: random.bytes(32))]) }
        #expect(try !store.read { tx in try tx.digestIndex.isComplete(system: "s", entity: "E") }, "--indexed is refused until a full read")
        #expect(try store.read { tx in try tx.digestIndex.copy(system: "s", entity: "E", sketchWidth: nil).records } == 1)
    }
}
