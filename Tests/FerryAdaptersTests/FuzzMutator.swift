import FerryCore

/// Makes fuzz inputs from valid seeds: bit flips, byte changes, cuts, copies, splices with
/// another seed, and tokens that have broken readers before (deep nesting, surrogate
/// escapes, byte order marks, CJK and GB18030 bytes, bytes that are not UTF-8, huge
/// numbers). Replayable: the same seed gives the same inputs.
struct FuzzMutator {
    var random: SplitMix64
    let seeds: [[UInt8]]
    /// Tokens of the format under test, inserted or written over the input.
    let dictionary: [[UInt8]]

    /// Tokens every format gets.
    static let common: [[UInt8]] = [
        [0xEF, 0xBB, 0xBF], [0xFF], [0xFE], [0x80], [0xC0, 0xAF], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xE4, 0xB8],
        [0xF0, 0x9F, 0x98], [0x00], [0x0D], [0x0A], [0x0D, 0x0A], [0x09], [0x0B], [0x0C], [0x1F], [0x7F], [0xFF, 0xFE], [0xFE, 0xFF],
        Array("王伟".utf8), Array("𠀀".utf8), Array("😀".utf8), Array("e\u{301}".utf8), Array("\u{2028}".utf8),
        [0x81, 0x30, 0x89, 0x38], [0xB9, 0xFA], [0x95, 0x32, 0x82, 0x36],  // GB18030, 2- and 4-byte
        Array("\"".utf8), Array("'".utf8), Array("\\".utf8), Array(",".utf8), Array(";".utf8), Array(":".utf8),
        Array("-".utf8), Array("0".utf8), Array("-0".utf8), Array("1e999999".utf8), Array("-9223372036854775809".utf8),
        Array("9223372036854775808".utf8), Array(String(repeating: "9", count: 5_000).utf8), Array("NaN".utf8),
        Array(String(repeating: "x", count: 70_000).utf8),
    ]

    init(seed: UInt64, seeds: [[UInt8]], dictionary: [[UInt8]]) {
        random = SplitMix64(seed: seed)
        self.seeds = seeds
        self.dictionary = dictionary + Self.common
    }

    /// The next input: now and then pure random bytes or an unchanged seed, mostly a seed
    /// with one to eight mutations stacked.
    mutating func next() -> [UInt8] {
        switch random.below(100) {
        case 0..<3: return random.bytes(random.below(300))
        case 3..<5: return seeds[random.below(seeds.count)]
        default:
            var input = seeds[random.below(seeds.count)]
            for _ in 0..<1 + random.below(8) { mutate(&input) }
            return input
        }
    }

    mutating func mutate(_ input: inout [UInt8]) {
        let at = random.below(input.count + 1)
        switch random.below(11) {
        case 0:
            guard at < input.count else { return }
            input[at] ^= 1 << UInt8(random.below(8))
        case 1:
            guard at < input.count else { return }
            input[at] = UInt8(truncatingIfNeeded: random.next())
        case 2:
            input.removeSubrange(at..<min(input.count, at + 1 + random.below(16)))
        case 3:
            input.removeSubrange(at...)  // cut off
        case 4:
            let end = min(input.count, at + 1 + random.below(64))
            input.insert(contentsOf: input[at..<end], at: random.below(input.count + 1))
        case 5, 6:
            input.insert(contentsOf: dictionary[random.below(dictionary.count)], at: at)
        case 7:
            let token = dictionary[random.below(dictionary.count)]
            input.replaceSubrange(at..<min(input.count, at + token.count), with: token)
        case 8:
            // Splice: this input's head, another seed's tail.
            let other = seeds[random.below(seeds.count)]
            input = Array(input[..<at]) + other[random.below(other.count + 1)...]
        case 9:
            input.insert(contentsOf: nesting(), at: at)
        default:
            // A run of one token: many records, many fields, long lines.
            let token = dictionary[random.below(dictionary.count)]
            let most = max(1, (1 << 20) / max(1, token.count))  // at most 1 MiB of it
            let repeats = 1 + random.below(min(most, random.below(10) == 0 ? 20_000 : 50))
            input.insert(contentsOf: Array([[UInt8]](repeating: token, count: repeats).joined()), at: at)
        }
        // Inputs stay under 4 MiB: larger ones only make each run slower, not different.
        if input.count > 4 << 20 { input.removeSubrange((4 << 20)...) }
    }

    /// Openers repeated up to 100,000 times, sometimes closed again: deep nesting.
    mutating func nesting() -> [UInt8] {
        let openers: [(open: String, close: String)] = [("[", "]"), ("{\"a\":", "}"), ("<a>", "</a>"), ("- ", ""), ("[{\"k\":[", "]}]"), ("a: {", "}")]
        let pick = openers[random.below(openers.count)]
        let depth = [10, 500, 511, 512, 513, 1_000, 30_000, 100_000][random.below(8)]
        var out = Array(String(repeating: pick.open, count: depth).utf8)
        if random.below(2) == 0 { out += Array(String(repeating: pick.close, count: depth).utf8) }
        return out
    }
}
