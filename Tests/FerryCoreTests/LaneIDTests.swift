import Testing
import FerryCore

/// Lane names are spelt and split in one place, by scalar.
@Suite struct LaneIDTests {
    @Test func aLaneNameRoundTrips() throws {
        let lane = try #require(LaneID("extranet→jinhong"))
        #expect(lane == LaneID(from: "extranet", to: "jinhong") && lane.name == "extranet→jinhong")
        #expect(lane.reversed.name == "jinhong→extranet" && !lane.isLocal && LaneID(from: "a", to: "a").isLocal)
    }

    @Test func malformedOrHostileNamesAreRefused() {
        for name in ["extranet", "→jinhong", "extranet→", "a→b→c", "a->b", ""] {
            #expect(LaneID(name) == nil, "\(name)")
        }
        // A mark glued to the arrow is still an arrow; the zone then fails the identifier check.
        let glued = "a→\u{301}b"
        #expect(LaneID(glued)?.to == "\u{301}b")
        #expect(LaneID(glued, identifiers: true) == nil)
        #expect(LaneID("<b>→jinhong", identifiers: true) == nil)
        #expect(LaneID("extranet→jinhong", identifiers: true) != nil)
    }
}
