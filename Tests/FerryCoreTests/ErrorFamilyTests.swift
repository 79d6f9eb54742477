import Testing
import FerryCore

/// Callers decide by an error's family, not by spelling out code prefixes.
@Suite struct ErrorFamilyTests {
    @Test func aCodesFamilyIsItsFirstSegment() {
        #expect(FerryError.Code(rawValue: "transport.full").family == .transport)
        #expect(FerryError.Code(rawValue: "transport").family == .transport)
        #expect(FerryError.Code(rawValue: "bundle.replay").family == .bundle)
        #expect(FerryError.Code.config.family == .config)
        #expect(FerryError.Code(rawValue: "transportation.x").family == .other, "a prefix of a segment is not the family")
        #expect(FerryError.Code(rawValue: "").family == .other)
    }
}
