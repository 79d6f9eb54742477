import Testing
import FerryCore
import FerrySeal

/// The lines inside bundles, as docs/bundle-format.md spells them.
@Suite struct LineFormatTests {
    @Test func resendLinesRoundTripAndBadOnesAreRefused() throws {
        let line = ResendLine(lane: "extranet→jinhong", sequence: 42).line
        #expect(String(decoding: line, as: UTF8.self) == #"{"lane":"extranet→jinhong","sequence":42}"#)
        #expect(try ResendLine(line: line) == ResendLine(lane: "extranet→jinhong", sequence: 42))
        for bad in [#"{"lane":"a→b"}"#, #"{"sequence":-1}"#, #"{"sequence":"7"}"#, "[]", "not json"] {
            #expect(throws: FerryError.self, "\(bad)") { try ResendLine(line: Array(bad.utf8)) }
        }
    }

    @Test func receiptLinesRoundTrip() throws {
        let receipt = ReceiptLine(bundle: "b1", entity: "TravelApplication", key: "WB2026000001", version: "v", outcome: "applied", detail: nil)
        let read = try ReceiptLine(line: receipt.line)
        #expect(read.bundle == "b1" && read.entity == "TravelApplication" && read.key == "WB2026000001" && read.outcome == "applied" && read.detail == nil)
        #expect(throws: FerryError.self) { try ReceiptLine(line: Array(#"{"bundle":"b1"}"#.utf8)) }
    }
}
