import Foundation
import GRDB
import Testing
import FerryTestSupport
import FerryCore
import FerryQueue
@testable import FerryNode
@testable import FerryOps

/// Quarantine you can recover from: refused rows keep their raw input (sealed at rest), and
/// a fixed mapping re-drives them without resetting any cursor.
@Suite struct RealWorldQuarantineTests {
    @Test(arguments: StoreKind.allCases) func aNewSourceColumnQuarantinesRowsThatARequeueRecoversAfterTheMappingIsFixed(_ kind: StoreKind) throws {
        let fixture = try TwoZoneFixture("requeue", store: kind)
        try fixture.portal.write { db in try db.execute(sql: "ALTER TABLE applications ADD COLUMN remark TEXT") }
        try DemoTests.seedPortal(fixture.directory, count: 4, seed: 41)
        let warnings = try AdapterTools.check(try Deployment.load(fixture.config), node: "extranet-gw", system: "portal")
            .first { $0.entity == "TravelApplication" }?.warnings ?? []
        #expect(warnings.contains { $0.contains("remark") && $0.contains("unmapped_fields") }, "\(warnings)")
        let first = try fixture.hop()
        #expect(first.sync.quarantined == 4 && first.receive.applied == 0)
        let sealed = try fixture.extranet.store.read { tx in try tx.db.values([UInt8].self, sql: "SELECT payload FROM quarantine") }
        #expect(sealed.count == 4)
        let numbers = try fixture.applicationNumbers()
        for payload in sealed {
            let text = String(decoding: payload, as: UTF8.self)
            #expect(!numbers.contains { text.contains($0) }, "the raw row is not stored in the clear")
        }

        // Read again (the look-back window covers them): held once, not once per read.
        #expect(try fixture.hop().sync.quarantined == 0)
        #expect(try fixture.extranet.store.read { tx in try tx.quarantine.count() } == 4)

        // Still refused under the old mapping: the rows stay, with their reasons.
        let early = try fixture.extranet.requeueQuarantined(flow: "applications-in", rule: "unmapped_fields", actor: "test")
        #expect(early.examined == 4 && early.stillRefused == 4 && early.requeued == 0)

        // The engineer fixes the mapping; a node started after that re-drives the rows.
        let mappingFile = fixture.directory.appendingPathComponent("Mappings/foreign-affairs/portal.yaml")
        let mapping = try String(contentsOf: mappingFile, encoding: .utf8)
        try Data(mapping.replacingOccurrences(of: "unmapped_fields: fail", with: "unmapped_fields: fail\nignore: [remark]").utf8).write(to: mappingFile)
        let deployment = try Deployment.load(fixture.config)
        let extranet = try Node(deployment: deployment, name: "extranet-gw", logger: .init(label: "test"))
        let report = try extranet.requeueQuarantined(flow: nil, rule: "unmapped_fields", actor: "li.wei")
        #expect(report.requeued == 4 && report.stillRefused == 0)
        #expect(try fixture.jinhong.receive().applied == 4)
        #expect(try fixture.approvalColumn("SQBH").count == 4)
        #expect(try extranet.store.read { tx in try tx.quarantine.count() } == 0, "nothing is held any more")
        let audited = try extranet.store.read { tx in try tx.db.value(Int.self, sql: "SELECT count(*) FROM audit WHERE kind = 'operator.requeue'") }
        #expect(audited == 2, "each requeue is an audited operator step")
        // A second requeue finds nothing to do.
        #expect(try extranet.requeueQuarantined(flow: nil, rule: nil, actor: "test").examined == 0)
    }

    @Test(arguments: StoreKind.allCases) func aRecordTooLargeForABundleIsQuarantinedBeforeItCrosses(_ kind: StoreKind) throws {
        let fixture = try TwoZoneFixture("oversize", edits: [
            ("Mappings/entities/travel-application.yaml", "purpose:        { type: string, max: 200 }", "purpose:        { type: string }"),
        ], store: kind)
        try DemoTests.seedPortal(fixture.directory, count: 2, seed: 42)
        let number = try fixture.applicationNumbers()[0]
        try fixture.portal.write { db in
            try db.execute(sql: "UPDATE applications SET purpose = ? WHERE app_no = ?", arguments: [String(repeating: "说", count: 6_000_000), number])
        }
        let (sync, receive) = try fixture.hop()
        #expect(sync.quarantined == 1 && sync.enqueued == 1)
        #expect(receive.applied == 1 && receive.rejected == 0, "the other record crosses; nothing is refused beyond the gap")
        let issues = try fixture.extranet.store.read { tx in try tx.db.value(String.self, sql: "SELECT issues FROM quarantine") }
        #expect(issues?.contains("bytes a bundle line may hold") == true, "\(issues ?? "nil")")
    }

    @Test(arguments: StoreKind.allCases) func aRequeueNeverSendsARowTheSourceHasMovedPast(_ kind: StoreKind) throws {
        let fixture = try TwoZoneFixture("requeue-stale", store: kind)
        try fixture.portal.write { db in try db.execute(sql: "ALTER TABLE applications ADD COLUMN remark TEXT") }
        try DemoTests.seedPortal(fixture.directory, count: 2, seed: 43)
        #expect(try fixture.hop().sync.quarantined == 2)
        let numbers = try fixture.applicationNumbers()
        // The mapping is fixed; one row changes (same version) and travels with a later read.
        let mappingFile = fixture.directory.appendingPathComponent("Mappings/foreign-affairs/portal.yaml")
        let mapping = try String(contentsOf: mappingFile, encoding: .utf8)
        try Data(mapping.replacingOccurrences(of: "unmapped_fields: fail", with: "unmapped_fields: fail\nignore: [remark]").utf8).write(to: mappingFile)
        let extranet = try Node(deployment: try Deployment.load(fixture.config), name: "extranet-gw", logger: .init(label: "test"))
        try fixture.portal.write { db in
            try db.execute(sql: "UPDATE applications SET purpose = '新的事由', updated_at = '2027-01-01 08:00:00' WHERE app_no = ?", arguments: [numbers[0]])
        }
        let synced = try extranet.sync(flow: "applications-in", flush: true)
        #expect(synced.enqueued >= 1)
        _ = try fixture.jinhong.receive()

        let report = try extranet.requeueQuarantined(flow: "applications-in", rule: nil, actor: "test")
        #expect(report.superseded >= 1, "the stale copy of the changed row is not sent: \(report)")
        _ = try fixture.jinhong.receive()
        #expect(try fixture.approvalColumn("CFSY")[numbers[0]] == "新的事由", "the newer content stays at the target")
        #expect(try extranet.store.read { tx in try tx.quarantine.count() } == 0)
        #expect(throws: FerryError.self, "a flow name that is not in the topology is refused") {
            _ = try extranet.requeueQuarantined(flow: "applications-inn", rule: nil, actor: "test")
        }
    }

    @Test(arguments: StoreKind.allCases) func aRecordTheTargetRefusedIsSentAgainOnceTheTargetTakesIt(_ kind: StoreKind) throws {
        let fixture = try TwoZoneFixture("refused-resend", store: kind)
        try fixture.approval.write { db in
            try db.execute(sql: "CREATE TRIGGER refuse BEFORE INSERT ON sqsp WHEN NEW.CFSY = '拒收' BEGIN SELECT RAISE(ABORT, 'refused by a rule of the target'); END")
        }
        try DemoTests.seedPortal(fixture.directory, count: 2, seed: 44)
        let number = try fixture.applicationNumbers()[0]
        try fixture.portal.write { db in try db.execute(sql: "UPDATE applications SET purpose = '拒收' WHERE app_no = ?", arguments: [number]) }
        let first = try fixture.hop()
        #expect(first.receive.applied == 1 && first.receive.rejected == 1)
        _ = try fixture.extranet.receive()  // the receipt comes back
        try fixture.approval.write { db in try db.execute(sql: "DROP TRIGGER refuse") }
        // Nothing changed at the source: the row, read again at the cursor's boundary, goes again.
        let again = try fixture.hop()
        #expect(again.sync.enqueued >= 1 && again.receive.applied == 1, "\(again.sync) \(again.receive)")
        #expect(try fixture.approvalColumn("CFSY")[number] == "拒收")
    }

    @Test(arguments: StoreKind.allCases) func aRecordASameZoneTargetRefusedIsSentAgainOnceItTakesIt(_ kind: StoreKind) throws {
        let fixture = try TwoZoneFixture("local-refused", store: kind) { directory in
            // A copy of the approval system on the extranet itself: records reach it without a gap.
            let mirror = try TwoZoneFixture.addApprovalCopy("mirror", zone: "extranet", targets: ["mirror"], in: directory)
            try mirror.write { db in
                try db.execute(sql: "CREATE TRIGGER refuse BEFORE INSERT ON sqsp WHEN NEW.CFSY = '拒收' BEGIN SELECT RAISE(ABORT, 'refused'); END")
            }
        }
        try DemoTests.seedPortal(fixture.directory, count: 2, seed: 45)
        let number = try fixture.applicationNumbers()[0]
        try fixture.portal.write { db in try db.execute(sql: "UPDATE applications SET purpose = '拒收' WHERE app_no = ?", arguments: [number]) }
        let mirror = try DatabaseQueue(path: fixture.directory.appendingPathComponent("data/mirror.db").path)
        _ = try fixture.extranet.sync(flow: "applications-in", flush: true)
        #expect(try mirror.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM sqsp") } == 1, "the refused one is not there")
        try mirror.write { db in try db.execute(sql: "DROP TRIGGER refuse") }
        let again = try fixture.extranet.sync(flow: "applications-in", flush: true)
        #expect(again.enqueued == 0, "a same-zone target needs no lane")
        #expect(try mirror.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM sqsp") } == 2, "sent again once the target takes it: \(again)")
    }
}
