import Foundation
import GRDB
import Testing
import FerryCore
@testable import FerryNode
@testable import FerryOps

/// Empty string and NULL are different values, end to end: a text field cleared at the
/// source is cleared at the target, and '' never becomes NULL on the way.
@Suite struct RealWorldEmptyStringTests {
    @Test func aClearedTextFieldArrivesAsTheEmptyStringAndNullStaysNull() throws {
        let fixture = try TwoZoneFixture("empty-string")
        try DemoTests.seedPortal(fixture.directory, count: 3, seed: 51)
        #expect(try fixture.hop().receive.applied == 3)
        let numbers = try fixture.applicationNumbers()
        try fixture.portal.write { db in
            try db.execute(sql: "UPDATE applications SET purpose = '', updated_at = '2027-01-01 08:00:00' WHERE app_no = ?", arguments: [numbers[0]])
            try db.execute(sql: "UPDATE applications SET purpose = NULL, updated_at = '2027-01-01 08:00:01' WHERE app_no = ?", arguments: [numbers[1]])
            try db.execute(sql: "UPDATE applications SET purpose = '   ', updated_at = '2027-01-01 08:00:02' WHERE app_no = ?", arguments: [numbers[2]])
        }
        let (sync, receive) = try fixture.hop()
        #expect(sync.quarantined == 0 && receive.applied == 3, "\(sync) \(receive)")
        let purposes = try fixture.approval.read { db in
            try Dictionary(uniqueKeysWithValues: Row.fetchAll(db, sql: "SELECT SQBH, CFSY, typeof(CFSY) AS t FROM sqsp").map {
                ($0["SQBH"] as String, ($0["CFSY"] as String?, $0["t"] as String))
            })
        }
        #expect(purposes[numbers[0]]?.0 == "" && purposes[numbers[0]]?.1 == "text", "cleared to '' at the source, '' at the target")
        #expect(purposes[numbers[1]]?.1 == "null", "NULL stays NULL")
        #expect(purposes[numbers[2]]?.0 == "", "blanks trimmed by the mapping leave the empty string, not NULL")
    }
}
