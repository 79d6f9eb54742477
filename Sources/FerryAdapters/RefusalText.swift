/// A database's reason for refusing a row, without the values it quoted back: they may be
/// personal data (an ID number, a phone number, a name), and a reason goes into the audit
/// log and the dead letters. Quoted names of columns, keys, tables and constraints stay, so
/// the reason still says where; every other quoted span becomes `'…'`, and PostgreSQL's
/// `Key (email)=(value)` loses the value.
enum RefusalText {
    /// Words after which a quoted span is a name, not a value.
    static let nameWords = ["column", "key", "table", "constraint", "relation", "index", "field", "type"]

    static func withoutValues(_ message: String) -> String {
        var result = ""
        var rest = Substring(message)
        while let open = rest.firstIndex(where: { $0 == "'" || $0 == "\"" || $0 == "(" }) {
            let before = rest[..<open]
            result += before
            let quote = rest[open]
            let closing: Character = quote == "(" ? ")" : quote
            let inner = rest[rest.index(after: open)...]
            guard let close = inner.firstIndex(of: closing) else {
                result += rest[open...]
                return result
            }
            let span = rest[open...close]
            // The word before the quote, without what a driver glued to it (`[ma-3.1.15]Column`).
            let word = before.split(whereSeparator: { $0 == " " }).last?.split(whereSeparator: { !$0.isLetter }).last.map { $0.lowercased() } ?? ""
            if quote == "(" {
                // Only a parenthesis right after `=` holds values: `Key (id)=(42)`.
                result += before.hasSuffix("=") ? "(…)" : span
            } else {
                result += nameWords.contains(word) ? span : "\(quote)…\(quote)"
            }
            rest = rest[rest.index(after: close)...]
        }
        return result + rest
    }
}
