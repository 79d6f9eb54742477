import Foundation
import GRDB
import Testing
import FerryTestSupport
import FerryCore
import FerryMapping
import FerryQueue
@testable import FerryNode
@testable import FerryOps

/// Same key, same version, different content: one-second version columns stamp several
/// changes alike, and the later one must win, never be skipped as a duplicate.
@Suite struct RealWorldSameVersionTests {
    static let capture = [("ferry.yaml", "{ table: applications, cursor: updated_at, lookback: 5m }", "{ table: applications, cursor: changes }")]

    func record(_ status: String, version: String = "2026-02-01T01:30:00Z") -> FerryCore.Record {
        FerryCore.Record(entity: "TravelApplication", key: ["WB001"], version: version, fields: ["status": .string(status)])
    }

    @Test func theVersionGuardTellsAChangeFromADuplicateByContent() {
        let submitted = record("submitted")
        let approved = record("approved")
        let applied = Inbox.Applied(version: FerryCore.Record.sortableVersion(submitted.version), digest: Node.contentDigest(submitted))
        func verdict(_ r: FerryCore.Record, _ applied: Inbox.Applied?, repair: Bool = false, policed: [FieldSpec] = [],
            holders: [String: FieldProvenance.Entry] = [:]) -> Node.VersionVerdict {
            Node.versionVerdict(r, digest: Node.contentDigest(r), applied: applied, repair: repair, target: "approval", policed: policed, holders: holders)
        }
        #expect(verdict(approved, applied) == .replaceSameVersion, "other content under the same version is applied")
        guard case .skip(let why) = verdict(submitted, applied) else { Issue.record("a duplicate must be skipped"); return }
        #expect(why.contains("with this content"), "a skip says why: \(why)")
        guard case .skip(let older) = verdict(record("x", version: "2026-01-01T00:00:00Z"), applied) else { Issue.record("older"); return }
        #expect(older.contains("newer version"))
        #expect(verdict(record("x", version: "2026-03-01T00:00:00Z"), applied) == .replaceSameVersion, "a newer version")

        // Order within a lane: a same-version change that arrives after a later one is late.
        let later = Inbox.Applied(version: applied.version, digest: Node.contentDigest(approved), lane: "a→b", sequence: 3, position: 40)
        let late = InboxItem(id: 50, bundle: "b2", flow: "f", entity: "TravelApplication", key: "WB001", version: submitted.version,
            line: [], lane: "a→b", sequence: 2)
        guard case .skip(let lateWhy) = Node.versionVerdict(submitted, digest: Node.contentDigest(submitted), applied: later, repair: false,
            target: "approval", policed: [], holders: [:], from: late)
        else { Issue.record("a change from bundle 2 must not overwrite one from bundle 3"); return }
        #expect(lateWhy.contains("arrived after"), "\(lateWhy)")
        let next = InboxItem(id: 10, bundle: "b4", flow: "f", entity: "TravelApplication", key: "WB001", version: submitted.version,
            line: [], lane: "a→b", sequence: 4)
        #expect(Node.versionVerdict(submitted, digest: Node.contentDigest(submitted), applied: later, repair: false, target: "approval",
            policed: [], holders: [:], from: next) == .replaceSameVersion, "bundle 4 is later, whatever its inbox row")

        // A deletion and the same row inserted again are different records.
        var deletion = submitted
        deletion.operation = .delete
        #expect(Node.contentDigest(deletion) != Node.contentDigest(submitted))
        let deleted = Inbox.Applied(version: applied.version, digest: Node.contentDigest(deletion))
        #expect(verdict(submitted, deleted) == .replaceSameVersion, "re-inserted after its deletion")
        #expect(verdict(submitted, applied, repair: true) == .replaceSameVersion, "a repair brings back a lost row")
        #expect(verdict(submitted, nil) == .replaceSameVersion, "never applied here: the target's copy may differ")

        let manual = ConflictPolicyTests().spec("status", .none)
        let holder = FieldProvenance.Entry(system: "portal", rank: 2, digest: Node.valueDigest("submitted"))
        guard case .conflict(let detail) = verdict(approved, applied, policed: [manual], holders: ["status": holder]) else {
            Issue.record("a field under conflict: none that changed under the same version is a case for a person"); return
        }
        #expect(detail.contains("status"))
    }

    @Test(arguments: StoreKind.allCases) func aSameVersionChangeReachesTheTarget(_ kind: StoreKind) throws {
        let fixture = try TwoZoneFixture("same-version", edits: Self.capture, store: kind)
        _ = try AdapterTools.installCapture(try Deployment.load(fixture.config), node: "extranet-gw", system: "portal")
        try DemoTests.seedPortal(fixture.directory, count: 3, seed: 31)
        #expect(try fixture.hop().receive.applied == 3)
        let number = try fixture.applicationNumbers()[1]
        // The status changes within the second: updated_at stays as it was.
        try fixture.portal.write { db in
            try db.execute(sql: "UPDATE applications SET purpose = '已批准' WHERE app_no = ?", arguments: [number])
        }
        let (sync, receive) = try fixture.hop()
        #expect(sync.enqueued == 1)
        #expect(receive.applied == 1 && receive.skipped == 0, "applied, not skipped as a duplicate")
        #expect(try fixture.approvalColumn("CFSY")[number] == "已批准")

        // The same content again (a resend) is a duplicate, and the inbox says so.
        _ = try QueueTools.resetCheckpoint(try QueueTools.Target(config: fixture.config, node: "extranet-gw"), flow: "applications-in", to: nil, actor: "test")
        let again = try fixture.hop()
        #expect(again.receive.applied == 0 && again.receive.skipped == 3)
        let detail = try fixture.jinhong.store.read { tx in
            try tx.db.value(String.self, sql: "SELECT detail FROM inbox WHERE record_key = ? ORDER BY id DESC LIMIT 1", arguments: [number])
        }
        #expect(detail?.contains("with this content") == true, "skipped says why: \(detail ?? "nil")")
    }

    @Test(arguments: StoreKind.allCases) func aRecordThatChangesKeyLeavesNoCopyOfTheOldKey(_ kind: StoreKind) throws {
        let fixture = try TwoZoneFixture("key-change", edits: Self.capture, store: kind)
        _ = try AdapterTools.installCapture(try Deployment.load(fixture.config), node: "extranet-gw", system: "portal")
        try DemoTests.seedPortal(fixture.directory, count: 2, seed: 32)
        #expect(try fixture.hop().receive.applied == 2)
        let old = try fixture.applicationNumbers()[0]
        let new = "WB2099000001"
        try fixture.portal.write { db in
            try db.execute(sql: "UPDATE applications SET app_no = ?, updated_at = '2027-01-01 08:00:00' WHERE app_no = ?", arguments: [new, old])
        }
        let (sync, receive) = try fixture.hop()
        #expect(sync.enqueued == 2, "the old key's deletion and the new key's upsert")
        #expect(receive.applied == 2)
        let keys = try fixture.approvalColumn("SQBH")
        #expect(keys[old] == nil, "the old key is gone from the target")
        #expect(keys[new] != nil, "the new key is there")
    }

    @Test(arguments: StoreKind.allCases) func aFirstReadUnderCaptureIsASnapshotThatCountsEachRecordOnce(_ kind: StoreKind) throws {
        let fixture = try TwoZoneFixture("snapshot", edits: Self.capture, store: kind)
        // Rows written before capture existed still travel: the first read is the table itself.
        try DemoTests.seedPortal(fixture.directory, count: 4, seed: 33)
        _ = try AdapterTools.installCapture(try Deployment.load(fixture.config), node: "extranet-gw", system: "portal")
        let number = try fixture.applicationNumbers()[0]
        try fixture.portal.write { db in
            for purpose in ["一", "二", "三"] {
                try db.execute(sql: "UPDATE applications SET purpose = ? WHERE app_no = ?", arguments: [purpose, number])
            }
        }
        let first = try fixture.hop()
        #expect(first.sync.enqueued == 4, "each record once, not once per change: \(first.sync)")
        #expect(first.receive.applied == 4)
        try fixture.portal.write { db in try db.execute(sql: "UPDATE applications SET purpose = '四' WHERE app_no = ?", arguments: [number]) }
        let second = try fixture.hop()
        #expect(second.sync.enqueued == 1 && second.receive.applied == 1, "changes after the snapshot follow it: \(second.sync)")
        #expect(try fixture.approvalColumn("CFSY")[number] == "四")
    }

    @Test(arguments: StoreKind.allCases) func aRowDeletedAndInsertedAgainUnchangedStaysAtTheTarget(_ kind: StoreKind) throws {
        let fixture = try TwoZoneFixture("delete-reinsert", edits: Self.capture, store: kind)
        _ = try AdapterTools.installCapture(try Deployment.load(fixture.config), node: "extranet-gw", system: "portal")
        try DemoTests.seedPortal(fixture.directory, count: 3, seed: 34)
        #expect(try fixture.hop().receive.applied == 3)
        try fixture.portal.write { db in
            try db.execute(sql: "CREATE TEMP TABLE kept AS SELECT * FROM applications")
            try db.execute(sql: "DELETE FROM applications")
            try db.execute(sql: "INSERT INTO applications SELECT * FROM kept")
        }
        let (sync, receive) = try fixture.hop()
        #expect(sync.enqueued == 6, "three deletions, three insertions")
        #expect(receive.applied == 6, "\(receive)")
        #expect(try fixture.approvalColumn("SQBH").count == 3, "the rows are back at the target, as at the source")
    }

    @Test(arguments: StoreKind.allCases) func twoChangesUnderOneVersionInOneReceiveLeaveTheLaterOne(_ kind: StoreKind) throws {
        let fixture = try TwoZoneFixture("same-version-batch", edits: Self.capture, store: kind)
        _ = try AdapterTools.installCapture(try Deployment.load(fixture.config), node: "extranet-gw", system: "portal")
        try DemoTests.seedPortal(fixture.directory, count: 2, seed: 35)
        #expect(try fixture.hop().receive.applied == 2)
        let number = try fixture.applicationNumbers()[0]
        for purpose in ["第一次", "第二次"] {
            try fixture.portal.write { db in
                try db.execute(sql: "UPDATE applications SET purpose = ?, updated_at = '2027-03-01 09:30:05' WHERE app_no = ?", arguments: [purpose, number])
            }
            _ = try fixture.extranet.sync(flow: "applications-in", flush: true)
        }
        let receive = try fixture.jinhong.receive()
        // Staged in whatever order the files were found; the later change wins either way.
        #expect(receive.applied + receive.skipped == 2 && receive.applied >= 1, "\(receive)")
        #expect(try fixture.approvalColumn("CFSY")[number] == "第二次")
    }

    @Test(arguments: StoreKind.allCases) func aSameVersionChangeArrivingLateNeverOverwritesTheLaterOne(_ kind: StoreKind) throws {
        let fixture = try TwoZoneFixture("same-version-late", edits: Self.capture, store: kind)
        _ = try AdapterTools.installCapture(try Deployment.load(fixture.config), node: "extranet-gw", system: "portal")
        try DemoTests.seedPortal(fixture.directory, count: 1, seed: 36)
        #expect(try fixture.hop().receive.applied == 1)
        let number = try fixture.applicationNumbers()[0]
        let gap = fixture.directory.appendingPathComponent("gap/extranet-to-jinhong")
        let aside = fixture.directory.appendingPathComponent("aside")
        try FileManager.default.createDirectory(at: aside, withIntermediateDirectories: true)
        try fixture.portal.write { db in
            try db.execute(sql: "UPDATE applications SET purpose = '先', updated_at = '2027-03-01 09:30:05' WHERE app_no = ?", arguments: [number])
        }
        _ = try fixture.extranet.sync(flow: "applications-in", flush: true)
        // The earlier bundle is held up on the way; the later one arrives first.
        for file in try FileManager.default.contentsOfDirectory(at: gap, includingPropertiesForKeys: nil) where file.pathExtension == "bundle" {
            try FileManager.default.moveItem(at: file, to: aside.appendingPathComponent(file.lastPathComponent))
        }
        try fixture.portal.write { db in
            try db.execute(sql: "UPDATE applications SET purpose = '后' WHERE app_no = ?", arguments: [number])
        }
        _ = try fixture.extranet.sync(flow: "applications-in", flush: true)
        #expect(try fixture.jinhong.receive().applied == 1)
        for file in try FileManager.default.contentsOfDirectory(at: aside, includingPropertiesForKeys: nil) {
            try FileManager.default.moveItem(at: file, to: gap.appendingPathComponent(file.lastPathComponent))
        }
        let late = try fixture.jinhong.receive()
        #expect(late.applied == 0 && late.skipped == 1, "\(late)")
        #expect(try fixture.approvalColumn("CFSY")[number] == "后", "the later change stays")
    }
}
