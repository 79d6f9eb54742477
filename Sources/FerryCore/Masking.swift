/// Masks personal values for logs and reports, so an operator can recognise a record
/// without the log ever holding the value itself.
public enum Masking {
    /// `350212198001014532` → `350212********4532`; short values keep less.
    public static func mask(_ value: String) -> String {
        let characters = Array(value)
        switch characters.count {
        case 0: return ""
        case 1...2: return String(repeating: "*", count: characters.count)
        case 3...7: return String(characters[0]) + String(repeating: "*", count: characters.count - 1)
        default:
            let head = characters.count >= 14 ? 6 : 2
            let tail = 4
            let hidden = characters.count - head - tail
            return String(characters[..<head]) + String(repeating: "*", count: max(hidden, 1))
                + String(characters[(characters.count - tail)...])
        }
    }
}
