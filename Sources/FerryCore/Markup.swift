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
    public static func escape(_ text: String) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count + 16)
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "&"): out += Array("&amp;".utf8)
            case UInt8(ascii: "<"): out += Array("&lt;".utf8)
            case UInt8(ascii: ">"): out += Array("&gt;".utf8)
            case UInt8(ascii: "\""): out += Array("&quot;".utf8)
            case UInt8(ascii: "'"): out += Array("&#39;".utf8)
            // Parsers normalise TAB, LF and CR in attribute values to spaces and CRLF in text
            // to LF (XML 1.0 §2.11, §3.3.3; HTML §13.2.3.5); as references they come back as they were.
            case 0x09: out += Array("&#9;".utf8)
            case 0x0A: out += Array("&#10;".utf8)
            case 0x0D: out += Array("&#13;".utf8)
            default: out.append(byte)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
