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
}
