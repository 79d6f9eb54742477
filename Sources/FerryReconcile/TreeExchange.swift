/// The round-trip descent two sides would run through the gap, as messages with their
/// sizes: one side opens with every fingerprint of a top level; each answer lists, for the
/// ranges that differed, the fingerprints of their children; at the leaves the records'
/// (key digest, record digest) pairs cross. Fingerprints travel as 8 bytes of a hash of
/// the range sum, pairs as their full 48 bytes.
///
/// `FerryReconcile` runs it between two trees in one process (`ferry bench reconcile`
/// measures it); carrying each message in a sealed bundle is the gateway's part.
public struct TreeExchange: Sendable {
    public struct Outcome: Sendable {
        public var differingLeaves: [Int]
        /// Messages, alternating sides, and the bytes each carried.
        public var messages: [Int]
        public var bytes: Int { messages.reduce(0, +) }
    }

    public static let fingerprintBytes = 8
    public static let pairBytes = 48

    /// The 8-byte fingerprint of a range: FNV-1a over its 40 bytes, enough to tell ranges
    /// apart here (both sides compute it; it is no security boundary, the bundle is).
    public static func fingerprint(_ sum: RangeSum) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in sum.bytes {
            hash ^= UInt64(byte)
            hash &*= 0x0100_0000_01b3
        }
        return hash
    }

    /// Runs the descent from `startLevel` between `near` and `far`; returns the differing
    /// leaves and the size of every message, the final one carrying the pairs of the
    /// differing leaves from both sides.
    public static func run(near: DigestTree, far: DigestTree, startLevel: Int = 2) -> Outcome {
        precondition(near.fanOut == far.fanOut && near.depth == far.depth, "trees of different shapes")
        let start = min(startLevel, near.depth)
        var messages = [near.levels[start].count * fingerprintBytes]
        var frontier = near.levels[start].indices.filter { fingerprint(near.levels[start][$0]) != fingerprint(far.levels[start][$0]) }
        var level = start
        while level < near.depth, !frontier.isEmpty {
            // The answer names each differing range (4 bytes) and gives its children's fingerprints.
            messages.append(frontier.count * (4 + near.fanOut * fingerprintBytes))
            var next: [Int] = []
            for index in frontier {
                for child in (index * near.fanOut)..<((index + 1) * near.fanOut)
                where fingerprint(near.levels[level + 1][child]) != fingerprint(far.levels[level + 1][child]) {
                    next.append(child)
                }
            }
            frontier = next
            level += 1
        }
        if !frontier.isEmpty, level == near.depth {
            let pairs = frontier.reduce(0) { $0 + Int(near.levels[level][$1].count + far.levels[level][$1].count) }
            messages.append(frontier.count * 4 + pairs * pairBytes)
        }
        return Outcome(differingLeaves: level == near.depth ? frontier : [], messages: messages)
    }
}
