import Foundation
import GRDB
import Logging
import Testing
import FerryCore
import FerryAudit
import FerryQueue
import FerrySeal
@testable import FerryNode
@testable import FerryOps
@testable import FerryBench
import FerryTestSupport

/// Bundles that were altered, replayed or misplaced in the gap: each is refused, quarantined
/// with a reason, audited, and applies nothing.
/// A two-zone deployment whose gap the tests tamper with, its nodes' stores of one kind.
struct GapFixture {
    let directory = DemoTests.temporary("gap")
    let extranet: Node
    let jinhong: Node

    init(_ kind: StoreKind) throws {
        let files = try Scaffold.create(in: directory)
        #expect(files.contains("ferry.yaml"))
        if kind == .postgres { try NodeStores.usePostgres(try StoreKind.postgresURL("gap"), in: directory.appendingPathComponent("ferry.yaml")) }
        let deployment = try Deployment.load(directory.appendingPathComponent("ferry.yaml").path)
        extranet = try Node(deployment: deployment, name: "extranet-gw", logger: Logger(label: "test"))
        jinhong = try Node(deployment: deployment, name: "jinhong-gw", logger: Logger(label: "test"))
        try DemoTests.seedPortal(directory, count: 30, seed: 7)
    }

    var gap: URL { directory.appendingPathComponent("gap/extranet-to-jinhong") }

    func sinkCount() throws -> Int {
        try DatabaseQueue(path: directory.appendingPathComponent("data/approval.db").path).read { db in
            try Int.fetchOne(db, sql: "SELECT count(*) FROM sqsp") ?? 0
        }
    }

    func rejections() throws -> [AuditEntry] {
        try jinhong.store.read { tx in try AuditLog.entries(tx, kind: .rejected) }
    }

    /// Seals `lines` as the extranet node would, with a chosen sequence, into the gap.
    func forge(sequence: Int64, lines: [[UInt8]]) throws {
        let sender = try NodeKey.load(directory.appendingPathComponent("keys/extranet-gw.key"))
        let writer = try BundleWriter(
            directory: gap, sender: sender, recipients: [try #require(jinhong.keys.first).publicKey],
            parameters: BundleWriter.Parameters(lane: "extranet→jinhong", sequence: sequence))
        for line in lines { try writer.append(line: line) }
        _ = try writer.finish()
    }

    func envelope(_ id: String) -> [UInt8] {
        RecordEnvelope(flow: "applications-in", record: FerryCore.Record(
            entity: "TravelApplication", key: [id], version: "2026-11-24T09:00:00Z",
            fields: ["application_id": .string(id), "applicant_name": "王伟", "id_number": "350203198001010013",
                "employer_code": "91350200MA2YH12349", "destinations": ["AUS"], "depart_date": "2027-01-01",
                "return_date": "2027-01-09", "updated_at": "2026-11-24T09:00:00Z"])).line
    }

}

@Suite struct ReceiveAdversarialTests {
    @Test(arguments: StoreKind.allCases) func aFlippedByteIsQuarantinedAndNothingIsApplied(_ kind: StoreKind) throws {
        let t = try GapFixture(kind)
        let sync = try t.extranet.sync(flow: "applications-in")
        #expect(sync.mapped == 30)
        let file = URL(fileURLWithPath: try #require(sync.bundles.first).file)
        var bytes = try Data(contentsOf: file)
        bytes[bytes.count / 2] ^= 0x20
        try bytes.write(to: file)

        let report = try t.jinhong.receive()
        #expect(report.bundlesRejected == 1)
        #expect(report.applied == 0)
        #expect(try t.sinkCount() == 0)
        let quarantined = t.gap.appendingPathComponent("quarantine/\(file.lastPathComponent)")
        #expect(FileManager.default.fileExists(atPath: quarantined.path))
        let reason = try String(contentsOf: quarantined.appendingPathExtension("reason.txt"), encoding: .utf8)
        #expect(reason.contains("bundle."))
        #expect(!FileManager.default.fileExists(atPath: file.path))
        let entry = try #require(try t.rejections().first)
        #expect(entry.event.details["code"]?.text?.hasPrefix("bundle.") == true)
        #expect(try t.jinhong.verifyAudit().entries > 0)
    }

    @Test(arguments: StoreKind.allCases) func aReplayedBundleIsRejectedAndAppliesNothingTwice(_ kind: StoreKind) throws {
        let t = try GapFixture(kind)
        let sync = try t.extranet.sync(flow: "applications-in")
        let name = URL(fileURLWithPath: try #require(sync.bundles.first).file).lastPathComponent
        let first = try t.jinhong.receive()
        #expect(first.applied == 30)
        #expect(try t.sinkCount() == 30)

        // The t.gap operator copies the archived bundle in again.
        try FileManager.default.copyItem(at: t.gap.appendingPathComponent("archive/\(name)"), to: t.gap.appendingPathComponent(name))
        let again = try t.jinhong.receive()
        #expect(again.bundlesRejected == 1)
        #expect(again.applied == 0)
        #expect(try t.sinkCount() == 30)
        #expect(try t.rejections().first?.event.details["code"] == "bundle.duplicate")
    }

    @Test(arguments: StoreKind.allCases) func rerunningASyncSendsNothingNew(_ kind: StoreKind) throws {
        let t = try GapFixture(kind)
        #expect(try t.extranet.sync(flow: "applications-in").enqueued == 30)
        let second = try t.extranet.sync(flow: "applications-in")
        #expect(second.enqueued == 0 && second.unchanged == second.pulled, "rows read again are recognised as sent: \(second)")
        #expect(second.bundles.isEmpty)
    }

    @Test(arguments: StoreKind.allCases) func receiptsMarkBundlesDelivered(_ kind: StoreKind) throws {
        let t = try GapFixture(kind)
        let sync = try t.extranet.sync(flow: "applications-in")
        _ = try t.jinhong.receive()
        let back = try t.extranet.receive()
        #expect(back.receiptsAccepted == 1)
        let states = try t.extranet.store.read { tx in try tx.db.values(String.self, sql: "SELECT state FROM bundles_out WHERE kind = 'records'") }
        #expect(states == ["delivered"])
        #expect(sync.bundles.count == 1)
        let id = try #require(try t.extranet.store.read { tx in try tx.db.value(String.self, sql: "SELECT id FROM bundles_out WHERE kind = 'records'") })
        let view = try QueueTools.show(try QueueTools.Target(config: t.directory.appendingPathComponent("ferry.yaml").path, node: "extranet-gw"), bundle: id)
        #expect(view.bundle.state == .delivered)
        #expect(view.outcome == #"{"applied":30}"#)
        #expect(view.unapplied.isEmpty)
        #expect(try t.extranet.store.count("SELECT count(*) FROM delivery_outcomes WHERE outcome = 'applied'") == 30)
    }

    @Test(arguments: StoreKind.allCases) func aBundleDroppedInTheWrongLaneIsRefused(_ kind: StoreKind) throws {
        let t = try GapFixture(kind)
        let sync = try t.extranet.sync(flow: "applications-in")
        let file = URL(fileURLWithPath: try #require(sync.bundles.first).file)
        // Moved into the return direction's t.directory, where the t.extranet node reads.
        let wrong = t.directory.appendingPathComponent("gap/jinhong-to-extranet")
        try FileManager.default.createDirectory(at: wrong, withIntermediateDirectories: true)
        try FileManager.default.moveItem(at: file, to: wrong.appendingPathComponent(file.lastPathComponent))
        let report = try t.extranet.receive()
        #expect(report.bundlesRejected == 1)
        #expect(try t.extranet.store.read { tx in try AuditLog.entries(tx, kind: .rejected) }.first?.event.details["code"] == "bundle.wrong-lane")
    }

    @Test(arguments: StoreKind.allCases) func anEditedAuditEntryIsNamed(_ kind: StoreKind) throws {
        let t = try GapFixture(kind)
        _ = try t.extranet.sync(flow: "applications-in")
        try t.extranet.store.write { tx in
            let db = tx.db
            try db.execute(sql: kind == .sqlite ? "DROP TRIGGER audit_no_update" : "DROP TRIGGER audit_no_change ON audit")
            try db.execute(sql: "UPDATE audit SET details = replace(details, '30', '31') WHERE kind = 'mapped'")
        }
        let sequence = try t.extranet.store.read { tx in try tx.db.value(Int.self, sql: "SELECT seq FROM audit WHERE kind = 'mapped'") }
        do {
            _ = try t.extranet.verifyAudit()
            Issue.record("an edited audit log verified")
        } catch let error as FerryError {
            #expect(error.code == .auditBroken)
            #expect(error.message.contains("entry \(sequence ?? -1) "))
        }
    }

    @Test(arguments: StoreKind.allCases) func theAuditLogRefusesUpdatesAndDeletes(_ kind: StoreKind) throws {
        let t = try GapFixture(kind)
        _ = try t.extranet.sync(flow: "applications-in")
        let refused = #expect(throws: FerryError.self) { try t.extranet.store.write { tx in try tx.db.execute(sql: "DELETE FROM audit WHERE seq = 1") } }
        #expect(refused?.code == .store && refused?.message.contains("append-only") == true)
    }

    @Test(arguments: StoreKind.allCases) func anOldSequenceIsAReplayEvenUnderANewBundleID(_ kind: StoreKind) throws {
        let t = try GapFixture(kind)
        _ = try t.extranet.sync(flow: "applications-in")
        #expect(try t.jinhong.receive().applied == 30)
        try t.forge(sequence: 1, lines: [t.envelope("WB2026999999")])
        let report = try t.jinhong.receive()
        #expect(report.bundlesRejected == 1)
        #expect(try t.rejections().first?.event.details["code"] == "bundle.replay")
        #expect(try t.sinkCount() == 30)
    }

    @Test(arguments: StoreKind.allCases) func bundlesArrivingOutOfOrderAreAccepted(_ kind: StoreKind) throws {
        let t = try GapFixture(kind)
        try t.forge(sequence: 2, lines: [t.envelope("WB2026900002")])
        #expect(try t.jinhong.receive().applied == 1)
        #expect(try t.jinhong.store.read { tx in try tx.ledger.watermark(lane: "extranet→jinhong") } == 0)
        try t.forge(sequence: 1, lines: [t.envelope("WB2026900001")])
        #expect(try t.jinhong.receive().applied == 1)
        #expect(try t.jinhong.store.read { tx in try tx.ledger.watermark(lane: "extranet→jinhong") } == 2)
        #expect(try t.sinkCount() == 2)
    }

    @Test(arguments: StoreKind.allCases) func aGapInTheSequenceIsReportedWithItsNumbers(_ kind: StoreKind) throws {
        let t = try GapFixture(kind)
        try t.forge(sequence: 3, lines: [t.envelope("WB2026900003")])
        let report = try t.jinhong.receive()
        #expect(report.applied == 1)
        #expect(report.missing.count == 2)
        #expect(report.missing.first?.hasPrefix("channel extranet→jinhong: bundle 1 missing since ") == true)
        let status = try t.jinhong.store.read { tx in try tx.queueStatus() }
        #expect(status.inbound.first?.missing == [1, 2])
        try t.forge(sequence: 1, lines: [t.envelope("WB2026900001")])
        try t.forge(sequence: 2, lines: [t.envelope("WB2026900002")])
        #expect(try t.jinhong.receive().missing.isEmpty)
    }

    @Test(arguments: StoreKind.allCases) func resettingACheckpointRereadsWithoutDuplicatesAndIsAudited(_ kind: StoreKind) throws {
        let t = try GapFixture(kind)
        _ = try t.extranet.sync(flow: "applications-in")
        #expect(try t.jinhong.receive().applied == 30)
        let config = t.directory.appendingPathComponent("ferry.yaml").path
        let previous = try QueueTools.resetCheckpoint(try QueueTools.Target(config: config, node: "extranet-gw"), flow: "applications-in", to: nil, actor: "auditor-li")
        #expect(previous != nil)
        #expect(try t.extranet.sync(flow: "applications-in").enqueued == 30)
        let again = try t.jinhong.receive()
        #expect(again.applied == 0)
        #expect(again.skipped == 30)
        #expect(try t.sinkCount() == 30)
        let entry = try #require(try t.extranet.store.read { tx in try AuditLog.entries(tx, kind: "operator.reset-checkpoint") }.first)
        #expect(entry.event.actor == "auditor-li")
    }

    @Test(arguments: StoreKind.allCases) func oneBatchCarryingTwoEntitiesForOneSystemAppliesEachWithItsMapping(_ kind: StoreKind) throws {
        let t = try GapFixture(kind)
        let status = RecordEnvelope(flow: "applications-in", record: FerryCore.Record(
            entity: "PassportStatus", key: ["WB2026900001"], version: "2026-11-24T10:00:00Z",
            fields: ["application_id": "WB2026900001", "status": "issued", "passport_no": "E12345678", "updated_at": "2026-11-24T10:00:00Z"])).line
        try t.forge(sequence: 1, lines: [t.envelope("WB2026900001"), status])
        let report = try t.jinhong.receive()
        #expect(report.applied == 2)
        #expect(report.rejected == 0)
        let hzzt = try DatabaseQueue(path: t.directory.appendingPathComponent("data/approval.db").path).read { db in
            try Row.fetchOne(db, sql: "SELECT ZT, HZHM FROM hzzt WHERE SQBH = 'WB2026900001'")
        }
        #expect(hzzt?["ZT"] == "3")
        #expect(hzzt?["HZHM"] == "E12345678")
        #expect(try t.sinkCount() == 1)
    }

}
