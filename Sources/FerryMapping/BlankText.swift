extension StringProtocol {
    /// Whether every character is whitespace (`Character.isWhitespace`: its first scalar has
    /// Unicode's White_Space property), as blank source text is judged. Checked on UTF-8
    /// bytes while they are ASCII, which settles nearly every value at its first byte; any
    /// other byte hands the rest to the character-by-character rule.
    var isBlankText: Bool {
        for byte in utf8 {
            guard byte < 0x80 else { return allSatisfy(\.isWhitespace) }
            // An ASCII scalar after ASCII whitespace always begins a character of its own.
            guard byte == 0x20 || (0x09...0x0D).contains(byte) else { return false }
        }
        return true
    }
}
