import Foundation
import GRDB
import Logging
import Testing
import FerryCore
import FerryQueue
@testable import FerryNode
@testable import FerryOps
@testable import FerryBench

/// The demo's own case: approvals stamped (SPSJ, whole seconds) in the very second the
/// last sync of `approvals-to-passport` ended at, on rows with lower rowids, all arrive.
@Suite struct RealWorldDemoSameSecondTests {
    @Test func approvalsStampedInTheSecondASyncEndedAtAllArrive() throws {
        let demo = FerryBench.Demo(options: .init(directory: DemoTests.temporary("same-second"), records: 30), logger: Logger(label: "test"))
        try demo.prepareDirectory()
        let deployment = try Deployment.load(demo.options.directory.appendingPathComponent("ferry.yaml").path)
        try demo.seedSystems(deployment.topology)
        let extranet = try Node(deployment: deployment, name: "extranet-gw", logger: demo.logger)
        let jinhong = try Node(deployment: deployment, name: "jinhong-gw", logger: demo.logger)
        let passport = try Node(deployment: deployment, name: "passport-gw", logger: demo.logger)
        _ = try demo.hop("applications-to-jinhong", from: extranet, to: jinhong)

        // Officers approve every application but rows 21–25, all in one second.
        let approval = try demo.systemDatabase("approval", deployment.topology)
        let stamp = "20261201090000"
        try approval.execute("UPDATE sqsp SET SPZT = '03', SPSJ = ? WHERE rowid NOT BETWEEN 21 AND 25", arguments: [stamp])
        let first = try demo.hop("approvals-to-passport", from: jinhong, to: passport)
        #expect(first.pulled == 25 && first.applied == 25, "rows 21–25 have no approval time yet and stay: \(first)")
        let cursor = try jinhong.store.read { tx in try tx.cursors.get(flow: "approvals-to-passport") }
        #expect(cursor?.contains(stamp) == true && cursor?.contains("\"rowid\":30") == true, "the sync ended at rowid 30: \(cursor ?? "nil")")

        // Rows 21–25 are approved later in that same second.
        try approval.execute("UPDATE sqsp SET SPZT = '03', SPSJ = ? WHERE rowid BETWEEN 21 AND 25", arguments: [stamp])
        let second = try demo.hop("approvals-to-passport", from: jinhong, to: passport)
        #expect(second.applied == 5, "the five late approvals cross; the 25 already sent are not sent again")
        let issuance = try demo.systemDatabase("issuance", deployment.topology)
        let orders = try issuance.text("SELECT count(*) FROM travel_orders")
        #expect(orders == "30")
    }
}
