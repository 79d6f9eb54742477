/// Generated text of the kinds that broke escaping before (issue 16), for property tests
/// and fuzzing: markup and quoting characters glued to combining marks (U+0301) or after
/// prepended concatenation marks (U+0600–U+0605, which form one grapheme cluster with what
/// follows), ZWJ emoji sequences, U+FFFD where a lone surrogate was, bidi controls, CJK, and
/// the line breaks and separators of CSV. Replayable: the same seed gives the same texts.
public struct HostileText: Sendable {
    /// Pieces that a text is built from; each is one or more scalars.
    public static let pieces: [String] = [
        "<", ">", "&", "\"", "'", "=", "/", ",", ";", " ", "\t", "\n", "\r\n", "\\",
        "\u{301}", "\u{308}\u{301}", "\u{600}", "\u{601}", "\u{602}", "\u{603}", "\u{604}", "\u{605}",
        "\u{200D}", "👨\u{200D}👩\u{200D}👧", "🏳\u{FE0F}\u{200D}🌈", "\u{FFFD}",
        "\u{202E}", "\u{202A}", "\u{2066}", "\u{2069}", "\u{200F}", "\u{061C}",
        "a", "Z", "0", "9", "张", "申请", "é", "<script>", "</td>", "<img src=x onerror=alert(1)>",
        "&amp;", "&#60;", "]]>", "<!--", "-->", "\"><", "'><",
    ]

    var random: SplitMix64

    public init(seed: UInt64) { random = SplitMix64(seed: seed) }

    /// A text of up to `pieces` pieces; pieces land next to each other, so a mark is as
    /// likely to follow a `<` or `"` as anything else.
    public mutating func next(pieces count: Int = 16) -> String {
        var text = ""
        for _ in 0..<random.below(count + 1) { text += Self.pieces[random.below(Self.pieces.count)] }
        return text
    }

    /// The payload of issue 16: a prepended mark before `<`, a combining mark after `>`.
    public static let clusterPayload = "\u{600}<img src=x onerror=alert(1)>\u{301}"
}
