import Foundation
import Testing
import FerryCore
@testable import FerryMapping

/// `min:` on a list holds whenever the list is there, read or defaulted, required or not;
/// only a list that is absent (NULL, no column) and has no default escapes it.
@Suite struct RealWorldListConstraintTests {
    static let entity = """
        entity: Trip
        key: [id]
        version: v
        fields:
          id:     { type: string, required: true }
          v:      { type: int }
          visits: { type: list, each: { type: string }, min: 1 }
          stops:  { type: list, each: { type: string } }
        """

    let scratch: MappingScratch

    init() throws { scratch = try MappingScratch(entity: Self.entity) }

    func mapping(_ visits: String = "{ column: QWGJ }") throws -> Mapping {
        try scratch.mapping("""
            system: s
            entity: Trip
            fields:
              id: { column: ID }
              v: { column: V }
              visits: \(visits)
              stops: { column: STOPS }
            """)
    }

    func read(_ m: Mapping, _ row: [String: Value]) -> MappedRow { m.read(["ID": "T1", "V": "1"].merging(row) { _, new in new }) }

    @Test func anEmptyListIsPresentAndBreaksMin() throws {
        let m = try mapping()
        for empty: Value in ["", "  ", []] {
            let result = read(m, ["QWGJ": empty])
            #expect(result.issues.map(\.rule) == ["min"], "\(empty)")
            #expect(result.issues.first?.message.contains("at least 1") == true)
        }
        #expect(read(m, ["QWGJ": "AUS"]).field("visits") == ["AUS"])
        #expect(read(m, ["QWGJ": ["AUS", "USA"]]).field("visits") == ["AUS", "USA"])
    }

    @Test func anAbsentListWithoutADefaultIsFine() throws {
        let m = try mapping()
        #expect(read(m, [:]).field("visits") == .null)
        #expect(read(m, ["QWGJ": .null]).field("visits") == .null)
    }

    @Test func aDefaultIsHeldToMinToo() throws {
        let m = try mapping("{ column: QWGJ, default: \"CHN\" }")
        #expect(read(m, [:]).field("visits") == ["CHN"])
        #expect(read(m, ["QWGJ": ""]).issues.map(\.rule) == ["min"], "present but empty: the default is for absence")
        let error = try #require(scratch.refusal("""
            system: s
            entity: Trip
            fields:
              id: { column: ID }
              v: { column: V }
              visits: { column: QWGJ, default: "" }
            """))
        #expect(error.message.contains("gives visits 0 item(s)") && error.message.contains("min: 1"), "\(error.message)")
        #expect(error.location?.description.hasSuffix(":6:36") == true, "\(error.location?.description ?? "none")")
    }

    @Test func anEmptyListRoundTripsAsEmptyNotAbsent() throws {
        let m = try mapping()
        let record = try #require(read(m, ["QWGJ": "AUS", "STOPS": ""]).record)
        #expect(record.fields["stops"] == [])
        let row = try m.write(record)
        #expect(row["STOPS"] == "" && row["QWGJ"] == "AUS")
        #expect(read(m, ["QWGJ": "AUS", "STOPS": row["STOPS"] ?? .null]).field("stops") == [])
    }
}
