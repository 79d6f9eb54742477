import FerryCore

/// Date and time patterns such as `yyyyMMdd`, `yyyy年M月d日` or `yyyy-MM-dd'T'HH:mm:ss.SSSXXX`,
/// in the pattern letters of Unicode TR35 (the ones Java's DateTimeFormatter and ICU use, and
/// so the ones Chinese systems' interface documents are written in). The tokens are listed in
/// `DatePattern.tokenHelp`; any other ASCII letter must be quoted (`'T'`), and every other
/// character, CJK included, is literal. Hand-rolled because it is strict (no lenient
/// guessing), locale-free and fast on millions of rows.
public struct DatePattern: Sendable, Equatable {
    /// The parts of a date a number token holds.
    enum Field: Equatable, CaseIterable {
        case year, month, day, hour, minute, second
    }

    /// How an offset from UTC is spelt (TR35 letters).
    enum OffsetStyle: Equatable {
        /// `X`: `Z`, `+08` or `+0530`.
        case hours
        /// `XX`: `Z` or `+0800`.
        case basic
        /// `XXX`: `Z` or `+08:00` (ISO 8601 extended, RFC 3339).
        case extended
        /// `Z`: `+0800`, and `+0000` for UTC (RFC 822); no letter Z.
        case rfc822
    }

    enum Token: Equatable {
        /// `yyyy` (4 digits) or `MM dd HH mm ss` (2 digits); unpadded `M d H m s` take 1 or 2
        /// digits when reading and write no leading zero.
        case number(Field, padded: Bool)
        /// `S…S`: exactly that many digits of a fraction of a second (1 to 9).
        case fraction(Int)
        /// ISO 8601 text: a `.` and 1 to 9 digits, or nothing; written only when there is a fraction.
        case optionalFraction
        case offset(OffsetStyle)
        case literal(String)
    }

    let tokens: [Token]
    public let text: String
    /// The system's clock, in seconds east of UTC: its times are local (+08:00 for Beijing
    /// time) and canonical timestamps are UTC. Fixed offsets only: China keeps no summer time.
    /// An offset written in the text itself (`XXX`, `Z`) wins over it.
    public var utcOffset = 0

    /// Canonical dates: `2026-02-01`.
    public static let isoDate = DatePattern(text: "yyyy-MM-dd", tokens: [
        .number(.year, padded: true), .literal("-"), .number(.month, padded: true), .literal("-"), .number(.day, padded: true),
    ])
    /// Canonical timestamps: UTC, `2026-02-01T01:30:00Z`, with the fraction of a second the
    /// source gave and no trailing zeros (`2026-02-01T01:30:00.123Z`, up to 9 digits).
    public static let isoTimestamp = DatePattern(text: "yyyy-MM-dd'T'HH:mm:ss[.S…]'Z'", tokens: isoDate.tokens + clock + [
        .optionalFraction, .literal("Z"),
    ])
    /// What a timestamp field without a format reads: RFC 3339 (ISO 8601 extended) text with
    /// an optional fraction and an offset, `2026-02-01T09:30:00.5+08:00` or `…Z`.
    public static let rfc3339 = DatePattern(text: "yyyy-MM-dd'T'HH:mm:ss[.S…]XXX", tokens: isoDate.tokens + clock + [
        .optionalFraction, .offset(.extended),
    ])
    /// Local timestamps as databases print them, without an offset: ISO 8601 with `T` or a
    /// space, any fraction. Read in the mapping's zone when a field has no format.
    public static let isoLocal = [
        DatePattern(text: "yyyy-MM-dd'T'HH:mm:ss[.S…]", tokens: isoDate.tokens + clock + [.optionalFraction]),
        DatePattern(text: "yyyy-MM-dd HH:mm:ss[.S…]", tokens: isoDate.tokens + [.literal(" ")] + clock.dropFirst() + [.optionalFraction]),
    ]
    public static let compact = DatePattern(text: "yyyyMMdd", tokens: [
        .number(.year, padded: true), .number(.month, padded: true), .number(.day, padded: true),
    ])

    static let clock: [Token] = [
        .literal("T"), .number(.hour, padded: true), .literal(":"), .number(.minute, padded: true), .literal(":"),
        .number(.second, padded: true),
    ]

    init(text: String, tokens: [Token]) {
        self.text = text
        self.tokens = tokens
    }

    /// A pattern Ferry itself spells (`yyyy-MM-dd HH:mm:ss`). One that is not valid matches
    /// only its own text and formats as that text, which shows at once; mapping files go
    /// through `init(validating:)`, which says what is wrong.
    public init(_ text: String) {
        self.init(text: text, tokens: (try? Self.compile(text)) ?? [.literal(text)])
    }

    /// A pattern from a mapping file.
    /// - Throws: `PatternError` naming the character at fault and the tokens there are.
    public init(validating text: String) throws(PatternError) {
        self.init(text: text, tokens: try Self.compile(text))
    }

    public var hasTime: Bool { tokens.contains(.number(.hour, padded: true)) || tokens.contains(.number(.hour, padded: false)) }

    /// Whether text of this pattern says its own offset from UTC.
    var hasOffset: Bool { tokens.contains { if case .offset = $0 { return true } else { return false } } }

    /// The most digits of a fraction of a second this pattern can write: 0 without `S`.
    var fractionDigits: Int {
        for token in tokens {
            if case .fraction(let count) = token { return count }
            if token == .optionalFraction { return 9 }
        }
        return 0
    }

    /// `+08:00`, `-05:30`, `Z` or `UTC` → seconds east of UTC.
    public static func offset(_ text: String) -> Int? {
        if text == "Z" || text == "UTC" { return 0 }
        var bytes = Array(text.utf8)[...]
        return readOffset(&bytes, .extended, acceptZ: false).flatMap { bytes.isEmpty ? $0 : nil }
    }

    /// Local parts of this pattern's clock → UTC parts; nil when the result leaves years 0000–9999.
    func toUTC(_ parts: Parts) -> Parts? {
        var local = parts
        let offset = local.offset ?? utcOffset
        local.offset = nil
        return offset == 0 ? local : Self.shift(local, by: -offset)
    }

    /// UTC parts → local parts of this pattern's clock, carrying the offset an `X` or `Z` writes.
    func fromUTC(_ parts: Parts) -> Parts? {
        guard var local = utcOffset == 0 ? parts : Self.shift(parts, by: utcOffset) else { return nil }
        local.offset = utcOffset
        return local
    }

    /// `parts` moved by `seconds`, in whole-day arithmetic on the proleptic Gregorian
    /// calendar (no text round trip: this runs for every timestamp a mapping reads or
    /// writes). Nil when a part is out of its range (a day up to 31 in any month rolls over
    /// into the next, as `Timestamp.parse` does) or the result leaves the years 0000–9999.
    /// The fraction is carried unchanged; the offset is dropped.
    static func shift(_ parts: Parts, by seconds: Int) -> Parts? {
        guard (0...9999).contains(parts.year),
            let start = Timestamp.seconds(parts.year, parts.month, parts.day, parts.hour, parts.minute, parts.second)
        else { return nil }
        let (year, month, day, secondOfDay) = Timestamp.civil(fromSeconds: start + Int64(seconds))
        guard (0...9999).contains(year) else { return nil }
        return Parts(year: year, month: month, day: day, hour: secondOfDay / 3600, minute: secondOfDay / 60 % 60,
            second: secondOfDay % 60, fraction: parts.fraction)
    }

    public struct Parts: Equatable, Sendable {
        public var year = 0, month = 1, day = 1, hour = 0, minute = 0, second = 0
        /// The fraction of a second as its decimal digits after the point, without trailing
        /// zeros (`"123"` for .123, `""` for none): kept as text so no digit is rounded away.
        public var fraction = ""
        /// The offset from UTC the text gave, in seconds east; nil when it gave none.
        public var offset: Int?

        public init(year: Int = 0, month: Int = 1, day: Int = 1, hour: Int = 0, minute: Int = 0, second: Int = 0, fraction: String = "") {
            (self.year, self.month, self.day, self.hour, self.minute, self.second) = (year, month, day, hour, minute, second)
            self.fraction = fraction
        }

        subscript(field: Field) -> Int {
            get {
                switch field {
                case .year: year
                case .month: month
                case .day: day
                case .hour: hour
                case .minute: minute
                case .second: second
                }
            }
            set {
                switch field {
                case .year: year = newValue
                case .month: month = newValue
                case .day: day = newValue
                case .hour: hour = newValue
                case .minute: minute = newValue
                case .second: second = newValue
                }
            }
        }
    }

    /// The parts of `input`, or nil unless it matches the whole pattern with real values.
    public func parse(_ input: String) -> Parts? {
        var parts = Parts()
        var bytes = Array(input.utf8)[...]
        for token in tokens {
            switch token {
            case .number(let field, let padded):
                let width = field == .year ? 4 : 2
                guard let value = Self.readDigits(&bytes, min: padded ? width : 1, max: width), Self.fits(value, field) else { return nil }
                parts[field] = value
            case .fraction(let count):
                guard let digits = Self.readFraction(&bytes, min: count, max: count) else { return nil }
                parts.fraction = digits
            case .optionalFraction:
                if bytes.first == UInt8(ascii: ".") {
                    bytes = bytes.dropFirst()
                    guard let digits = Self.readFraction(&bytes, min: 1, max: 9) else { return nil }
                    parts.fraction = digits
                }
            case .offset(let style):
                guard let offset = Self.readOffset(&bytes, style, acceptZ: style != .rfc822) else { return nil }
                parts.offset = offset
            case .literal(let text):
                guard bytes.starts(with: text.utf8) else { return nil }
                bytes = bytes.dropFirst(text.utf8.count)
            }
        }
        guard bytes.isEmpty, parts.day <= Self.daysIn(month: parts.month, year: parts.year) else { return nil }
        return parts
    }

    static func fits(_ value: Int, _ field: Field) -> Bool {
        switch field {
        case .year: true
        case .month: (1...12).contains(value)
        case .day: (1...31).contains(value)
        case .hour: value < 24
        case .minute, .second: value < 60
        }
    }

    /// Between `min` and `max` ASCII digits, as many as there are.
    static func readDigits(_ bytes: inout ArraySlice<UInt8>, min: Int, max: Int) -> Int? {
        var value = 0
        var count = 0
        while count < max, let byte = bytes.first, (0x30...0x39).contains(byte) {
            value = value * 10 + Int(byte - 0x30)
            count += 1
            bytes = bytes.dropFirst()
        }
        return count >= min ? value : nil
    }

    /// Fraction digits as text without trailing zeros.
    static func readFraction(_ bytes: inout ArraySlice<UInt8>, min: Int, max: Int) -> String? {
        let digits = bytes.prefix(max).prefix { (0x30...0x39).contains($0) }
        guard digits.count >= min else { return nil }
        bytes = bytes.dropFirst(digits.count)
        return String(decoding: digits.reversed().drop { $0 == 0x30 }.reversed(), as: UTF8.self)
    }

    /// An offset in `style`; `Z` means UTC where `acceptZ`. Hours up to 14 (Kiribati, +14:00).
    static func readOffset(_ bytes: inout ArraySlice<UInt8>, _ style: OffsetStyle, acceptZ: Bool) -> Int? {
        if acceptZ, bytes.first == UInt8(ascii: "Z") {
            bytes = bytes.dropFirst()
            return 0
        }
        guard let sign = bytes.first, sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") else { return nil }
        bytes = bytes.dropFirst()
        guard let hours = readDigits(&bytes, min: 2, max: 2), hours <= 14 else { return nil }
        var minutes = 0
        switch style {
        case .hours:
            if bytes.first.map({ (0x30...0x39).contains($0) }) == true {
                guard let value = readDigits(&bytes, min: 2, max: 2) else { return nil }
                minutes = value
            }
        case .basic, .rfc822:
            guard let value = readDigits(&bytes, min: 2, max: 2) else { return nil }
            minutes = value
        case .extended:
            guard bytes.first == UInt8(ascii: ":") else { return nil }
            bytes = bytes.dropFirst()
            guard let value = readDigits(&bytes, min: 2, max: 2) else { return nil }
            minutes = value
        }
        guard minutes < 60 else { return nil }
        let seconds = hours * 3600 + minutes * 60
        return sign == UInt8(ascii: "-") ? -seconds : seconds
    }

    /// The text of `parts` in this pattern. A fraction longer than the pattern holds is cut:
    /// callers check `fractionDigits` first and refuse to lose digits.
    public func format(_ parts: Parts) -> String {
        var out: [UInt8] = []
        format(parts, into: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// `format(_:)` into bytes, for the compiled writer.
    func format(_ parts: Parts, into out: inout [UInt8]) {
        func digits(_ value: Int, _ width: Int) {
            var text = Array(String(value).utf8)
            if text.count < width { text.insert(contentsOf: repeatElement(UInt8(ascii: "0"), count: width - text.count), at: 0) }
            out.append(contentsOf: text)
        }
        for token in tokens {
            switch token {
            case .number(let field, let padded): digits(parts[field], padded ? (field == .year ? 4 : 2) : 1)
            case .fraction(let count):
                let kept = Array(parts.fraction.utf8.prefix(count))
                out.append(contentsOf: kept)
                out.append(contentsOf: repeatElement(UInt8(ascii: "0"), count: count - kept.count))
            case .optionalFraction:
                if !parts.fraction.isEmpty {
                    out.append(UInt8(ascii: "."))
                    out.append(contentsOf: parts.fraction.utf8.prefix(9))
                }
            case .offset(let style): Self.formatOffset(parts.offset ?? 0, style, into: &out)
            case .literal(let text): out.append(contentsOf: text.utf8)
            }
        }
    }

    static func formatOffset(_ seconds: Int, _ style: OffsetStyle, into out: inout [UInt8]) {
        if seconds == 0 && style != .rfc822 {
            out.append(UInt8(ascii: "Z"))
            return
        }
        let magnitude = abs(seconds) / 60
        let (hours, minutes) = (magnitude / 60, magnitude % 60)
        var text = seconds < 0 ? "-" : "+"
        text += hours < 10 ? "0\(hours)" : "\(hours)"
        let minuteText = minutes < 10 ? "0\(minutes)" : "\(minutes)"
        switch style {
        case .hours: text += minutes == 0 ? "" : minuteText
        case .basic, .rfc822: text += minuteText
        case .extended: text += ":" + minuteText
        }
        out.append(contentsOf: text.utf8)
    }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }
}

extension DatePattern {
    /// Order of two canonical timestamps by instant: negative, zero or positive like `a - b`;
    /// nil unless both are canonical. Text order fails within a second (`…00Z` sorts after
    /// `…00.5Z`), so the fraction is compared as digits after the whole seconds.
    static func compareCanonical(_ a: String, _ b: String) -> Int? {
        guard let left = sortKey(a), let right = sortKey(b) else { return nil }
        return left == right ? 0 : left < right ? -1 : 1
    }

    /// `2026-02-01T01:30:00.5Z` → `2026-02-01T01:30:00.500000000`: fixed width, so text order
    /// is time order.
    static func sortKey(_ canonical: String) -> String? {
        guard let parts = isoTimestamp.parse(canonical) else { return nil }
        var whole = parts
        whole.fraction = ""
        let fraction = parts.fraction + String(repeating: "0", count: max(0, 9 - parts.fraction.count))
        return String(isoTimestamp.format(whole).dropLast()) + "." + fraction
    }

    /// Microseconds since 1970-01-01T00:00:00Z of a canonical timestamp, when it is one and
    /// its fraction has at most 6 digits (so nothing is rounded); nil otherwise.
    static func canonicalMicroseconds(_ canonical: String) -> Int64? {
        guard let parts = isoTimestamp.parse(canonical), parts.fraction.count <= 6 else { return nil }
        var whole = parts
        whole.fraction = ""
        guard let date = Timestamp.parse(isoTimestamp.format(whole)) else { return nil }
        let micros = Int64(parts.fraction + String(repeating: "0", count: 6 - parts.fraction.count)) ?? 0
        return Int64(date.timeIntervalSince1970) * 1_000_000 + micros
    }
}
