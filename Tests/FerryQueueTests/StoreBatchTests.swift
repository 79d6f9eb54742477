import Foundation
import Testing
import FerryTestSupport
import FerryQueue

/// Rows written and read many to a statement mean what they meant one to a statement:
/// the same rows, in the same order, with a key that comes twice weighed in order; and a
/// connection only ever sees a few shapes of each statement.
@Suite struct StoreBatchTests {
    @Test func everyBatchIsCutIntoAFewShapesThatAddUpToIt() {
        #expect(StoreBatch.widths(0) == [])
        #expect(StoreBatch.widths(1) == [1])
        #expect(StoreBatch.widths(64) == [64])
        #expect(StoreBatch.widths(127) == [64, 32, 16, 8, 4, 2, 1])
        var shapes = Set<Int>()
        for count in 0...1_000 {
            let widths = StoreBatch.widths(count)
            #expect(widths.reduce(0, +) == count)
            #expect(widths.count <= count / StoreBatch.widest + 6)
            shapes.formUnion(widths)
        }
        #expect(shapes == [1, 2, 4, 8, 16, 32, 64], "seven shapes, whatever the batch")
    }

    /// 150 records staged at once come back in that order; a batch of outcomes with details
    /// that differ (none, empty, text) settles each record as its own; and a key applied
    /// three times in one batch ends at the newest version, as if applied one by one.
    @Test(arguments: StoreKind.allCases) func batchedInboxWritesMeanWhatOneByOneMeant(_ kind: StoreKind) throws {
        let store = try kind.fresh("store-batch").open()
        let staged = (0..<150).map { index in
            Inbox.Staged(bundle: "b1", flow: "f", entity: "E", key: "K\(149 - index)", version: "1", line: Array("line \(index)".utf8))
        }
        try store.write { tx in
            try tx.ledger.accept(id: "b1", lane: "a→b", sequence: 1, kind: .records, sender: "a", contentHash: "h", records: 150)
            try tx.inbox.stage(staged)
        }
        let pending = try store.read { tx in try tx.inbox.pending(limit: 1_000, now: "9999") }
        #expect(pending.map(\.key) == staged.map(\.key), "staging order is apply order")
        #expect(pending.map(\.line) == staged.map(\.line))

        let details: [String?] = [nil, "", "refused: field 证件号码 is empty"]
        try store.write { tx in
            try tx.inbox.settle(pending.enumerated().map { index, item in
                (item.id, index % 2 == 0 ? .applied : .rejected, details[index % 3])
            })
            try tx.inbox.recordApplied([("K1", "2"), ("K2", "5"), ("K1", "1"), ("K2", "4"), ("K1", "3")].map { key, version in
                Inbox.AppliedRow(target: "t", entity: "E", key: key, version: version, digest: nil, lane: nil, sequence: nil, position: nil)
            })
        }
        let outcomes = try store.read { tx in try tx.inbox.outcomes(bundle: "b1") }
        #expect(outcomes.count == 150)
        for (index, outcome) in outcomes.enumerated() {
            #expect(outcome.outcome == (index % 2 == 0 ? "applied" : "rejected") && outcome.detail == details[index % 3], "record \(index)")
        }
        let applied = try store.read { tx in try tx.inbox.applied(target: "t", entity: "E", keys: ["K2", "K9", "K1", "K2"]) }
        #expect(applied.map { $0?.version } == ["5", nil, "3", "5"], "the newest version of each key, asked for in any order")
    }
}
