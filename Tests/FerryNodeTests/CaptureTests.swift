import Foundation
import GRDB
import Logging
import Testing
import FerryCore
@testable import FerryNode
@testable import FerryOps

/// Change capture on an SQLite source: inserts, updates and deletes all reach the target.
@Suite struct CaptureTests {
    @Test func deletesAndUpdatesTravelThroughTheChangeTable() throws {
        let directory = DemoTests.temporary("capture")
        _ = try Scaffold.create(in: directory)
        let config = directory.appendingPathComponent("ferry.yaml")
        let text = try String(contentsOf: config, encoding: .utf8)
        let captured = text.replacingOccurrences(of: "{ table: applications, cursor: updated_at, lookback: 5m }", with: "{ table: applications, cursor: changes }")
        #expect(captured != text, "the scaffold's portal line changed; update the test")
        try Data(captured.utf8).write(to: config)
        // Capture first, then the data: triggers see what happens after they exist.
        try DemoTests.seedPortal(directory, count: 0, seed: 1)
        let created = try AdapterTools.installCapture(try Deployment.load(config.path), node: "extranet-gw", system: "portal")
        #expect(created.count == 6, "three triggers on each of the portal's two tables: \(created)")
        #expect(try AdapterTools.installCapture(try Deployment.load(config.path), node: "extranet-gw", system: "portal").isEmpty, "installing twice changes nothing")
        try DemoTests.seedPortal(directory, count: 5, seed: 2)

        let deployment = try Deployment.load(config.path)
        let extranet = try Node(deployment: deployment, name: "extranet-gw", logger: Logger(label: "test"))
        let jinhong = try Node(deployment: deployment, name: "jinhong-gw", logger: Logger(label: "test"))
        #expect(try extranet.sync(flow: "applications-in").enqueued == 5, "the snapshot; the change table read after it holds the same rows")
        #expect(try jinhong.receive().applied == 5)

        let portal = try DatabaseQueue(path: directory.appendingPathComponent("data/portal.db").path)
        let ids = try portal.read { db in try String.fetchAll(db, sql: "SELECT app_no FROM applications ORDER BY app_no") }
        try portal.write { db in
            try db.execute(sql: "DELETE FROM applications WHERE app_no IN (?, ?)", arguments: [ids[0], ids[1]])
            try db.execute(sql: "UPDATE applications SET purpose = '更改后的事由', updated_at = '2027-01-01 08:00:00' WHERE app_no = ?",
                arguments: [ids[2]])
        }
        let second = try extranet.sync(flow: "applications-in")
        #expect(second.enqueued == 3 && second.quarantined == 0, "two deletions and an update: \(second)")
        #expect(try jinhong.receive().applied == 3)
        let approval = try DatabaseQueue(path: directory.appendingPathComponent("data/approval.db").path)
        let left = try approval.read { db in try String.fetchAll(db, sql: "SELECT SQBH FROM sqsp ORDER BY SQBH") }
        #expect(left == Array(ids[2...]), "the two deleted applications are gone from the approval system")
        let purpose = try approval.read { db in try String.fetchOne(db, sql: "SELECT CFSY FROM sqsp WHERE SQBH = ?", arguments: [ids[2]]) }
        #expect(purpose == "更改后的事由")
    }

    @Test func adaptersCheckWarnsOfACursorColumnWithoutAnIndex() throws {
        let directory = DemoTests.temporary("index")
        _ = try Scaffold.create(in: directory)
        try DemoTests.seedPortal(directory, count: 1, seed: 3)
        let config = directory.appendingPathComponent("ferry.yaml").path
        let portal = try DatabaseQueue(path: directory.appendingPathComponent("data/portal.db").path)
        #expect(try AdapterTools.check(try Deployment.load(config), node: "extranet-gw", system: "portal").allSatisfy(\.warnings.isEmpty),
            "the shipped portal schema indexes its cursor columns")
        try portal.write { db in try db.execute(sql: "DROP INDEX applications_updated") }
        let before = try AdapterTools.check(try Deployment.load(config), node: "extranet-gw", system: "portal")
        #expect(before.first { $0.entity == "TravelApplication" }?.warnings.first?.contains("no index") == true, "\(before.map(\.warnings))")
        try portal.write { db in try db.execute(sql: "CREATE INDEX applications_updated ON applications(updated_at)") }
        let after = try AdapterTools.check(try Deployment.load(config), node: "extranet-gw", system: "portal")
        #expect(after.first { $0.entity == "TravelApplication" }?.warnings.isEmpty == true)
    }
}
