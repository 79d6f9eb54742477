/// Escaping text for XML and HTML alike: the five characters that could end a value or
/// start markup, and the three whitespace controls parsers would normalise. `&#39;` rather
/// than `&apos;`, which old HTML does not know.
public enum Markup {
    /// Text as HTML or XML character data or a quoted attribute value.
    ///
    /// Works on UTF-8 bytes, never on Swift `Character`s: a grapheme cluster such as
    /// U+0600 + `<` or `>` + U+0301 compares unequal to `<` and `>`, yet a browser or an XML
    /// parser tokenises code points and still sees the markup character (issue 16). Every
    /// other byte, bidi controls and combining marks included, is kept as it is, so the
    /// parsed text equals the input, in an attribute value or in element text.
    ///
    /// - Parameter keepingTabsAndLineFeeds: write TAB and LF as they are, for element text
    ///   that people read (XML files a sink writes); attribute values always need them as
    ///   references.
    public static func escape(_ text: String, keepingTabsAndLineFeeds: Bool = false) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count + 16)
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "&"): out += ampersand
            case UInt8(ascii: "<"): out += lessThan
            case UInt8(ascii: ">"): out += greaterThan
            case UInt8(ascii: "\""): out += quote
            case UInt8(ascii: "'"): out += apostrophe
            // Parsers normalise TAB, LF and CR in attribute values to spaces and CRLF in text
            // to LF (XML 1.0 §2.11, §3.3.3; HTML §13.2.3.5); as references they come back as they were.
            case 0x09 where !keepingTabsAndLineFeeds: out += tab
            case 0x0A where !keepingTabsAndLineFeeds: out += lineFeed
            case 0x0D: out += carriageReturn
            default: out.append(byte)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    static let ampersand = Array("&amp;".utf8), lessThan = Array("&lt;".utf8), greaterThan = Array("&gt;".utf8)
    static let quote = Array("&quot;".utf8), apostrophe = Array("&#39;".utf8)
    static let tab = Array("&#9;".utf8), lineFeed = Array("&#10;".utf8), carriageReturn = Array("&#13;".utf8)
}
