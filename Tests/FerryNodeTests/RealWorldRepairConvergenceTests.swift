import Foundation
import GRDB
import Testing
import FerryCore
@testable import FerryNode
@testable import FerryOps

/// A repair must converge: a row changed under the version it already had (a same-second
/// edit, a hand fix) is rewritten by the repair, and the next reconcile finds nothing.
@Suite(.serialized) struct RealWorldRepairConvergenceTests {
    @Test func aRepairOfASameVersionChangeConvergesInOneRun() throws {
        let (directory, config, _) = try AuditLogTests.demo()
        let approval = try DatabaseQueue(path: directory.appendingPathComponent("data/approval.db").path)
        let changed = try approval.write { db -> String in
            let key = try #require(try String.fetchOne(db, sql: "SELECT SQBH FROM hzzt ORDER BY SQBH LIMIT 1 OFFSET 3"))
            // The status flips; the version column GXSJ keeps its value.
            try db.execute(sql: "UPDATE hzzt SET ZT = CASE ZT WHEN '1' THEN '2' ELSE '1' END WHERE SQBH = ?", arguments: [key])
            return key
        }
        let passport = try ReconcileAcrossGapTests.node(config, "passport-gw")
        let jinhong = try ReconcileAcrossGapTests.node(config, "jinhong-gw")
        func reconcile() throws -> ReconcileTools.Report {
            _ = try passport.openReconcile(flow: "status-to-jinhong", actor: "test")
            _ = try jinhong.receive()
            _ = try passport.receive()
            return try #require(try passport.reconcileReports(flow: "status-to-jinhong").first)
        }
        let report = try reconcile()
        #expect(report.changed.map(\.key) == [changed], "\(report.changed)")
        let repair = try passport.applyRepair(flow: "status-to-jinhong", actor: "test")
        #expect(repair.enqueued == 1)
        _ = try passport.pack(flush: true)
        #expect(try jinhong.receive().applied == 1)
        _ = try passport.receive()
        let again = try reconcile()
        #expect(again.run != report.run)
        #expect(again.changed.isEmpty && again.onlyLeft.isEmpty, "the repair converged: \(again.changed)")
    }
}
