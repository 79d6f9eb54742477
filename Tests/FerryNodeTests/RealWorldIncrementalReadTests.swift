import Foundation
import GRDB
import Testing
import FerryCore
@testable import FerryNode
@testable import FerryOps

/// Incremental reads that used to skip rows: a row stamped with the last cursor value after
/// a sync, a late commit carrying an older stamp, rows read again and sent once.
@Suite struct RealWorldIncrementalReadTests {
    /// How the scaffold reads the portal's applications.
    static let portal = "{ table: applications, cursor: updated_at, lookback: 5m }"

    /// The last cursor value the portal holds, and the row holding it.
    func newest(_ fixture: TwoZoneFixture) throws -> (stamp: String, appNo: String) {
        let row = try #require(try fixture.portal.read { db in
            try Row.fetchOne(db, sql: "SELECT updated_at, app_no FROM applications ORDER BY updated_at DESC, rowid DESC LIMIT 1")
        })
        return (row[0], row[1])
    }

    @Test func aRowStampedInTheSameSecondAfterASyncArrives() throws {
        let fixture = try TwoZoneFixture("tie")
        try DemoTests.seedPortal(fixture.directory, count: 9, seed: 5)
        #expect(try fixture.hop().receive.applied == 9)
        let last = try newest(fixture)
        // Rows with lower rowids are stamped with the very second the sync ended at.
        let earlier = try fixture.applicationNumbers().filter { $0 != last.appNo }.prefix(3)
        try fixture.portal.write { db in
            for number in earlier {
                try db.execute(sql: "UPDATE applications SET purpose = '同一秒内的更改', updated_at = ? WHERE app_no = ?", arguments: [last.stamp, number])
            }
        }
        let (sync, receive) = try fixture.hop()
        #expect(sync.enqueued == 3, "the three changed rows leave")
        #expect(sync.unchanged >= 1, "the row the last sync ended at is read again and recognised as sent")
        #expect(receive.applied == 3)
        let purposes = try fixture.approvalColumn("CFSY")
        for number in earlier { #expect(purposes[number] == "同一秒内的更改", "\(number)") }

        // Nothing changed since: the rows at the boundary are read again, none is sent.
        let quiet = try fixture.hop()
        #expect(quiet.sync.enqueued == 0 && quiet.sync.unchanged >= 1 && quiet.receive.applied == 0)
    }

    @Test func aLateCommitWithAnOlderStampArrivesWithinTheLookback() throws {
        // The scaffold reads the portal with a 5-minute look-back.
        let fixture = try TwoZoneFixture("late")
        try DemoTests.seedPortal(fixture.directory, count: 6, seed: 6)
        #expect(try fixture.hop().receive.applied == 6)
        let last = try newest(fixture)
        // A transaction that began two minutes before the sync commits after it.
        let stamp = try #require(CursorWindowShim.earlier(last.stamp, seconds: 120))
        try DemoTests.seedPortal(fixture.directory, count: 1, seed: 7, from: 100)
        let late = try #require(try fixture.portal.read { db in try String.fetchOne(db, sql: "SELECT app_no FROM applications ORDER BY rowid DESC LIMIT 1") })
        try fixture.portal.write { db in try db.execute(sql: "UPDATE applications SET updated_at = ? WHERE app_no = ?", arguments: [stamp, late]) }
        let (sync, receive) = try fixture.hop()
        #expect(sync.enqueued == 1 && receive.applied == 1)
        #expect(try fixture.approvalColumn("SQBH")[late] != nil, "the late row is at the target")
    }

    @Test func adaptersCheckWarnsOfWholeSecondStampsWithoutALookback() throws {
        let fixture = try TwoZoneFixture("resolution", edits: [
            ("ferry.yaml", Self.portal, "{ table: applications, cursor: updated_at }"),
        ])
        try DemoTests.seedPortal(fixture.directory, count: 2, seed: 8)
        let probes = try AdapterTools.check(try Deployment.load(fixture.config), node: "extranet-gw", system: "portal")
        let warnings = probes.first { $0.entity == "TravelApplication" }?.warnings ?? []
        #expect(warnings.contains { $0.contains("one-second") && $0.contains("lookback") }, "\(warnings)")

        let fixed = try TwoZoneFixture("resolution-fixed")
        try DemoTests.seedPortal(fixed.directory, count: 2, seed: 8)
        let after = try AdapterTools.check(try Deployment.load(fixed.config), node: "extranet-gw", system: "portal")
        #expect(after.first { $0.entity == "TravelApplication" }?.warnings.contains { $0.contains("one-second") } == false)
    }

    @Test func aLookbackThatIsNotATimeSpanOrRowCountIsRefusedWhereItIsWritten() throws {
        #expect(throws: FerryError.self) {
            _ = try TwoZoneFixture("lookback-typo", edits: [
                ("ferry.yaml", Self.portal, "{ table: applications, cursor: updated_at, lookback: 5 minutes }"),
            ]).extranet.sync(flow: "applications-in")
        }
    }

    @Test func resettingTheCheckpointSendsEveryRecordAgain() throws {
        let fixture = try TwoZoneFixture("reset")
        try DemoTests.seedPortal(fixture.directory, count: 4, seed: 9)
        #expect(try fixture.hop().sync.enqueued == 4)
        _ = try QueueTools.resetCheckpoint(try QueueTools.Target(config: fixture.config, node: "extranet-gw"), flow: "applications-in", to: nil, actor: "test")
        #expect(try fixture.extranet.sync(flow: "applications-in", flush: true).enqueued == 4,
            "an operator's reset asks for everything again; what was sent before does not hold it back")
    }

    @Test func aFlowSwitchedToChangeCaptureLosesNoChange() throws {
        let fixture = try TwoZoneFixture("switch-capture")
        try DemoTests.seedPortal(fixture.directory, count: 5, seed: 12)
        #expect(try fixture.hop().receive.applied == 5)
        // The engineer switches the flow to change capture; the old checkpoint stays.
        let config = fixture.directory.appendingPathComponent("ferry.yaml")
        let text = try String(contentsOf: config, encoding: .utf8)
        try Data(text.replacingOccurrences(of: Self.portal, with: "{ table: applications, cursor: changes }").utf8).write(to: config)
        _ = try AdapterTools.installCapture(try Deployment.load(fixture.config), node: "extranet-gw", system: "portal")
        let numbers = try fixture.applicationNumbers()
        try fixture.portal.write { db in
            try db.execute(sql: "DELETE FROM applications WHERE app_no = ?", arguments: [numbers[0]])
            try db.execute(sql: "UPDATE applications SET purpose = '改了', updated_at = '2027-01-01 08:00:00' WHERE app_no = ?", arguments: [numbers[1]])
        }
        try DemoTests.seedPortal(fixture.directory, count: 1, seed: 13, from: 50)
        let deployment = try Deployment.load(fixture.config)
        let extranet = try Node(deployment: deployment, name: "extranet-gw", logger: .init(label: "test"))
        let sync = try extranet.sync(flow: "applications-in", flush: true)
        _ = try extranet.sync(flow: "applications-in", flush: true)
        _ = try fixture.jinhong.receive()
        #expect(sync.enqueued >= 2, "\(sync)")
        let approval = try fixture.approvalColumn("CFSY")
        #expect(approval[numbers[0]] == nil, "the deletion travelled")
        #expect(approval[numbers[1]] == "改了", "the update travelled")
        #expect(approval.count == 5, "the new row travelled: \(approval.keys.sorted())")
    }

    @Test func aTargetAddedToAFlowGetsEveryRecord() throws {
        let fixture = try TwoZoneFixture("added-target")
        try DemoTests.seedPortal(fixture.directory, count: 4, seed: 14)
        #expect(try fixture.hop().receive.applied == 4)
        // A second approval system joins the flow.
        try TwoZoneFixture.addApprovalCopy("approval2", zone: "jinhong", targets: ["approval", "approval2"], in: fixture.directory)
        let deployment = try Deployment.load(fixture.config)
        let extranet = try Node(deployment: deployment, name: "extranet-gw", logger: .init(label: "test"))
        let jinhong = try Node(deployment: deployment, name: "jinhong-gw", logger: .init(label: "test"))
        _ = try extranet.sync(flow: "applications-in", flush: true)
        let receive = try jinhong.receive()
        #expect(receive.applied == 4, "every record, for the new target; the first target already holds them: \(receive)")
        let copies = try DatabaseQueue(path: fixture.directory.appendingPathComponent("data/approval2.db").path).read { db in
            try Int.fetchOne(db, sql: "SELECT count(*) FROM sqsp")
        }
        #expect(copies == 4)
    }

    @Test func twoRowsThatMapToOneKeyAreRefusedNotFlippedBetween() throws {
        let fixture = try TwoZoneFixture("key-collision")
        try DemoTests.seedPortal(fixture.directory, count: 2, seed: 15)
        let number = try fixture.applicationNumbers()[0]
        // The mapping upper-cases the key: a lower-case twin with other content collides.
        try fixture.portal.write { db in
            try db.execute(sql: """
                INSERT INTO applications SELECT lower(app_no), applicant_name, id_card, sex, employer_uscc, destinations, depart_on, return_on,
                '另一个事由', updated_at FROM applications WHERE app_no = ?
                """, arguments: [number])
        }
        let (sync, receive) = try fixture.hop()
        #expect(sync.quarantined == 2 && receive.applied == 1, "\(sync)")
        #expect(try fixture.approvalColumn("SQBH")[number] == nil, "neither twin reaches the target")
        let issues = try fixture.extranet.store.database.read { db in try String.fetchAll(db, sql: "SELECT issues FROM quarantine") }
        #expect(issues.allSatisfy { $0.contains("maps to the same key") }, "\(issues)")
        #expect(Node.keyCollisions([]).isEmpty)
    }
}

/// The test's own arithmetic on `yyyy-MM-dd HH:mm:ss` stamps, independent of the adapter's.
enum CursorWindowShim {
    static func earlier(_ stamp: String, seconds: Int) -> String? {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd HH:mm:ss"
        guard let date = formatter.date(from: stamp) else { return nil }
        return formatter.string(from: date.addingTimeInterval(-Double(seconds)))
    }
}