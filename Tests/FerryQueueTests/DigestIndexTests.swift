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
        // More keys than a fold takes at a time (4,096).
        let keys = (0..<5_000).map { _ in random.bytes(16) }
        for round in 0..<6 {
            var batch: [DigestIndex.Change] = []
            for index in 0..<(round == 0 ? keys.count : 700) {
                let key = round == 0 ? keys[index] : keys[random.below(keys.count)]
                // Round 0 writes every key once. Later rounds delete a quarter, and often
                // change a key twice in one batch.
                let digest: [UInt8]? = round > 0 && random.below(4) == 0 ? nil : random.bytes(32)
                batch.append(DigestIndex.Change(key: key, digest: digest))
                copy[key] = digest
            }
            // Folded after rounds 0 and 3; rounds 4 and 5 stay in the log.
            try store.write { tx in try tx.digestIndex.record(system: "s", entity: "E", batch, foldAt: 2_000) }
        }
        var expected = DigestTree(fanOut: 16, depth: 3)
        for (key, digest) in copy { expected.add(key: key, digest: digest) }
        #expect(try store.count("SELECT COUNT(*) FROM reconcile_index_log") == 2, "two batches logged since the last fold")
        try expectIndex(of: store, holds: copy, tree: expected, "with changes logged")
        try store.write { tx in try tx.digestIndex.fold(system: "s", entity: "E") }
        #expect(try store.count("SELECT COUNT(*) FROM reconcile_index_log") == 0)
        try expectIndex(of: store, holds: copy, tree: expected, "folded")
        #expect(try store.count("SELECT COUNT(*) FROM reconcile_index") == copy.count)
    }

    /// What a reconcile `--indexed` reads: the range sums and every pair, once each.
    private func expectIndex(of store: NodeStore, holds copy: [[UInt8]: [UInt8]], tree: DigestTree, _ when: String,
        sourceLocation: Testing.SourceLocation = #_sourceLocation) throws {
        let kept = try store.read { tx in try tx.digestIndex.copy(system: "s", entity: "E", sketchWidth: nil) }
        #expect(kept.tree == tree, "the kept sums equal a fresh tree, \(when)", sourceLocation: sourceLocation)
        #expect(kept.records == copy.count && copy.count > 1_000, sourceLocation: sourceLocation)
        var pairs: [[UInt8]: [UInt8]] = [:]
        var repeated = 0
        try store.read { tx in
            try tx.digestIndex.forEachPair(system: "s", entity: "E") { pair in
                if pairs.updateValue(pair.digest, forKey: pair.key) != nil { repeated += 1 }
            }
        }
        #expect(pairs == copy && repeated == 0, "every pair once, \(when)", sourceLocation: sourceLocation)
    }

    /// A full read rewrites the index from what it read: changes logged before it began are
    /// dropped with the old index; changes logged while it read are newer than what it saw
    /// of their rows, and stand.
    @Test(arguments: StoreKind.allCases) func aFullReadDropsOlderLoggedChangesAndKeepsThoseMadeWhileItRead(_ kind: StoreKind) throws {
        let store = try kind.fresh("digest-index-rebuild").open()
        var random = SplitMix64(seed: 11)
        let (early, read, during) = (random.bytes(16), random.bytes(16), random.bytes(16))
        let (readDigest, changedDigest) = (random.bytes(32), random.bytes(32))
        try store.write { tx in try tx.digestIndex.record(system: "s", entity: "E", [DigestIndex.Change(key: early, digest: random.bytes(32))]) }
        var rebuild = DigestIndex.Rebuild(system: "s", entity: "E")
        try rebuild.start(store)
        try rebuild.add(DigestPair(key: read, digest: readDigest), store: store)
        try rebuild.add(DigestPair(key: during, digest: random.bytes(32)), store: store)
        try store.write { tx in try tx.digestIndex.record(system: "s", entity: "E", [DigestIndex.Change(key: during, digest: changedDigest)]) }
        try rebuild.finish(store)
        var expected = DigestTree(fanOut: 16, depth: 3)
        expected.add(key: read, digest: readDigest)
        expected.add(key: during, digest: changedDigest)
        let kept = try store.read { tx in try tx.digestIndex.copy(system: "s", entity: "E", sketchWidth: nil) }
        #expect(kept.tree == expected && kept.records == 2)
        #expect(try store.count("SELECT COUNT(*) FROM reconcile_index_log") == 0)
        #expect(try store.read { tx in try tx.digestIndex.isComplete(system: "s", entity: "E") })
    }

    /// A logged batch that cannot be read (cut short by hand, say): reads of the index are
    /// refused with what to do, and the next fold drops it, keeps the batches around it and
    /// marks the index incomplete until a full read.
    @Test(arguments: StoreKind.allCases) func anUnreadableLoggedBatchIsRefusedByReadsAndMarksTheIndexIncomplete(_ kind: StoreKind) throws {
        let store = try kind.fresh("digest-index-log-cut").open()
        var random = SplitMix64(seed: 13)
        let (first, last) = (random.bytes(16), random.bytes(16))
        try store.write { tx in
            try tx.db.execute(sql: "INSERT INTO reconcile_index_state(system, entity, complete_at) VALUES ('s', 'E', 'x')")
            try tx.digestIndex.record(system: "s", entity: "E", [DigestIndex.Change(key: first, digest: random.bytes(32))])
            try tx.db.execute(sql: "INSERT INTO reconcile_index_log(system, entity, entries, batch) VALUES ('s', 'E', 1, ?)",
                arguments: [Array(DigestIndex.ChangeBatch.encode([DigestIndex.Change(key: random.bytes(16), digest: random.bytes(32))]).dropLast(3))])
            try tx.digestIndex.record(system: "s", entity: "E", [DigestIndex.Change(key: last, digest: random.bytes(32))])
        }
        let refusal = #expect(throws: FerryError.self) { try store.read { tx in try tx.digestIndex.copy(system: "s", entity: "E", sketchWidth: nil) } }
        #expect(refusal?.message.contains("cannot be read") == true && refusal?.hint?.contains("without --indexed") == true)
        try store.write { tx in try tx.digestIndex.fold(system: "s", entity: "E") }
        #expect(try !store.read { tx in try tx.digestIndex.isComplete(system: "s", entity: "E") }, "--indexed is refused until a full read")
        var keys: Set<[UInt8]> = []
        try store.read { tx in try tx.digestIndex.forEachPair(system: "s", entity: "E") { keys.insert($0.key) } }
        #expect(keys == [first, last])
    }

    /// The log's encoding, without a store: every change comes back in order, deletions as
    /// deletions, and bytes that are not a whole batch are told apart.
    @Test func aBatchOfChangesReadsBackAsWrittenAndACutOneDoesNot() {
        var random = SplitMix64(seed: 17)
        let changes = (0..<50).map { index in
            DigestIndex.Change(key: random.bytes(index == 7 ? 0 : 16), digest: index % 3 == 0 ? nil : random.bytes(index == 8 ? 0 : 32))
        }
        let bytes = DigestIndex.ChangeBatch.encode(changes)
        let decoded = DigestIndex.ChangeBatch.decode(bytes)
        #expect(decoded?.map(\.key) == changes.map(\.key) && decoded?.map(\.digest) == changes.map(\.digest))
        #expect(DigestIndex.ChangeBatch.decode([])?.isEmpty == true)
        for cut in [1, 2, 17, bytes.count - 1] {
            #expect(DigestIndex.ChangeBatch.decode(Array(bytes.prefix(cut))) == nil, "cut after \(cut) bytes")
        }
        #expect(DigestIndex.ChangeBatch.decode([0xFF, 0xFF]) == nil, "a deleted key")
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
    /// and applies that keep the index: the fold that takes their changes in goes on, and `--indexed` is refused until a full
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
        try store.write { tx in try tx.digestIndex.record(system: "s", entity: "E", [DigestIndex.Change(key: key, digest: random.bytes(32))], foldAt: 1) }
        #expect(try !store.read { tx in try tx.digestIndex.isComplete(system: "s", entity: "E") }, "--indexed is refused until a full read")
        #expect(try store.read { tx in try tx.digestIndex.copy(system: "s", entity: "E", sketchWidth: nil).records } == 1)
    }
}
