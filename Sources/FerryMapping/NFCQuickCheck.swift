/// A conservative NFC quick check (UAX #15, section 9) for the scripts government records
/// are written in: text made only of scalars below U+0300 (ASCII, Latin-1, Latin Extended,
/// IPA), CJK symbols U+3000–U+3029, general punctuation U+2010–U+2027, CJK ideographs
/// (U+3400–U+4DBF, U+4E00–U+9FFF) and full-width forms U+FF01–U+FF5E is already NFC.
/// Each of those scalars has NFC_Quick_Check=Yes and combining class 0, so no reordering
/// or composition can touch the text. Anything else answers false, and the caller runs the
/// full normaliser: false means "not known", never "not NFC".
enum NFCQuickCheck {
    static func isNFC(_ text: String) -> Bool {
        guard text.utf8.contains(where: { $0 >= 0x80 }) else { return true }
        return text.unicodeScalars.allSatisfy(isStable)
    }

    static func isStable(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0..<0x300, 0x2010...0x2027, 0x3000...0x3029, 0x3400...0x4DBF, 0x4E00...0x9FFF, 0xFF01...0xFF5E: return true
        default: return false
        }
    }
}
