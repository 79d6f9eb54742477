/// Shape checks for names that arrive from outside Ferry (bundle headers, file names in a
/// gap directory, URL path segments, topology names) and an inert rendering of text that
/// failed them.
///
/// Every check works on Unicode scalars (UTF-8 bytes), never on `Character`s: a grapheme
/// cluster such as `<` followed by U+0301 is not equal to `<`, yet a browser or XML parser
/// still sees the `<`. A check on clusters would let such text through.
public enum OutsideText {
    /// The longest simple identifier, in bytes.
    public static let identifierLimit = 64

    /// Whether `text` is a simple identifier: `[A-Za-z0-9][A-Za-z0-9._-]{0,63}` (ASCII only).
    ///
    /// Zones, nodes, systems and flows are named like this: they appear in lane names,
    /// file paths, URLs and on the auditor console, where nothing else is safe everywhere.
    public static func isIdentifier(_ text: String) -> Bool {
        let bytes = text.utf8
        guard let first = bytes.first, bytes.count <= identifierLimit, isAlphanumeric(first) else { return false }
        return bytes.allSatisfy { isAlphanumeric($0) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-") }
    }

    /// Whether `text` is exactly `count` lowercase hexadecimal digits, as Ferry writes ids,
    /// key ids, digests and content hashes.
    public static func isLowercaseHex(_ text: String, count: Int) -> Bool {
        let bytes = text.utf8
        return bytes.count == count && bytes.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
    }

    /// The suffix of a bundle's file name.
    public static let bundleSuffix = ".bundle"

    /// Whether `name` is a bundle file name as Ferry writes it: the 64-hex-digit content
    /// hash (lowercase) followed by `.bundle`. Nothing else belongs in a transfer area.
    public static func isBundleFileName(_ name: String) -> Bool {
        guard name.utf8.count == 64 + bundleSuffix.utf8.count, name.hasSuffix(bundleSuffix) else { return false }
        return isLowercaseHex(String(decoding: name.utf8.prefix(64), as: UTF8.self), count: 64)
    }

    /// An inert, bounded rendering of outside text for messages and logs: identifier bytes
    /// are kept, every other Unicode scalar becomes `\u{HEX}`, and after `limit` scalars the
    /// rest is cut and counted. The result is printable ASCII without `<`, `>`, `&`, quotes or
    /// spaces, so it is plain text in HTML, XML, JSON, CSV and a terminal alike.
    ///
    /// Example: `a<b\u{301}` → `a\u{3C}b\u{301}`.
    public static func describe(_ text: String, limit: Int = 40) -> String {
        var out = ""
        var shown = 0
        for scalar in text.unicodeScalars {
            guard shown < limit else { break }
            if scalar.isASCII, isSafe(UInt8(scalar.value)) {
                out.unicodeScalars.append(scalar)
            } else {
                out += "\\u{" + String(scalar.value, radix: 16, uppercase: true) + "}"
            }
            shown += 1
        }
        let rest = text.unicodeScalars.count - shown
        if rest > 0 { out += "...(+\(rest))" }
        return out.isEmpty ? "(empty)" : out
    }

    static func isAlphanumeric(_ byte: UInt8) -> Bool {
        (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte)
    }

    static func isSafe(_ byte: UInt8) -> Bool {
        isAlphanumeric(byte) || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-")
    }
}
