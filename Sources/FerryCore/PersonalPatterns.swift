/// The shapes of personal numbers ``FreeTextRedactor`` masks, as hand-written scanners:
/// each reads a bounded number of scalars from one position and returns where the match
/// ends (glued marks after it included), or nil. No backtracking beyond a few fixed
/// alternatives, so hostile text cannot make them slow.
enum PersonalPatterns {
    /// GB 11643-1999: 17 digits and a check digit or `X` (grouped 6-8-4), or the older 15
    /// digits (grouped 6-6-3).
    static func residentID(in text: ScalarText, at index: Int) -> Int? {
        guard text.digit(index) != nil, !text.digitBefore(index) else { return nil }
        return groups(text, at: index, sizes: [6, 8, 4], lastMayBeX: true) ?? groups(text, at: index, sizes: [6, 6, 3], lastMayBeX: false)
    }

    /// A mainland mobile number `1[3-9]` and 9 digits (grouped 3-4-4), after `+86`, `0086`
    /// or `86` if any, with at most one separator after the prefix.
    static func mobile(in text: ScalarText, at index: Int) -> Int? {
        guard text.isPlus(index) || text.digit(index) != nil, !text.digitBefore(index) else { return nil }
        var starts: [Int] = []
        if text.isPlus(index), let after = literal(text, at: index + 1, [8, 6]) { starts.append(after) }
        if let after = literal(text, at: index, [0, 0, 8, 6]) { starts.append(after) }
        if let after = literal(text, at: index, [8, 6]) { starts.append(after) }
        var candidates: [Int] = []
        for start in starts {
            guard let next = text.significant(from: start) else { continue }
            candidates.append(next)
            if text.isSeparator(next) { candidates.append(next + 1) }
        }
        candidates.append(index)
        for start in candidates {
            guard let first = text.significant(from: start), text.digit(first) == 1,
                let second = text.significant(from: first + 1), let digit = text.digit(second), (3...9).contains(digit)
            else { continue }
            if let end = groups(text, at: first, sizes: [3, 4, 4], lastMayBeX: false) { return end }
        }
        return nil
    }

    /// Passport numbers: `E G D S P H M` and 7 or 8 digits, or such a letter, another
    /// letter and 7 digits; not inside a longer word or number.
    static func passport(in text: ScalarText, at index: Int) -> Int? {
        guard let first = text.letter(index), "EGDSPHM".unicodeScalars.contains(first) else { return nil }
        if let before = text.joinable(before: index), text.letter(before) != nil || text.digit(before) != nil { return nil }
        if let second = text.significant(from: index + 1), text.letter(second) != nil {
            return digits(text, from: second + 1, count: 7)
        }
        return digits(text, from: index + 1, count: 8) ?? digits(text, from: index + 1, count: 7)
    }

    /// A run of 6 or more ASCII letters and digits holding a digit (tokens, account numbers).
    static func longRun(in text: ScalarText, at index: Int) -> Int? {
        func part(_ at: Int) -> Bool { text.digit(at) != nil || (text.scalars[at].isASCII && text.letter(at) != nil) }
        guard part(index) else { return nil }
        if let before = text.joinable(before: index), part(before) { return nil }
        var last = index
        var length = 0
        var holdsDigit = false
        var position: Int? = index
        while let at = position, part(at) {
            length += 1
            holdsDigit = holdsDigit || text.digit(at) != nil
            last = at
            position = text.significant(from: at + 1)
        }
        return length >= 6 && holdsDigit ? text.end(after: last) : nil
    }

    // MARK: pieces

    /// Groups of digits of `sizes`, either run together or with one separator between
    /// groups; the very last may be `X` when `lastMayBeX`. No digit may follow.
    static func groups(_ text: ScalarText, at index: Int, sizes: [Int], lastMayBeX: Bool) -> Int? {
        read(text, at: index, sizes: sizes, separated: false, lastMayBeX: lastMayBeX)
            ?? read(text, at: index, sizes: sizes, separated: true, lastMayBeX: lastMayBeX)
    }

    private static func read(_ text: ScalarText, at index: Int, sizes: [Int], separated: Bool, lastMayBeX: Bool) -> Int? {
        let total = sizes.reduce(0, +)
        var position = index
        var last = index
        var taken = 0
        for (group, size) in sizes.enumerated() {
            if separated, group > 0 {
                guard let separator = text.significant(from: position), text.isSeparator(separator) else { return nil }
                position = separator + 1
            }
            for _ in 0..<size {
                taken += 1
                guard let next = text.significant(from: position) else { return nil }
                let isCheck = taken == total && lastMayBeX && text.letter(next) == "X"
                guard text.digit(next) != nil || isCheck else { return nil }
                last = next
                position = next + 1
            }
        }
        guard !text.digitAt(position) else { return nil }
        return text.end(after: last)
    }

    /// Exactly `count` digits from `index`, with no digit after them.
    static func digits(_ text: ScalarText, from index: Int, count: Int) -> Int? {
        var position = index
        var last = index
        for _ in 0..<count {
            guard let next = text.significant(from: position), text.digit(next) != nil else { return nil }
            last = next
            position = next + 1
        }
        guard count > 0, !text.digitAt(position) else { return nil }
        return text.end(after: last)
    }

    /// The digits `expected` from `index`; the position after them.
    static func literal(_ text: ScalarText, at index: Int, _ expected: [Int]) -> Int? {
        var position = index
        for value in expected {
            guard let next = text.significant(from: position), text.digit(next) == value else { return nil }
            position = next + 1
        }
        return position
    }
}
