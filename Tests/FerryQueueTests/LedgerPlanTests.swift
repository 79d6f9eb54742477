import Foundation
import Testing
import FerryTestSupport
@testable import FerryQueue

/// A node keeps every bundle it ever sent or received, and asks for the unfinished ones on
/// every pass: those statements must seek an index, or each pass costs in proportion to the
/// node's whole history. SQLite's own planner is asked, on a real migrated store.
@Suite struct LedgerPlanTests {
    @Test func everyPassLooksUpUnfinishedBundlesBySeekingAnIndex() throws {
        let store = try StoreKind.sqlite.fresh("ledger-plan").open()
        func plan(_ sql: String, _ arguments: StoreArguments) throws -> [String] {
            try store.read { tx in try tx.db.rows(sql: "EXPLAIN QUERY PLAN " + sql, arguments: arguments).map { $0["detail"] as String } }
        }
        let outbound = try plan(BundleLedger.inStateSQL, ["sealed"])
        #expect(outbound.contains { $0.hasPrefix("SEARCH bundles_out USING INDEX bundles_out_state (state=?)") }, "\(outbound)")
        let carousel = try plan(BundleLedger.carouselSQL, ["a→b", 3])
        #expect(carousel.contains { $0.hasPrefix("SEARCH bundles_out USING INDEX bundles_out_state (state=? AND lane=?)") }, "\(carousel)")
        let receipts = try plan(BundleLedger.awaitingReceiptSQL, [])
        #expect(receipts.contains { $0.hasPrefix("SCAN b USING INDEX bundles_in_unreceipted") }, "only bundles without a receipt are walked: \(receipts)")
        for steps in [outbound, carousel, receipts] {
            #expect(!steps.contains { $0.contains("TEMP B-TREE") }, "no sort of every match: \(steps)")
        }
    }
}
