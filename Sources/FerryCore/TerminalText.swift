/// Text from outside Ferry made inert for a terminal or a text log line.
public enum TerminalText {
    /// Escapes, as `\u{XXXX}`, every scalar that a terminal or a log reader acts on rather
    /// than shows: C0 controls but TAB (a line break would forge a log line, ESC starts an
    /// ANSI sequence that can rewrite the screen), DEL, C1 controls (U+0080–U+009F; 8-bit
    /// CSI), and the Unicode bidi controls (U+061C, U+200E–U+200F, U+202A–U+202E,
    /// U+2066–U+2069, Unicode TR 9 §2) that reorder what an operator reads (CVE-2021-42574).
    /// Works on scalars, so marks glued to a control do not hide it.
    public static func inert(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: needsEscape) else { return text }
        var out = ""
        out.reserveCapacity(text.utf8.count + 8)
        for scalar in text.unicodeScalars {
            if needsEscape(scalar) {
                out += "\\u{" + String(scalar.value, radix: 16, uppercase: true) + "}"
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    static func needsEscape(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x09: false
        case 0x00..<0x20, 0x7F..<0xA0: true
        case 0x061C, 0x200E, 0x200F, 0x202A...0x202E, 0x2066...0x2069: true
        default: false
        }
    }
}
