/// Masks personal values for logs and reports, so an operator can recognise a record
/// without the log ever holding the value itself.
public enum Masking {
    /// `350212198001014532` → `350212********4532`; short values keep less.
    ///
    /// Counts Unicode scalars, not `Character`s: a grapheme cluster can hold any number of
    /// scalars (a digit followed by combining marks, a ZWJ sequence), so counting clusters
    /// would let a shown "character" carry more of the value than the rule allows. At most
    /// 10 scalars of any value are ever shown.
    public static func mask(_ value: String) -> String {
        let scalars = Array(value.unicodeScalars)
        func text(_ part: ArraySlice<Unicode.Scalar>) -> String {
            var out = ""
            out.unicodeScalars.append(contentsOf: part)
            return out
        }
        switch scalars.count {
        case 0: return ""
        case 1...2: return String(repeating: "*", count: scalars.count)
        case 3...7: return text(scalars[..<1]) + String(repeating: "*", count: scalars.count - 1)
        default:
            let head = scalars.count >= 14 ? 6 : 2
            let tail = 4
            let hidden = scalars.count - head - tail
            return text(scalars[..<head]) + String(repeating: "*", count: max(hidden, 1)) + text(scalars[(scalars.count - tail)...])
        }
    }
}
