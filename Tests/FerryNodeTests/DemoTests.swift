import Foundation
import GRDB
import Logging
import Testing
import FerryTestSupport
import FerryCore
import FerryAudit
import FerryQueue
@testable import FerryNode
@testable import FerryMapping
@testable import FerryOps
@testable import FerryBench

@Suite struct DemoTests {
    static func temporary(_ name: String) -> URL { TemporaryDirectory.url(name) }

    /// Fills a scaffolded deployment's portal with `count` generated applications.
    /// Adds `count` valid applications numbered from `from` to the demo portal.
    static func seedPortal(
        _ directory: URL, count: Int, seed: UInt64, from: Int = 0, base: Date = Date(timeIntervalSince1970: 1_795_000_000)
    ) throws {
        var data = DemoData(seed: seed)
        try DatabaseQueue(path: directory.appendingPathComponent("data/portal.db").path).write { db in
            for index in from..<from + count {
                let row = data.application(index: index, bad: false, base: base).row
                let columns = row.keys.sorted()
                try db.execute(
                    sql: "INSERT INTO applications(\(columns.joined(separator: ","))) VALUES (\(columns.map { _ in "?" }.joined(separator: ",")))",
                    arguments: StatementArguments(columns.map { row[$0] }))
            }
        }
    }

    /// One ID number per generated person: random birth dates and sequences used to give two
    /// people one number about 90 times in 200,000 applications.
    @Test func generatedApplicantsHaveOneIDNumberEach() {
        var data = DemoData(seed: 9)
        let base = Date(timeIntervalSince1970: 1_795_000_000)
        let ids = (0..<20_000).map { data.application(index: $0, bad: false, base: base).row["id_card"] ?? "" }
        #expect(Set(ids).count == ids.count)
        #expect(ids.allSatisfy { $0.count == 18 && Validators.check("cn_resident_id", $0) }, "every number is a valid GB 11643 number")
    }

    @Test func applicationNumbersStayValidPastAMillion() {
        // The entity checks ^WB[0-9]{10}$: the millionth generated application used to get
        // an eleven-digit number and be quarantined, which stalled `bench e2e --records 1000000`.
        let indices = [0, 1, 999_998, 999_999, 1_000_000, 4_999_999]
        let numbers = indices.map(DemoData.applicationNumber)
        #expect(numbers[0] == "WB2026000001" && numbers[3] == "WB2027000000")
        for number in numbers {
            #expect(number.count == 12 && number.hasPrefix("WB") && number.dropFirst(2).allSatisfy(\.isASCII) && Int(number.dropFirst(2)) != nil, "\(number)")
        }
        #expect(Set(numbers).count == indices.count)
    }

    /// The demo's reconcile finds what its hops did not make: a status row edited on the
    /// portal behind Ferry's back after delivery is a difference.
    @Test func aSinkRowEditedAfterDeliveryIsAReconcileDifference() throws {
        var options = FerryBench.Demo.Options(directory: Self.temporary("demo-edited"), records: 30)
        options.badEvery = 0
        let demo = FerryBench.Demo(options: options, logger: Logger(label: "test"))
        #expect(try demo.run().mismatches == 0)
        let deployment = try Deployment.load(options.directory.appendingPathComponent("ferry.yaml").path)
        let nodes = try ["extranet-gw", "jinhong-gw", "passport-gw"].map { try Node(deployment: deployment, name: $0, logger: Logger(label: "test")) }
        let before = try demo.reconcile(deployment.topology, nodes: nodes, flows: ["status-to-extranet"])
        #expect(before.count == 1 && before[0].state == "done" && before[0].differences == 0 && before[0].matched == 30, "\(before)")
        let portal = try DatabaseQueue(path: options.directory.appendingPathComponent("data/portal.db").path)
        try portal.write { db in try db.execute(sql: "UPDATE progress SET passport_no = 'E00000000' WHERE rowid = 7") }
        let after = try demo.reconcile(deployment.topology, nodes: nodes, flows: ["status-to-extranet"])
        #expect(after.count == 1 && after[0].state == "done" && after[0].differences == 1 && after[0].matched == 29, "\(after)")
    }

    @Test func theThreeNetworkSyncDeliversEveryValidRecordAndAuditsIt() throws {
        var options = FerryBench.Demo.Options(directory: Self.temporary("demo"), records: 240)
        options.badEvery = 40
        let report = try FerryBench.Demo(options: options, logger: Logger(label: "test")).run()

        let travel = ["applications-to-jinhong", "approvals-to-passport", "status-to-jinhong", "status-to-extranet"]
        #expect(Array(report.hops.map(\.flow).prefix(4)) == travel)
        #expect(report.hops[0].pulled == 240)
        #expect(report.hops[0].quarantined == 6)
        for hop in report.hops.prefix(4) {
            #expect(hop.applied == 234, "\(hop.flow)")
            #expect(hop.rejected == 0)
            #expect(hop.bundles >= 1)
            #expect(hop.receipts == hop.bundles, "every bundle of \(hop.flow) was receipted")
        }
        #expect(report.mismatches == 0)
        for check in report.checks where travel.contains(check.flow) { #expect(check.matched == 234, "\(check.flow)") }
        // Every flow reconciled across its gap by record digests, with nothing different.
        #expect(Set(report.reconciles.map(\.flow)) == Set(report.hops.map(\.flow)))
        for run in report.reconciles where travel.contains(run.flow) {
            #expect(run.state == "done" && run.differences == 0 && run.matched == 234, "\(run)")
        }

        // Independently of the demo's own check: the approval system holds every valid
        // portal application, in its own dialect.
        let data = options.directory.appendingPathComponent("data")
        let portal = try DatabaseQueue(path: data.appendingPathComponent("portal.db").path)
        let approval = try DatabaseQueue(path: data.appendingPathComponent("approval.db").path)
        let sources = try portal.read { db in
            try Row.fetchAll(db, sql: "SELECT app_no, applicant_name, id_card, sex, depart_on FROM applications ORDER BY app_no")
        }
        let sinks = try approval.read { db in
            try Dictionary(uniqueKeysWithValues: Row.fetchAll(db, sql: "SELECT SQBH, XM, SFZH, XB, CJRQ FROM sqsp").map { ($0["SQBH"] as String, $0) })
        }
        var delivered = 0
        for row in sources {
            let id: String = row["app_no"]
            guard let copy = sinks[id] else { continue }
            delivered += 1
            #expect(copy["XM"] as String == row["applicant_name"] as String)
            #expect(copy["SFZH"] as String == row["id_card"] as String)
            #expect(copy["XB"] as String == ((row["sex"] as String) == "M" ? "1" : "2"))
            #expect(copy["CJRQ"] as String == (row["depart_on"] as String).replacingOccurrences(of: "-", with: ""))
        }
        #expect(delivered == 234)
        #expect(sinks.count == 234)

        // The six bad applications are visible in the extranet queue, with the rule that stopped
        // them and no ID number in clear.
        let ids = Set(sources.map { $0["id_card"] as String })
        let stopped = try QueueTools.list(
            try QueueTools.Target(config: options.directory.appendingPathComponent("ferry.yaml").path, node: "extranet-gw"), state: "quarantined", records: true
        ).quarantined
        #expect(stopped.count == 6)
        #expect(stopped.allSatisfy { $0.issues.contains("cn_resident_id") && $0.position != nil }, "\(stopped.map(\.issues))")
        #expect(stopped.allSatisfy { entry in !ids.contains { entry.issues.contains($0) } }, "an ID number in clear in quarantine")

        // Statuses made it all the way back to the extranet portal.
        let progress = try portal.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM progress WHERE status = 'ISSUED'") }
        #expect(progress == 234)

        // Every node's audit chain verifies and records each stage.
        #expect(report.audit.count == 3)
        for node in report.audit {
            let store = try NodeStore(path: URL(fileURLWithPath: node.store))
            let kinds = try store.read { tx in try Set(AuditLog.entries(tx).map(\.event.kind)) }
            #expect(try AuditTools.verify(try Deployment.load(options.directory.appendingPathComponent("ferry.yaml").path), node: node.node).entries == node.entries)
            #expect(kinds.isSuperset(of: [.sealed, .shipped, .received, .applied, .receipted, .delivered]), "\(node.node): \(kinds)")
        }
        let extranet = try NodeStore(path: options.directory.appendingPathComponent("state/extranet-gw.db"))
        let quarantined = try extranet.read { tx in try AuditLog.entries(tx, kind: .quarantined) }
        #expect(quarantined.count == 6)
        for entry in quarantined {
            #expect(entry.event.details["rules"] == .list(["cn_resident_id"]))
        }
        // No plaintext ID number anywhere in the audit log.
        let idNumbers = try portal.read { db in try String.fetchAll(db, sql: "SELECT id_card FROM applications") }
        let audit = try extranet.database.read { db in try String.fetchAll(db, sql: "SELECT details || coalesce(subject, '') FROM audit") }.joined()
        #expect(!idNumbers.contains { audit.contains($0) })

        // The demo's own check finds what a sink got wrong: one application altered, one
        // lost and one that no source holds.
        try approval.write { db in
            let keys = try String.fetchAll(db, sql: "SELECT SQBH FROM sqsp ORDER BY SQBH LIMIT 2")
            try db.execute(sql: "UPDATE sqsp SET XM = XM || '改' WHERE SQBH = ?", arguments: [keys[0]])
            try db.execute(sql: "DELETE FROM sqsp WHERE SQBH = ?", arguments: [keys[1]])
            try db.execute(sql: "INSERT INTO sqsp SELECT 'WB9999999999', XM, SFZH, XB, DWTYDM, QWGJ, CJRQ, HGRQ, CFSY, SPZT, SPSJ, GXSJ FROM sqsp WHERE SQBH = ?",
                arguments: [keys[0]])
        }
        let deployment = try Deployment.load(options.directory.appendingPathComponent("ferry.yaml").path)
        let flow = try #require(deployment.topology.flow(named: "applications-to-jinhong"))
        var checker = FlowCheck(deployment: deployment, scratch: Self.temporary("check").appendingPathComponent("check.db"))
        let check = try #require(try checker.compare(flow).first)
        #expect((check.sourceRecords, check.matched, check.different, check.missing, check.unexpected) == (234, 232, 1, 1, 1), "\(check)")
    }
}
