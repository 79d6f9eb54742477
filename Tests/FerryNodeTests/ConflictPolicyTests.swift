import Foundation
import Testing
import FerryCore
@testable import FerryMapping
import FerryQueue
import GRDB
import Logging
@testable import FerryNode
@testable import FerryOps

/// Field conflict policies: who wins when two systems write one field of one record.
@Suite struct ConflictPolicyTests {
    func spec(_ name: String, _ policy: ConflictPolicy) -> FieldSpec {
        var spec = FieldSpec(name: name, type: .string, required: false, personal: false, check: nil, validators: [], maxLength: nil,
            minCount: nil, codeTable: nil, location: SourceLocation(file: "e.yaml", line: 1, column: 1))
        spec.conflict = policy
        return spec
    }

    let record = FerryCore.Record(entity: "Project", key: ["P1"], version: "2026-11-24T00:00:00Z",
        fields: ["budget": .decimal("100"), "status": "approved", "note": "district note"])

    func holder(_ system: String, rank: Int, _ value: Value) -> FieldProvenance.Entry {
        .init(system: system, rank: rank, digest: Node.valueDigest(value))
    }

    @Test func aHigherAuthorityKeepsItsValueAgainstALowerOne() {
        let fields = [spec("budget", .authority)]
        // The national system (rank 0) set the budget; a district system (rank 3) sends another.
        let decision = Node.settleConflicts(record, fields: fields, holders: ["budget": holder("national-db", rank: 0, .decimal("90"))],
            source: "district-db", rank: 3)
        #expect(decision.kept == ["budget"] && decision.conflicts.isEmpty)
        #expect(decision.holders["budget"] == nil, "the national system still holds it")
        // The other way round, the higher authority overwrites and becomes the holder.
        let up = Node.settleConflicts(record, fields: fields, holders: ["budget": holder("district-db", rank: 3, .decimal("90"))],
            source: "national-db", rank: 0)
        #expect(up.kept.isEmpty && up.holders["budget"]?.system == "national-db")
        // The same value from a lower authority is no conflict at all.
        let same = Node.settleConflicts(record, fields: fields, holders: ["budget": holder("national-db", rank: 0, .decimal("100"))],
            source: "district-db", rank: 3)
        #expect(same.kept.isEmpty && same.holders["budget"]?.system == "district-db")
    }

    @Test func noneRaisesACaseAndLatestLetsTheVersionDecide() {
        let fields = [spec("status", .none), spec("note", .latest)]
        let decision = Node.settleConflicts(record, fields: fields,
            holders: ["status": holder("provincial-db", rank: 1, "rejected"), "note": holder("provincial-db", rank: 1, "other")],
            source: "municipal-db", rank: 2)
        #expect(decision.conflicts.count == 1 && decision.conflicts[0].hasPrefix("status (provincial-db holds another value"))
        #expect(decision.kept.isEmpty)
        // The writer's own earlier value is never a conflict.
        let own = Node.settleConflicts(record, fields: fields, holders: ["status": holder("municipal-db", rank: 2, "rejected")],
            source: "municipal-db", rank: 2)
        #expect(own.conflicts.isEmpty && own.holders["status"]?.system == "municipal-db")
    }

    @Test func entitiesDeclarePoliciesPerFieldWithADefault() throws {
        let yaml = """
            entity: Project
            key: [id]
            version: v
            conflict: authority
            fields:
              id: { type: string }
              v:  { type: timestamp }
              status: { type: string, conflict: none }
              note: { type: string, conflict: latest }
            """
        let schema = try EntitySchema.parse(ConfigNode.parse(yaml, file: "p.yaml"), file: "p.yaml",
            codes: CodeTables(directory: URL(fileURLWithPath: "/nonexistent")))
        #expect(schema.field("id")?.conflict == .authority)
        #expect(schema.field("status")?.conflict == ConflictPolicy.none)
        #expect(schema.field("note")?.conflict == .latest)
        #expect(throws: FerryError.self) {
            try EntitySchema.parse(ConfigNode.parse(yaml.replacingOccurrences(of: "conflict: none", with: "conflict: loudest"), file: "p.yaml"),
                file: "p.yaml", codes: CodeTables(directory: URL(fileURLWithPath: "/nonexistent")))
        }
    }

    /// End to end: the approval system already holds a purpose a national system set; the
    /// municipal portal's different purpose is not written, everything else is.
    @Test func applyLeavesAFieldAHigherAuthoritySet() throws {
        let directory = DemoTests.temporary("conflict")
        _ = try Scaffold.create(in: directory)
        let entityFile = directory.appendingPathComponent("Mappings/entities/travel-application.yaml")
        let entity = try String(contentsOf: entityFile, encoding: .utf8)
        try Data(entity.replacingOccurrences(of: "purpose:        { type: string, max: 200 }",
            with: "purpose:        { type: string, max: 200, conflict: authority }").utf8).write(to: entityFile)
        #expect(try String(contentsOf: entityFile, encoding: .utf8).contains("conflict: authority"))
        try DemoTests.seedPortal(directory, count: 3, seed: 21)
        let deployment = try Deployment.load(directory.appendingPathComponent("ferry.yaml").path)
        let extranet = try Node(deployment: deployment, name: "extranet-gw", logger: Logger(label: "test"))
        let jinhong = try Node(deployment: deployment, name: "jinhong-gw", logger: Logger(label: "test"))
        let ids = try DatabaseQueue(path: directory.appendingPathComponent("data/portal.db").path).read { db in
            try String.fetchAll(db, sql: "SELECT app_no FROM applications ORDER BY app_no")
        }
        // What a national system wrote earlier, and Ferry's note of who wrote it.
        let approval = try DatabaseQueue(path: directory.appendingPathComponent("data/approval.db").path)
        try approval.write { db in
            try db.execute(sql: "INSERT INTO sqsp(SQBH, XM, SFZH, CFSY, GXSJ) VALUES (?, '旧', '0', '国家统一安排', '20000101000000')", arguments: [ids[0]])
        }
        try jinhong.store.write { tx in
            try tx.provenance.record(target: "approval", entity: "TravelApplication", key: ids[0],
                fields: ["purpose": .init(system: "national-db", rank: 0, digest: Node.valueDigest("国家统一安排"))])
        }
        _ = try extranet.sync(flow: "applications-in")
        #expect(try jinhong.receive().applied == 3)
        let row = try #require(try approval.read { db in try Row.fetchOne(db, sql: "SELECT XM, CFSY FROM sqsp WHERE SQBH = ?", arguments: [ids[0]]) })
        #expect(row["CFSY"] as String == "国家统一安排", "the national purpose stays")
        #expect(row["XM"] as String != "旧", "the rest of the record is applied")
        let detail = try jinhong.store.database.read { db in
            try String.fetchOne(db, sql: "SELECT detail FROM inbox WHERE record_key = ?", arguments: [ids[0]])
        }
        #expect(detail?.contains("kept purpose") == true)
    }
}
