/// Quoting names and text into SQL the way SQLite and PostgreSQL (SQL:2016 §5.2
/// `<delimited identifier>`, §5.3 `<character string literal>`) read it.
///
/// Both double the quote character by UTF-8 byte. Foundation's `replacingOccurrences` and
/// `contains` compare grapheme clusters, so `"` followed by U+0301 would not be doubled and
/// would end the identifier early (issue 16).
enum SQLQuote {
    /// `name` → `"name"`, with every `"` doubled.
    static func identifier(_ name: String) -> String { quoted(name, by: UInt8(ascii: "\"")) }

    /// `text` → `'text'`, with every `'` doubled.
    static func literal(_ text: String) -> String { quoted(text, by: UInt8(ascii: "'")) }

    static func quoted(_ text: String, by quote: UInt8) -> String {
        var out: [UInt8] = [quote]
        out.reserveCapacity(text.utf8.count + 2)
        for byte in text.utf8 {
            if byte == quote { out.append(quote) }
            out.append(byte)
        }
        out.append(quote)
        return String(decoding: out, as: UTF8.self)
    }
}
