/// The control characters reading refuses in text, and why.
///
/// NUL (U+0000) ends a string in C, so systems built on C strings cut the value there, and
/// PostgreSQL `text` cannot store it at all: a value carrying one would arrive altered or not
/// at all. The other C0 controls except TAB, LF and CR (U+0001–U+0008, U+000B, U+000C,
/// U+000E–U+001F) are not allowed in XML 1.0 (§2.2 Char), and U+001F is the separator Ferry
/// joins composite keys with. TAB, LF and CR are ordinary text (multi-line addresses); DEL
/// and the C1 controls (U+007F–U+009F) are allowed in XML 1.0 and pass. A mapping that wants
/// them gone says so with `transform: [strip_nul]` or `[strip_controls]`.
enum ControlCharacters {
    static func isRefused(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 && scalar != "\t" && scalar != "\n" && scalar != "\r"
    }

    /// The issue for the first refused character of `text`, located by its 1-based position
    /// (the value itself is not quoted: it may be personal).
    static func issue(in text: String, field: String) -> MappingIssue? {
        // Nearly all text has no control character at all: one pass over the bytes first.
        guard text.utf8.contains(where: { $0 < 0x20 }) else { return nil }
        for (offset, scalar) in text.unicodeScalars.enumerated() where isRefused(scalar) {
            let code = "U+" + String(repeating: "0", count: 4 - String(scalar.value, radix: 16).count) + String(scalar.value, radix: 16, uppercase: true)
            if scalar == "\u{0}" {
                return MappingIssue(field: field, rule: "no_nul",
                    message: "contains a NUL character (U+0000) at character \(offset + 1); add transform: [strip_nul] to the field to remove it")
            }
            return MappingIssue(field: field, rule: "no_control",
                message: "contains the control character \(code) at character \(offset + 1); add transform: [strip_controls] to the field to remove it")
        }
        return nil
    }
}
