/// Decimal numbers as exact text: every digit kept, never through `Double`, so
/// `12345678901234.5678` and 31-digit amounts arrive as they left.
///
/// The canonical spelling is the one `docs/canonical-encoding.md` gives for tag 0x03: an
/// optional `-`, no `+`, no exponent, no leading zeros before the point, no trailing zeros
/// after it, and `0` for any zero (there is no negative zero in an amount).
enum DecimalText {
    /// Why a text is not a decimal; the caller adds the (masked) value. The explanation is
    /// spelt only when asked for: entity rules try dates and text as decimals first, and
    /// every one of those refusals would otherwise build a message nobody reads.
    struct Refusal: Error, Equatable {
        enum Kind: Equatable { case notANumber, exponentWithoutDigits, exponentTooLarge }
        var kind: Kind
        /// The text refused; its spaces or commas make the explanation more precise.
        var text: String

        var reason: String {
            switch kind {
            case .notANumber: notANumber(text)
            case .exponentWithoutDigits: "has an exponent without digits"
            case .exponentTooLarge: "has an exponent too large to write out (more than \(maxExpandedDigits) digits)"
            }
        }
    }

    /// The most digits an exponent may spell out: more than any `Double` needs (about 330),
    /// few enough that `1e999999999` cannot fill memory.
    static let maxExpandedDigits = 1000

    /// `text` in canonical spelling. Reads an optional sign, digits with an optional point
    /// (`.5` and `5.` too), and an optional exponent (`1e-05`, `2.5E+3`, as SQLite REAL and
    /// JSON numbers are written), which moves the point by string manipulation alone.
    /// - Throws: `Refusal` for anything else: `nan`, `inf`, spaces, thousands separators,
    ///   full-width digits, or an exponent that would spell out more than 1000 digits.
    static func plain(_ text: String) throws(Refusal) -> String {
        var bytes = Array(text.utf8)[...]
        var negative = false
        if let sign = bytes.first, sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") {
            negative = sign == UInt8(ascii: "-")
            bytes = bytes.dropFirst()
        }
        let whole = bytes.prefix { isDigit($0) }
        bytes = bytes.dropFirst(whole.count)
        var fraction: ArraySlice<UInt8> = []
        if bytes.first == UInt8(ascii: ".") {
            bytes = bytes.dropFirst()
            fraction = bytes.prefix { isDigit($0) }
            bytes = bytes.dropFirst(fraction.count)
        }
        guard !whole.isEmpty || !fraction.isEmpty else { throw Refusal(kind: .notANumber, text: text) }
        var exponent = 0
        if let marker = bytes.first, marker == UInt8(ascii: "e") || marker == UInt8(ascii: "E") {
            bytes = bytes.dropFirst()
            var exponentNegative = false
            if let sign = bytes.first, sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") {
                exponentNegative = sign == UInt8(ascii: "-")
                bytes = bytes.dropFirst()
            }
            let digits = bytes.prefix { isDigit($0) }
            bytes = bytes.dropFirst(digits.count)
            guard !digits.isEmpty else { throw Refusal(kind: .exponentWithoutDigits, text: text) }
            let significant = digits.drop { $0 == UInt8(ascii: "0") }
            // Nine digits cannot overflow Int; anything longer is far beyond the limit anyway.
            guard significant.count <= 9 else {
                if allZero(whole) && allZero(fraction) { return "0" }
                throw Refusal(kind: .exponentTooLarge, text: text)
            }
            exponent = significant.reduce(0) { $0 * 10 + Int($1 - 0x30) } * (exponentNegative ? -1 : 1)
        }
        guard bytes.isEmpty else { throw Refusal(kind: .notANumber, text: text) }
        return try spell(negative: negative, digits: Array(whole + fraction), point: whole.count + exponent)
    }

    /// Digits with the point after `point` of them (which may lie outside the digits), canonical.
    static func spell(negative: Bool, digits: [UInt8], point: Int) throws(Refusal) -> String {
        // Leading and trailing zeros of the digits say nothing; the point stays put.
        let leading = digits.prefix { $0 == UInt8(ascii: "0") }.count
        guard leading < digits.count else { return "0" }
        let trailing = digits.reversed().prefix { $0 == UInt8(ascii: "0") }.count
        let body = digits[leading..<(digits.count - trailing)]
        let at = point - leading
        let padding = at <= 0 ? -at : max(0, at - body.count)
        guard padding + body.count <= maxExpandedDigits else {
            throw Refusal(kind: .exponentTooLarge, text: "")
        }
        var out: [UInt8] = negative ? [UInt8(ascii: "-")] : []
        if at <= 0 {
            out += Array("0.".utf8) + repeatElement(UInt8(ascii: "0"), count: -at) + body
        } else if at >= body.count {
            out += body + repeatElement(UInt8(ascii: "0"), count: at - body.count)
        } else {
            out += body.prefix(at) + [UInt8(ascii: ".")] + body.dropFirst(at)
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Order of two decimals (any spelling `plain` reads): negative, zero or positive like
    /// `a - b`; nil when either is not a decimal. Exact at any length.
    static func compare(_ a: String, _ b: String) -> Int? {
        guard let left = try? plain(a), let right = try? plain(b) else { return nil }
        let (leftNegative, rightNegative) = (left.hasPrefix("-"), right.hasPrefix("-"))
        if leftNegative != rightNegative { return leftNegative ? -1 : 1 }
        let magnitude = compareMagnitudes(leftNegative ? String(left.dropFirst()) : left, rightNegative ? String(right.dropFirst()) : right)
        return leftNegative ? -magnitude : magnitude
    }

    static func compareMagnitudes(_ a: String, _ b: String) -> Int {
        let aParts = a.split(separator: ".", omittingEmptySubsequences: false)
        let bParts = b.split(separator: ".", omittingEmptySubsequences: false)
        let (aWhole, bWhole) = (aParts[0], bParts[0])
        if aWhole.count != bWhole.count { return aWhole.count < bWhole.count ? -1 : 1 }
        if aWhole != bWhole { return aWhole < bWhole ? -1 : 1 }
        let aFraction = aParts.count > 1 ? Array(aParts[1].utf8) : []
        let bFraction = bParts.count > 1 ? Array(bParts[1].utf8) : []
        for index in 0..<max(aFraction.count, bFraction.count) {
            let x = index < aFraction.count ? aFraction[index] : UInt8(ascii: "0")
            let y = index < bFraction.count ? bFraction[index] : UInt8(ascii: "0")
            if x != y { return x < y ? -1 : 1 }
        }
        return 0
    }

    static func isDigit(_ byte: UInt8) -> Bool { (0x30...0x39).contains(byte) }

    static func allZero(_ digits: ArraySlice<UInt8>) -> Bool { digits.allSatisfy { $0 == UInt8(ascii: "0") } }

    static func notANumber(_ text: String) -> String {
        if text.contains(where: \.isWhitespace) { return "is not a decimal number (it has spaces; add transform: [trim] for ones around it)" }
        if text.contains(",") { return "is not a decimal number (thousands separators and decimal commas are not read)" }
        return "is not a decimal number"
    }
}
