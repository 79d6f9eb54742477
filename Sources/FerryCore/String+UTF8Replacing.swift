extension String {
    /// Every occurrence of `target` replaced, matched on UTF-8 bytes.
    ///
    /// `replacingOccurrences(of:with:)` matches grapheme clusters, so a secret or a quote
    /// followed by a combining mark (U+0301) or preceded by a prepended mark (U+0600) is not
    /// found. Hiding secrets and quoting must find every occurrence a reader of the bytes
    /// would see. UTF-8 is self-synchronising, so a match of valid UTF-8 always starts and
    /// ends on scalar boundaries.
    public func replacingUTF8(_ target: String, with replacement: String) -> String {
        let needle = Array(target.utf8)
        guard !needle.isEmpty else { return self }
        let haystack = Array(utf8)
        guard haystack.count >= needle.count else { return self }
        let substitute = Array(replacement.utf8)
        var out: [UInt8] = []
        out.reserveCapacity(haystack.count)
        var index = 0
        while index < haystack.count {
            if haystack[index] == needle[0], index + needle.count <= haystack.count,
                haystack[index..<index + needle.count].elementsEqual(needle)
            {
                out += substitute
                index += needle.count
            } else {
                out.append(haystack[index])
                index += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
