/// Masks personal data in free text that comes from outside Ferry (a sink's or source's
/// error, an HTTP answer, a program's standard error) before it is stored or shown: such
/// text often quotes the very value a system refused ("CHECK constraint failed:
/// sfzh = '350503198809141506'").
///
/// What it masks, each with ``Masking/mask(_:)`` of the matched text (the masking of fields
/// marked `personal`), so `350503198809141506` becomes `350503********1506`:
/// - **values** the caller passes: the values of a record's fields its entity marks
///   `personal`, wherever they occur, also as JSON writers quote them in ASCII
///   (`\u738b\u4f1f` for `王伟`, which then shows as the mask of `王伟`); values of fewer
///   than 2 Unicode scalars are ignored (masking every `1` would say nothing and destroy
///   the message);
/// - **resident ID numbers** of GB 11643-1999 (公民身份号码): 17 digits and a check
///   character (a digit or `X`), and the older 15-digit form; also grouped 6-8-4
///   (6-6-3 for the old form) with one space or dash between groups. The check character is
///   not verified: the point is privacy, and a number with a wrong check digit is still
///   someone's number;
/// - **passport numbers** (Chinese passports and permits): a letter `E G D S P H M`
///   followed by 7 or 8 digits (`E12345678`, `G1234567`), or such a letter and one more
///   letter followed by 7 digits (`EA1234567`); upper or lower case;
/// - **mobile numbers** of mainland China: 11 digits `1[3-9]xxxxxxxxx`, optionally after
///   `+86`, `86` or `0086`, also grouped 3-4-4 with spaces or dashes (`+86 138-1234-5678`);
/// - with ``masksLongRuns``, any other run of 6 or more ASCII letters and digits holding a
///   digit (tokens, account numbers a web service echoes).
///
/// Matching works on Unicode scalars, never grapheme clusters, so a combining mark or a
/// format character glued to a digit (`3\u{301}5…`, U+200B, U+0600, bidi controls: general
/// categories Mn, Mc, Me and Cf) neither hides a number nor splits it. A digit is any
/// decimal digit (`Nd`: ASCII, fullwidth `３`, Arabic-Indic…).
///
/// **Longer digit runs are left alone**: a pattern matches only where the digits before and
/// after it are not digits, so a 20-digit sequence number is not read as an ID number with two
/// digits to spare, and an 18-digit piece of it is not masked. Such a run is not an ID number
/// of any form GB 11643 knows; masking part of it would mislead more than it protects.
///
/// Input is scanned once, left to right, with bounded look-ahead (no regular expressions,
/// no recursion), over at most `limit` scalars plus a margin; the result holds at most
/// `limit` scalars of the text followed by ``cutMark`` when it was longer.
public struct FreeTextRedactor: Sendable {
    /// The default cap, in Unicode scalars, of a reason Ferry stores or shows.
    public static let defaultLimit = 1000
    /// Appended when the text was cut to `limit`.
    public static let cutMark = "…[cut]"

    /// At most this many Unicode scalars of the text are kept.
    public var limit: Int
    /// Also mask any run of 6 or more ASCII letters and digits that holds a digit.
    public var masksLongRuns: Bool

    /// Values to mask, as scalars with what shows instead, by their first scalar, longest first.
    private let values: [Unicode.Scalar: [(scalars: [Unicode.Scalar], shown: String)]]
    /// Scalars read past `limit`, so a match that starts before the cut is seen whole.
    private let margin: Int

    /// - Parameters:
    ///   - values: texts to mask wherever they occur (a record's personal values).
    ///   - limit: the most Unicode scalars kept; at least 1.
    ///   - masksLongRuns: also mask other long runs of letters and digits.
    public init(values: some Sequence<String> = [String](), limit: Int = defaultLimit, masksLongRuns: Bool = false) {
        var byFirst: [Unicode.Scalar: [[Unicode.Scalar]: String]] = [:]
        var longest = 0
        for value in values where value.unicodeScalars.count >= 2 {
            let shown = Masking.mask(value)
            for form in [value] + Self.jsonEscaped(value) {
                let scalars = Array(form.unicodeScalars)
                guard let first = scalars.first else { continue }
                byFirst[first, default: [:]][scalars] = shown
                longest = max(longest, scalars.count)
            }
        }
        self.values = byFirst.mapValues { forms in forms.map { (scalars: $0.key, shown: $0.value) }.sorted { $0.scalars.count > $1.scalars.count } }
        self.limit = max(1, limit)
        self.masksLongRuns = masksLongRuns
        // The longest pattern is a grouped mobile number with its prefix (about 20
        // scalars); glued marks may add more, which the cap then cuts.
        self.margin = max(64, longest + 1)
    }

    /// Whether there is nothing to mask but the patterns.
    public var hasValues: Bool { !values.isEmpty }

    /// `text` with personal data masked and cut to `limit` scalars.
    public func callAsFunction(_ text: String) -> String { redact(text) }

    /// `text` with personal data masked and cut to `limit` scalars.
    public func redact(_ text: String) -> String {
        let window = limit.addingReportingOverflow(margin)
        let readable = window.overflow ? Int.max : window.partialValue
        var scalars: [Unicode.Scalar] = []
        var longer = false
        for scalar in text.unicodeScalars {
            guard scalars.count < readable else { longer = true; break }
            scalars.append(scalar)
        }
        let text = ScalarText(scalars)
        var out = String.UnicodeScalarView()
        var index = 0
        while index < scalars.count {
            if let (end, shown) = match(in: text, at: index), end > index {
                out.append(contentsOf: (shown ?? Masking.mask(String(String.UnicodeScalarView(scalars[index..<end])))).unicodeScalars)
                index = end
            } else {
                out.append(scalars[index])
                index += 1
            }
        }
        guard longer || out.count > limit else { return String(out) }
        return String(String.UnicodeScalarView(out.prefix(limit))) + Self.cutMark
    }

    /// The end of the longest match starting at `index`, if any, and what shows instead
    /// when it is not the mask of the matched text.
    private func match(in text: ScalarText, at index: Int) -> (end: Int, shown: String?)? {
        var best: (end: Int, shown: String?)?
        if let candidates = values[text.scalars[index]] {
            for value in candidates where text.scalars[index...].starts(with: value.scalars) {
                best = (index + value.scalars.count, value.shown)
                break
            }
        }
        guard !text.isTransparent(index) else { return best }
        func consider(_ end: Int?) {
            if let end, end > (best?.end ?? index) { best = (end, nil) }
        }
        consider(PersonalPatterns.residentID(in: text, at: index))
        consider(PersonalPatterns.mobile(in: text, at: index))
        consider(PersonalPatterns.passport(in: text, at: index))
        if masksLongRuns { consider(PersonalPatterns.longRun(in: text, at: index)) }
        return best
    }

    /// `text` as a JSON writer that keeps to ASCII quotes it, with lower- and upper-case
    /// hex (`\u738b\u4f1f`, `\u738B\u4F1F`); nothing for ASCII text, which it leaves alone.
    static func jsonEscaped(_ text: String) -> [String] {
        guard !text.unicodeScalars.allSatisfy(\.isASCII) else { return [] }
        return [false, true].map { upper in
            var out = ""
            for scalar in text.unicodeScalars {
                if scalar.isASCII { out.unicodeScalars.append(scalar); continue }
                for unit in String(scalar).utf16 {
                    let hex = String(unit, radix: 16, uppercase: upper)
                    out += "\\u" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
                }
            }
            return out
        }
    }
}

/// Scalars with the classes the patterns need, looked up once per scalar.
struct ScalarText {
    let scalars: [Unicode.Scalar]

    init(_ scalars: [Unicode.Scalar]) { self.scalars = scalars }

    var count: Int { scalars.count }

    /// A mark or format character: drawn on or beside its neighbour, never apart from it.
    func isTransparent(_ index: Int) -> Bool {
        let scalar = scalars[index]
        if scalar.isASCII { return false }
        switch scalar.properties.generalCategory {
        case .nonspacingMark, .spacingMark, .enclosingMark, .format: return true
        default: return false
        }
    }

    /// The decimal digit value of the scalar at `index`, for any `Nd` digit.
    func digit(_ index: Int) -> Int? {
        let scalar = scalars[index]
        if scalar.isASCII { return (48...57).contains(scalar.value) ? Int(scalar.value - 48) : nil }
        guard scalar.properties.numericType == .decimal, let value = scalar.properties.numericValue, value >= 0, value <= 9 else {
            return nil
        }
        return Int(value)
    }

    /// The scalar at `index` as an upper-case ASCII letter, fullwidth letters included.
    func letter(_ index: Int) -> Unicode.Scalar? {
        var value = scalars[index].value
        if (0xFF21...0xFF3A).contains(value) || (0xFF41...0xFF5A).contains(value) { value -= 0xFEE0 }
        if (0x61...0x7A).contains(value) { value -= 0x20 }
        return (0x41...0x5A).contains(value) ? Unicode.Scalar(value) : nil
    }

    /// One space or dash between groups of digits.
    func isSeparator(_ index: Int) -> Bool {
        switch scalars[index].value {
        case 0x20, 0x2D, 0xA0, 0x2010, 0x2011, 0x2012, 0x2013, 0x3000, 0xFF0D: return true
        default: return false
        }
    }

    func isPlus(_ index: Int) -> Bool { scalars[index] == "+" || scalars[index] == "\u{FF0B}" }

    /// The next index at or after `index` that is not transparent, or nil at the end.
    func significant(from index: Int) -> Int? {
        var index = index
        while index < count {
            if !isTransparent(index) { return index }
            index += 1
        }
        return nil
    }

    /// The last index before `index` that is not transparent, or nil at the start.
    func significant(before index: Int) -> Int? {
        var index = index - 1
        while index >= 0 {
            if !isTransparent(index) { return index }
            index -= 1
        }
        return nil
    }

    /// Just past `index` and the transparent scalars glued after it.
    func end(after index: Int) -> Int {
        var end = index + 1
        while end < count, isTransparent(end) { end += 1 }
        return end
    }

    /// The significant scalar before `index` that can join a number or word: nil at the
    /// start and after an escape (`\u53f7`, `\n`), whose last letter or hex digit belongs to
    /// the escape. Systems that answer in JSON escape every Chinese character, so
    /// `身份证号350503…` arrives as `\u8eab\u4efd\u8bc1\u53f7350503…`.
    func joinable(before index: Int) -> Int? {
        guard let previous = significant(before: index), !endsEscape(previous) else { return nil }
        return previous
    }

    /// Whether `index` is the last scalar of a JSON or C escape: `\uXXXX` or `\n`, `\t`…
    func endsEscape(_ index: Int) -> Bool {
        func hex(_ at: Int) -> Bool {
            let value = scalars[at].value
            return (0x30...0x39).contains(value) || (0x41...0x46).contains(value) || (0x61...0x66).contains(value)
        }
        if index >= 5, scalars[index - 5] == "\\", scalars[index - 4] == "u", (index - 3...index).allSatisfy(hex) { return true }
        return index >= 1 && scalars[index - 1] == "\\" && "ntrbf".unicodeScalars.contains(scalars[index])
    }

    /// Whether the text before `index` ends in a digit.
    func digitBefore(_ index: Int) -> Bool { joinable(before: index).map { digit($0) != nil } ?? false }

    /// Whether the text from `index` starts with a digit.
    func digitAt(_ index: Int) -> Bool { significant(from: index).map { digit($0) != nil } ?? false }
}

extension FerryError {
    /// This error with its message and hint masked by `redactor`: for errors whose text
    /// comes from outside Ferry (a source's or sink's own words) before they are shown.
    public func masked(by redactor: FreeTextRedactor) -> FerryError {
        var error = self
        error.message = redactor(message)
        error.hint = hint.map(redactor.redact)
        return error
    }
}
