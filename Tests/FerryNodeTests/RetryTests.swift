import Foundation
import GRDB
import Logging
import Testing
@testable import FerryBench
import FerryTestSupport
import FerryCore
import FerryAudit
import FerryQueue
@testable import FerryNode
@testable import FerryOps

/// A sink that fails is retried with backoff, then dead-lettered; an operator re-drives it.
@Suite struct RetryTests {
    @Test func backoffDoublesUpToTheCap() {
        var policy = RetryPolicy()
        policy.base = 5
        policy.cap = 60
        #expect(policy.delay(after: 1, jitter: 0) == 5)
        #expect(policy.delay(after: 3, jitter: 0) == 20)
        #expect(policy.delay(after: 30, jitter: 0) == 60)
        #expect(policy.delay(after: 1, jitter: 0.2) == 6)
    }

    @Test(arguments: StoreKind.allCases) func aFailingSinkIsRetriedThenDeadLetteredThenRedriven(_ kind: StoreKind) throws {
        let directory = DemoTests.temporary("retry")
        _ = try Scaffold.create(in: directory)
        let config = directory.appendingPathComponent("ferry.yaml")
        if kind == .postgres { try NodeStores.usePostgres(try StoreKind.postgresURL("retry"), in: config) }
        try Data((try String(contentsOf: config, encoding: .utf8) + "\nretry: { attempts: 3, base_seconds: 1, cap_seconds: 60 }\n").utf8)
            .write(to: config)
        let deployment = try Deployment.load(config.path)
        let extranet = try Node(deployment: deployment, name: "extranet-gw", logger: Logger(label: "test"))
        let jinhong = try Node(deployment: deployment, name: "jinhong-gw", logger: Logger(label: "test"))
        try DemoTests.seedPortal(directory, count: 10, seed: 11)
        let approval = try DatabaseQueue(path: directory.appendingPathComponent("data/approval.db").path)
        _ = try extranet.sync(flow: "applications-in")
        try approval.write { db in try db.execute(sql: "ALTER TABLE sqsp RENAME TO sqsp_moved") }

        let start = Date()
        let first = try jinhong.receive(now: start)
        #expect(first.postponed == 10)
        #expect(first.applied == 0)
        #expect(first.receiptsSent.isEmpty, "no receipt while records wait")
        #expect(try jinhong.receive(now: start).postponed == 0, "nothing is retried before its backoff")
        #expect(try jinhong.receive(now: start.addingTimeInterval(30)).postponed == 10)
        let last = try jinhong.receive(now: start.addingTimeInterval(300))
        #expect(last.deadLettered == 10)

        let letters = try QueueTools.deadLetters(try QueueTools.Target(config: config.path, node: "jinhong-gw"))
        #expect(letters.count == 10)
        #expect(letters.allSatisfy { $0.stage == "apply" && $0.attempts == 3 && $0.reason.contains("does not exist") })
        #expect(try jinhong.store.read { tx in try tx.queueStatus() }.deadLetters == 10)

        try approval.write { db in try db.execute(sql: "ALTER TABLE sqsp_moved RENAME TO sqsp") }
        #expect(try QueueTools.settleDeadLetters(.redrive, try QueueTools.Target(config: config.path, node: "jinhong-gw"), id: nil, actor: "operator-wang") == 10)
        let redriven = try jinhong.receive(now: start.addingTimeInterval(400))
        #expect(redriven.applied == 10)
        #expect(redriven.receiptsSent.count == 1)
        #expect(try approval.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM sqsp") } == 10)
        let kinds = try jinhong.store.read { tx in try AuditLog.entries(tx).map(\.event.kind.rawValue) }
        #expect(kinds.filter { $0 == "dead-lettered" }.count == 10)
        #expect(kinds.contains("re-driven"))
        #expect(try jinhong.verifyAudit().entries == kinds.count)
    }
}
