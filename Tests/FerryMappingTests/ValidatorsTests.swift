import Testing
@testable import FerryMapping

@Suite struct ValidatorsTests {
    @Test func residentIDCheckDigitsFollowGB11643() {
        #expect(Validators.isResidentID("350203198001010013"))
        #expect(Validators.isResidentID("11010519491231002X"))  // the standard's own example
        #expect(!Validators.isResidentID("350203198001010010"))  // wrong check digit
        #expect(!Validators.isResidentID("350203198002300019"))  // 30 February
        #expect(!Validators.isResidentID("35020319800101001"))  // too short
        #expect(!Validators.isResidentID("3502031980010100１3"))  // full-width digit
        #expect(Validators.residentIDCheck("11010519491231002") == "X")
    }

    @Test func creditCodesFollowGB32100() {
        #expect(Validators.isUSCC("91350200MA2YH12349"))
        #expect(Validators.isUSCC("91110000600037341L"))
        #expect(!Validators.isUSCC("91350200MA2YH12340"))
        #expect(!Validators.isUSCC("91350200MA2YI12349"))  // I is not in the alphabet
        #expect(Validators.usccCheck("91350200MA2YH1234") == "9")
    }

    @Test func datePatternsAreStrict() {
        let pattern = DatePattern("yyyyMMdd")
        #expect(pattern.parse("20240229") == DatePattern.Parts(year: 2024, month: 2, day: 29))
        #expect(pattern.parse("20230229") == nil)
        #expect(pattern.parse("2024022") == nil)
        #expect(pattern.parse("202402291") == nil)
        let stamp = DatePattern("yyyy-MM-dd HH:mm:ss")
        let parts = stamp.parse("2026-11-24 23:59:58")
        #expect(parts.map(DatePattern.isoTimestamp.format) == "2026-11-24T23:59:58Z")
        #expect(stamp.parse("2026-11-24 24:00:00") == nil)
    }

    @Test func halfwidthNormalisesFullWidthDigitsAndLetters() {
        #expect(Transform.halfwidth.apply("３５０２０３ＡＢｃ") == "350203ABc")
        #expect(Transform.trim.apply("\u{3000} 王伟 ") == "王伟")
        #expect(Transform.nfc.apply("e\u{301}") == "é")
    }
}
