/// Why a date pattern in a mapping file cannot be used: what is wrong, at which character
/// (1-based, counted in characters of the pattern), and what to write instead.
public struct PatternError: Error, Sendable, Equatable {
    public var message: String
    public var hint: String
    public var position: Int
}

extension DatePattern {
    /// The tokens, as hints list them.
    public static let tokenHelp =
        "yyyy (year), MM or M (month), dd or d (day), HH or H (hour 0-23), mm or m (minute), ss or s (second), "
        + "S to SSSSSSSSS (fraction of a second), XXX (+08:00 or Z), XX (+0800 or Z), X (+08 or Z), Z (+0800); "
        + "quote other letters: 'T'"

    /// Tokens of `text`: runs of TR35 letters, quoted text (`'T'`, `''` for a quote), and
    /// every other character as itself. Refused: letters that are no token here (`h`, `a`,
    /// `E`, an unquoted `T`), token lengths with no meaning here (`yy`, `MMM`), one field twice,
    /// and an unpadded number (`M`) beside another number, which no reader could split.
    static func compile(_ text: String) throws(PatternError) -> [Token] {
        var tokens: [Token] = []
        var literal = ""
        func flush() {
            if !literal.isEmpty { tokens.append(.literal(literal)) }
            literal = ""
        }
        let characters = Array(text)
        var index = 0
        guard !characters.isEmpty else { throw PatternError(message: "the pattern is empty", hint: tokenHelp, position: 1) }
        while index < characters.count {
            let character = characters[index]
            if character == "'" {
                let start = index
                index += 1
                if index < characters.count, characters[index] == "'" {
                    literal.append("'")
                    index += 1
                    continue
                }
                var closed = false
                while index < characters.count {
                    if characters[index] == "'" {
                        if index + 1 < characters.count, characters[index + 1] == "'" {
                            literal.append("'")
                            index += 2
                            continue
                        }
                        closed = true
                        index += 1
                        break
                    }
                    literal.append(characters[index])
                    index += 1
                }
                guard closed else {
                    throw PatternError(message: "the quote at character \(start + 1) is never closed", hint: "quote literal text as 'T'; write '' for a quote", position: start + 1)
                }
                continue
            }
            guard character.isASCII, character.isLetter else {
                literal.append(character)
                index += 1
                continue
            }
            var count = 1
            while index + count < characters.count, characters[index + count] == character { count += 1 }
            flush()
            tokens.append(try token(character, count: count, at: index + 1))
            index += count
        }
        flush()
        try check(tokens, text: text)
        return tokens
    }

    /// The token `count` letters `letter` make, or why there is none.
    static func token(_ letter: Character, count: Int, at position: Int) throws(PatternError) -> Token {
        let run = String(repeating: letter, count: count)
        func refuse(_ why: String, _ hint: String = tokenHelp) -> PatternError {
            PatternError(message: "'\(run)' at character \(position) \(why)", hint: hint, position: position)
        }
        let fields: [Character: Field] = ["M": .month, "d": .day, "H": .hour, "m": .minute, "s": .second]
        switch (letter, count) {
        case ("y", 4): return .number(.year, padded: true)
        case ("y", _): throw refuse("is not a year token", "write yyyy: two-digit years are ambiguous across centuries")
        case ("M", 3...): throw refuse("asks for a month name, which Ferry does not read", "write MM (01-12) or M (1-12)")
        case (let letter, 1...2) where fields[letter] != nil:
            return .number(fields[letter] ?? .year, padded: count == 2)
        case ("S", 1...9): return .fraction(count)
        case ("S", _): throw refuse("is more than 9 digits of a second", "nanoseconds are the finest: S to SSSSSSSSS")
        case ("X", 1): return .offset(.hours)
        case ("X", 2): return .offset(.basic)
        case ("X", 3): return .offset(.extended)
        case ("Z", 1): return .offset(.rfc822)
        case ("h", _), ("K", _), ("k", _), ("a", _):
            throw refuse("is a 12-hour clock or AM/PM marker, which Ferry does not read", "write HH (00-23) or H (0-23)")
        case ("T", _):
            throw refuse("is not a pattern letter", "quote literal letters: 'T' (as in yyyy-MM-dd'T'HH:mm:ss)")
        default:
            throw refuse(fields[letter] != nil ? "is too long" : "is not a pattern letter")
        }
    }

    /// Checks across tokens: one of each field, and no unpadded number touching another number.
    static func check(_ tokens: [Token], text: String) throws(PatternError) {
        var seen: [String] = []
        for (index, token) in tokens.enumerated() {
            let name: String?
            switch token {
            case .number(let field, _): name = "\(field)"
            case .fraction, .optionalFraction: name = "fraction"
            case .offset: name = "offset"
            case .literal: name = nil
            }
            if let name {
                guard !seen.contains(name) else {
                    throw PatternError(message: "'\(text)' has the \(name) twice", hint: "give each part once", position: 1)
                }
                seen.append(name)
            }
            guard index > 0, isNumeric(token) && isNumeric(tokens[index - 1]), isUnpadded(token) || isUnpadded(tokens[index - 1]) else { continue }
            throw PatternError(
                message: "'\(text)' puts an unpadded number (M, d, H, m or s) right beside another number; no reader can tell where one ends",
                hint: "pad it (MM, dd, HH, mm, ss) or put a separator between them (yyyy/M/d)", position: 1)
        }
    }

    static func isNumeric(_ token: Token) -> Bool {
        switch token {
        case .number, .fraction: true
        default: false
        }
    }

    static func isUnpadded(_ token: Token) -> Bool { if case .number(_, padded: false) = token { true } else { false } }
}
