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

/// Bundles that were altered, replayed or misplaced in the gap: each is refused, quarantined
/// with a reason, audited, and applies nothing.
@Suite struct ReceiveAdversarialTests {
    let directory = DemoTests.temporary("gap")
    let extranet: Node
    let jinhong: Node

    init() throws {
        let files = try Scaffold.create(in: directory)
        #expect(files.contains("ferry.yaml"))
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

    @Test func aFlippedByteIsQuarantinedAndNothingIsApplied() throws {
        let sync = try extranet.sync(flow: "applications-in")
        #expect(sync.mapped == 30)
        let file = URL(fileURLWithPath: try #require(sync.bundles.first).file)
        var bytes = try Data(contentsOf: file)
        bytes[bytes.count / 2] ^= 0x20
        try bytes.write(to: file)

        let report = try jinhong.receive()
        #expect(report.bundlesRejected == 1)
        #expect(report.applied == 0)
        #expect(try sinkCount() == 0)
        let quarantined = gap.appendingPathComponent("quarantine/\(file.lastPathComponent)")
        #expect(FileManager.default.fileExists(atPath: quarantined.path))
        let reason = try String(contentsOf: quarantined.appendingPathExtension("reason.txt"), encoding: .utf8)
        #expect(reason.contains("bundle."))
        #expect(!FileManager.default.fileExists(atPath: file.path))
        let entry = try #require(try rejections().first)
        #expect(entry.event.details["code"]?.text?.hasPrefix("bundle.") == true)
        #expect(try jinhong.verifyAudit().entries > 0)
    }

    @Test func aReplayedBundleIsRejectedAndAppliesNothingTwice() throws {
        let sync = try extranet.sync(flow: "applications-in")
        let name = URL(fileURLWithPath: try #require(sync.bundles.first).file).lastPathComponent
        let first = try jinhong.receive()
        #expect(first.applied == 30)
        #expect(try sinkCount() == 30)

        // The gap operator copies the archived bundle in again.
        try FileManager.default.copyItem(at: gap.appendingPathComponent("archive/\(name)"), to: gap.appendingPathComponent(name))
        let again = try jinhong.receive()
        #expect(again.bundlesRejected == 1)
        #expect(again.applied == 0)
        #expect(try sinkCount() == 30)
        #expect(try rejections().first?.event.details["code"] == "bundle.duplicate")
    }

    @Test func rerunningASyncSendsNothingNew() throws {
        #expect(try extranet.sync(flow: "applications-in").enqueued == 30)
        let second = try extranet.sync(flow: "applications-in")
        #expect(second.enqueued == 0 && second.unchanged == second.pulled, "rows read again are recognised as sent: \(second)")
        #expect(second.bundles.isEmpty)
    }

    @Test func receiptsMarkBundlesDelivered() throws {
        let sync = try extranet.sync(flow: "applications-in")
        _ = try jinhong.receive()
        let back = try extranet.receive()
        #expect(back.receiptsAccepted == 1)
        let states = try extranet.store.database.read { db in try String.fetchAll(db, sql: "SELECT state FROM bundles_out WHERE kind = 'records'") }
        #expect(states == ["delivered"])
        #expect(sync.bundles.count == 1)
        let id = try #require(try extranet.store.database.read { db in try String.fetchOne(db, sql: "SELECT id FROM bundles_out WHERE kind = 'records'") })
        let view = try QueueTools.show(try QueueTools.Target(config: directory.appendingPathComponent("ferry.yaml").path, node: "extranet-gw"), bundle: id)
        #expect(view.bundle.state == .delivered)
        #expect(view.outcome == #"{"applied":30}"#)
        #expect(view.unapplied.isEmpty)
        #expect(try extranet.store.database.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM delivery_outcomes WHERE outcome = 'applied'") } == 30)
    }

    @Test func aBundleDroppedInTheWrongLaneIsRefused() throws {
        let sync = try extranet.sync(flow: "applications-in")
        let file = URL(fileURLWithPath: try #require(sync.bundles.first).file)
        // Moved into the return direction's directory, where the extranet node reads.
        let wrong = directory.appendingPathComponent("gap/jinhong-to-extranet")
        try FileManager.default.createDirectory(at: wrong, withIntermediateDirectories: true)
        try FileManager.default.moveItem(at: file, to: wrong.appendingPathComponent(file.lastPathComponent))
        let report = try extranet.receive()
        #expect(report.bundlesRejected == 1)
        #expect(try extranet.store.read { tx in try AuditLog.entries(tx, kind: .rejected) }.first?.event.details["code"] == "bundle.wrong-lane")
    }

    @Test func anEditedAuditEntryIsNamed() throws {
        _ = try extranet.sync(flow: "applications-in")
        try extranet.store.database.write { db in
            try db.execute(sql: "DROP TRIGGER audit_no_update")
            try db.execute(sql: "UPDATE audit SET details = replace(details, '30', '31') WHERE kind = 'mapped'")
        }
        let sequence = try extranet.store.database.read { db in try Int.fetchOne(db, sql: "SELECT seq FROM audit WHERE kind = 'mapped'") }
        do {
            _ = try extranet.verifyAudit()
            Issue.record("an edited audit log verified")
        } catch let error as FerryError {
            #expect(error.code == .auditBroken)
            #expect(error.message.contains("entry \(sequence ?? -1) "))
        }
    }

    @Test func theAuditLogRefusesUpdatesAndDeletes() throws {
        _ = try extranet.sync(flow: "applications-in")
        #expect(throws: DatabaseError.self) { try extranet.store.database.write { db in try db.execute(sql: "DELETE FROM audit WHERE seq = 1") } }
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

    @Test func anOldSequenceIsAReplayEvenUnderANewBundleID() throws {
        _ = try extranet.sync(flow: "applications-in")
        #expect(try jinhong.receive().applied == 30)
        try forge(sequence: 1, lines: [envelope("WB2026999999")])
        let report = try jinhong.receive()
        #expect(report.bundlesRejected == 1)
        #expect(try rejections().first?.event.details["code"] == "bundle.replay")
        #expect(try sinkCount() == 30)
    }

    @Test func bundlesArrivingOutOfOrderAreAccepted() throws {
        try forge(sequence: 2, lines: [envelope("WB2026900002")])
        #expect(try jinhong.receive().applied == 1)
        #expect(try jinhong.store.read { tx in try tx.ledger.watermark(lane: "extranet→jinhong") } == 0)
        try forge(sequence: 1, lines: [envelope("WB2026900001")])
        #expect(try jinhong.receive().applied == 1)
        #expect(try jinhong.store.read { tx in try tx.ledger.watermark(lane: "extranet→jinhong") } == 2)
        #expect(try sinkCount() == 2)
    }

    @Test func aGapInTheSequenceIsReportedWithItsNumbers() throws {
        try forge(sequence: 3, lines: [envelope("WB2026900003")])
        let report = try jinhong.receive()
        #expect(report.applied == 1)
        #expect(report.missing.count == 2)
        #expect(report.missing.first?.hasPrefix("channel extranet→jinhong: bundle 1 missing since ") == true)
        let status = try jinhong.store.read { tx in try tx.queueStatus() }
        #expect(status.inbound.first?.missing == [1, 2])
        try forge(sequence: 1, lines: [envelope("WB2026900001")])
        try forge(sequence: 2, lines: [envelope("WB2026900002")])
        #expect(try jinhong.receive().missing.isEmpty)
    }

    @Test func resettingACheckpointRereadsWithoutDuplicatesAndIsAudited() throws {
        _ = try extranet.sync(flow: "applications-in")
        #expect(try jinhong.receive().applied == 30)
        let config = directory.appendingPathComponent("ferry.yaml").path
        let previous = try QueueTools.resetCheckpoint(try QueueTools.Target(config: config, node: "extranet-gw"), flow: "applications-in", to: nil, actor: "auditor-li")
        #expect(previous != nil)
        #expect(try extranet.sync(flow: "applications-in").enqueued == 30)
        let again = try jinhong.receive()
        #expect(again.applied == 0)
        #expect(again.skipped == 30)
        #expect(try sinkCount() == 30)
        let entry = try #require(try extranet.store.read { tx in try AuditLog.entries(tx, kind: "operator.reset-checkpoint") }.first)
        #expect(entry.event.actor == "auditor-li")
    }

    @Test func oneBatchCarryingTwoEntitiesForOneSystemAppliesEachWithItsMapping() throws {
        let status = RecordEnvelope(flow: "applications-in", record: FerryCore.Record(
            entity: "PassportStatus", key: ["WB2026900001"], version: "2026-11-24T10:00:00Z",
            fields: ["application_id": "WB2026900001", "status": "issued", "passport_no": "E12345678", "updated_at": "2026-11-24T10:00:00Z"])).line
        try forge(sequence: 1, lines: [envelope("WB2026900001"), status])
        let report = try jinhong.receive()
        #expect(report.applied == 2)
        #expect(report.rejected == 0)
        let hzzt = try DatabaseQueue(path: directory.appendingPathComponent("data/approval.db").path).read { db in
            try Row.fetchOne(db, sql: "SELECT ZT, HZHM FROM hzzt WHERE SQBH = 'WB2026900001'")
        }
        #expect(hzzt?["ZT"] == "3")
        #expect(hzzt?["HZHM"] == "E12345678")
        #expect(try sinkCount() == 1)
    }
}
