import Foundation
import GRDB
import Testing
import FerryCore
import FerryAudit
@testable import FerryNode
@testable import FerryOps

/// Two systems of one zone compared by digests after mapping: exactly the rows deleted,
/// inserted and changed are reported, field by field, personal values masked, and the run
/// is audited.
@Suite struct ReconcileTests {
    @Test func twoCopiesInOneZoneDifferExactlyWhereTheyWereChanged() throws {
        let (directory, config, _) = try AuditLogTests.demo()
        let original = directory.appendingPathComponent("data/approval.db")
        let copy = directory.appendingPathComponent("data/approval-copy.db")
        try FileManager.default.copyItem(at: original, to: copy)
        // The copy speaks the same dialect, so it gets the same mapping under its own name.
        let mapping = directory.appendingPathComponent("Mappings/foreign-affairs/approval.yaml")
        try Data(try String(contentsOf: mapping, encoding: .utf8).replacingOccurrences(of: "system: approval\n", with: "system: approval-copy\n").utf8)
            .write(to: directory.appendingPathComponent("Mappings/foreign-affairs/approval-copy.yaml"))
        let topology = try String(contentsOf: URL(fileURLWithPath: config), encoding: .utf8).replacingOccurrences(of: "  issuance:\n", with: """
              approval-copy:
                zone: jinhong
                level: municipal
                adapter: sqlite
                options: { path: data/approval-copy.db }
                maps:
                  TravelApplication: { file: Mappings/foreign-affairs/approval-copy.yaml, options: { table: sqsp, cursor: SPSJ } }
              issuance:

            """)
        try Data(topology.utf8).write(to: URL(fileURLWithPath: config))

        let rows = try DatabaseQueue(path: copy.path).write { db -> [Row] in
            let rows = try Row.fetchAll(db, sql: "SELECT * FROM sqsp ORDER BY SQBH")
            try db.execute(sql: "DELETE FROM sqsp WHERE SQBH = ?", arguments: [rows[3]["SQBH"] as String])
            try db.execute(sql: "UPDATE sqsp SET CFSY = '商务洽谈（改）' WHERE SQBH = ?", arguments: [rows[10]["SQBH"] as String])
            try db.execute(sql: "UPDATE sqsp SET SFZH = ? WHERE SQBH = ?", arguments: [rows[12]["SFZH"] as String, rows[11]["SQBH"] as String])
            try db.execute(sql: """
                INSERT INTO sqsp SELECT 'WB2099000001', XM, SFZH, XB, DWTYDM, QWGJ, CJRQ, HGRQ, CFSY, SPZT, SPSJ, GXSJ FROM sqsp WHERE SQBH = ?
                """, arguments: [rows[20]["SQBH"] as String])
            return rows
        }
        let report = try ReconcileTools.compare(config: config, node: "jinhong-gw", left: "approval", right: "approval-copy", entity: nil, actor: "test")
        #expect(report.leftRecords == rows.count && report.rightRecords == rows.count)
        #expect(report.onlyLeft.count == 1 && report.onlyRight == ["WB2099000001"], "\(report)")
        #expect(report.changed.count == 2)
        #expect(report.matched == rows.count - 3)
        let purpose = report.changed.flatMap(\.fields).first { $0.right == "商务洽谈（改）" }
        #expect(purpose != nil, "\(report.changed)")
        let identity = report.changed.flatMap(\.fields).first { $0.field.lowercased().contains("id") && $0.left != $0.right }
        #expect(identity != nil, "\(report.changed)")
        let ids = rows.map { $0["SFZH"] as String }
        let shown = report.changed.flatMap { $0.fields.flatMap { [$0.left, $0.right] } } + report.onlyLeft + report.onlyRight
        #expect(!shown.contains { text in ids.contains { text.contains($0) } }, "an ID number in clear: \(shown)")

        // A copy compared with itself agrees, and both runs are audited.
        let same = try ReconcileTools.compare(config: config, node: "jinhong-gw", left: "approval", right: "approval", entity: "TravelApplication", actor: "test")
        #expect(same.differences == 0 && same.differingLeaves == 0 && same.matched == rows.count)
        var filter = AuditTools.Filter()
        filter.node = "jinhong-gw"
        filter.kinds = ["reconciled"]
        let audited = try AuditTools.log(try Deployment.load(config), filter: filter)
        #expect(audited.count == 2 && audited[0].event.details["changed"] == .int(2))
        #expect(try AuditTools.verify(try Deployment.load(config), node: "jinhong-gw").entries > 0)
    }
}
