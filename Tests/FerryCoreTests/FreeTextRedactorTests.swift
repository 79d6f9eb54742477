import Testing
import FerryCore

/// What an operator or auditor reads when a system's error quotes personal data: the masked
/// form only, whatever marks or widths the text carries, and longer numbers left alone.
@Suite struct FreeTextRedactorTests {
    let redact = FreeTextRedactor()
    let id = "350503198809141506"

    @Test func anIDNumberQuotedInAnErrorIsMaskedLikeAPersonalField() {
        let text = "CHECK constraint failed: sfzh = '\(id)' is blocked"
        #expect(redact(text) == "CHECK constraint failed: sfzh = '\(Masking.mask(id))' is blocked")
        #expect(Masking.mask(id) == "350503********1506")
    }

    @Test(arguments: [
        "11010519491231002X", "11010519491231002x", "110105194912310021" /* wrong check digit: still someone's number */,
        "350503880914150" /* the old 15-digit form */, "350503 19880914 1506", "350503-19880914-1506", "350503 880914 150",
        "３５０５０３１９８８０９１４１５０６" /* fullwidth */,
    ])
    func everyFormOfResidentIDIsMasked(_ number: String) {
        let shown = redact("身份证号\(number)不合法")
        #expect(shown == "身份证号\(Masking.mask(number))不合法")
        #expect(shown.contains("*"))
    }

    @Test(arguments: ["E12345678", "G1234567", "D1234567", "S12345678", "P1234567", "H12345678", "M1234567", "EA1234567", "ed1234567", "e12345678"])
    func passportNumbersAreMasked(_ number: String) {
        #expect(redact("passport \(number): expired") == "passport \(Masking.mask(number)): expired")
    }

    @Test(arguments: ["13812345678", "+8613812345678", "+86 138 1234 5678", "86-138-1234-5678", "008619912345678", "138-1234-5678",
        "＋86 13812345678"])
    func mobileNumbersAreMasked(_ number: String) {
        #expect(redact("tel: \(number).") == "tel: \(Masking.mask(number)).")
    }

    @Test(arguments: [
        "35050319880914150612" /* a 20-digit sequence number */, "3505031988091415061", "35050319880914150" /* 17 digits, no check */,
        "1350503198809141506", "12812345678" /* 12x is no mobile prefix */, "138123456789", "E123456789", "X1234567", "CODE12345678",
        "2026-05-01 12:00:00", "WB2026000001",
    ])
    func longerRunsAndOtherShapesAreLeftAlone(_ text: String) {
        #expect(redact("seq \(text) done") == "seq \(text) done")
    }

    @Test func marksAndFormatCharactersGluedToDigitsNeitherHideNorSplitANumber() {
        for glue in ["\u{301}", "\u{200B}", "\u{200D}", "\u{202E}", "\u{FE0F}", "\u{20E3}", "\u{AD}"] {
            let glued = "3" + glue + "50503198809" + glue + "141506" + glue
            let shown = redact("value '\(glued)' refused")
            #expect(shown == "value '\(Masking.mask(glued))' refused", "glue U+\(String(glue.unicodeScalars.first!.value, radix: 16))")
            #expect(!Self.digits(shown).contains("19880914"))
        }
        // A prepended concatenation mark before the number, and a digit before it behind a mark.
        let prepended = "\u{600}" + id
        let prependedShown = "\u{600}" + Masking.mask(id)
        #expect(redact(prepended) == prependedShown)
        let longer = "1\u{301}" + id
        #expect(redact(longer) == longer, "a digit before, even behind a mark, makes a longer run")
    }

    @Test func aRecordsPersonalValuesAreMaskedWhereverTheyOccur() {
        let redact = FreeTextRedactor(values: ["王伟", "Zhang San", "1", id])
        let shown = redact("王伟 (Zhang San, 1 of 1) has 王伟's number \(id)")
        #expect(shown == "** (Zh*** San, 1 of 1) has **'s number \(Masking.mask(id))")
        #expect(redact.hasValues)
        #expect(!FreeTextRedactor().hasValues)
    }

    @Test func aValueQuotedAsJSONInASCIIShowsAsTheMaskOfTheValue() {
        let redact = FreeTextRedactor(values: ["王伟"])
        let python = #"{"XM": "\u738b\u4f1f", "ok": 1}"#
        let jackson = #"{"XM": "\u738B\u4F1F"}"#
        #expect(redact(python) == #"{"XM": "**", "ok": 1}"#)
        #expect(redact(jackson) == #"{"XM": "**"}"#)
    }

    @Test func numbersRightAfterAJSONEscapeAreMaskedToo() {
        // Python's json.dumps escapes every Chinese character: 身份证号350503… and 护照E1234…
        let answer = #"{"msg": "\u53f7350503198809141506\u4e0d", "p": "\u7167E12345678\nG1234567", "t": "\u673a13912345678"}"#
        let shown = #"{"msg": "\u53f7350503********1506\u4e0d", "p": "\u7167E1***5678\nG1**4567", "t": "\u673a13*****5678"}"#
        #expect(redact(answer) == shown)
    }

    @Test func reasonsAreCappedAndHugeHostileTextIsCutFast() {
        let capped = FreeTextRedactor(limit: 40)
        let text = String(repeating: "x", count: 39) + id
        let shown = capped(text)
        #expect(shown == String(repeating: "x", count: 39) + "3" + FreeTextRedactor.cutMark)
        let huge = String(repeating: "3\u{301}", count: 2_000_000) + id
        let cut = redact(huge)
        #expect(cut.unicodeScalars.count <= FreeTextRedactor.defaultLimit + FreeTextRedactor.cutMark.unicodeScalars.count)
        #expect(cut.hasSuffix(FreeTextRedactor.cutMark))
        // A whole log line of hostile shapes, as a program's standard error may hold.
        let wide = FreeTextRedactor(limit: 1 << 16)
        for piece in ["1\u{301}", "+86 1", "E1", "\\u53f71", "138 ", "1\u{200B}\u{200B}\u{200B}3"] {
            let line = String(repeating: piece, count: (1 << 16) / piece.unicodeScalars.count)
            #expect(wide(line).unicodeScalars.count <= line.unicodeScalars.count)
        }
    }

    @Test func lonelySurrogatesBecomeReplacementCharactersThatSeparateNothing() {
        let lone: [UInt8] = [0xED, 0xA0, 0x80]
        let text = String(decoding: lone + Array(id.utf8) + lone, as: UTF8.self)
        #expect(redact(text) == String(decoding: lone + Array(Masking.mask(id).utf8) + lone, as: UTF8.self))
        #expect(text.unicodeScalars.first == "\u{FFFD}")
    }

    @Test func longRunsOfLettersAndDigitsCanBeMaskedToo() {
        let scrub = FreeTextRedactor(masksLongRuns: true)
        #expect(scrub("token abc123def456 and order 12345 ok") == "token ab******f456 and order 12345 ok")
        #expect(scrub("id \(id)") == "id \(Masking.mask(id))")
    }

    /// Random text from a hostile alphabet, with a number planted between non-digits: the
    /// number never survives, nothing traps, the cap holds, and masking twice changes nothing.
    @Test func randomHostileTextNeverShowsAPlantedNumber() {
        var random = SplitMix64(seed: 16)
        let alphabet: [String] = ["a", "Z", " ", "-", "+", "8", "6", "1", "3", "X", "E", "\u{301}", "\u{200D}", "\u{600}", "\u{202E}",
            "\u{FFFD}", "<", "'", "王", "３", "\u{1F469}\u{200D}\u{1F4BB}", "\n", "*"]
        let planted = ["350503198809141506", "13912345678", "G12345678", "11010519491231002X"]
        let redact = FreeTextRedactor()
        for _ in 0..<2_000 {
            var text = ""
            for _ in 0..<random.below(60) { text += alphabet[random.below(alphabet.count)] }
            let number = planted[random.below(planted.count)]
            text += " \(number) "
            for _ in 0..<random.below(60) { text += alphabet[random.below(alphabet.count)] }
            let shown = redact(text)
            #expect(!shown.contains(number), "\(text.debugDescription) → \(shown.debugDescription)")
            #expect(shown.unicodeScalars.count == text.unicodeScalars.count, "masking keeps the length")
            #expect(redact(shown) == shown)
        }
    }

    static func digits(_ text: String) -> String {
        String(String.UnicodeScalarView(text.unicodeScalars.filter { ("0"..."9").contains($0) }))
    }
}
