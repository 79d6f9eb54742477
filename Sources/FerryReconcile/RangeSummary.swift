import Foundation

/// One level of range fingerprints, short enough to open a reconcile across a gap: the
/// whole copy's range sum, and per range three bytes (two of a hash of its sum, the low
/// byte of its count). Comparing two summaries says whether the copies differ and about
/// how many pairs a sketch must hold to find every difference.
///
/// Ranges are the keyed-hash partition of `DigestTree`, so a summary is a tree level.
public struct RangeSummary: Sendable, Equatable {
    public static let entryBytes = 3

    public var root: RangeSum
    /// Per range: the 16-bit fingerprint in the high bits, the count's low byte in the low.
    public var entries: [UInt32]

    public var ranges: Int { entries.count }

    /// The summary of a tree at `ranges` ranges, a power of two up to its leaves. Ranges
    /// are the top bits of the key digest, so a summary of 2^k ranges is the same whatever
    /// the fan-out of the tree it came from: both sides need only agree on the width.
    public init(tree: DigestTree, ranges: Int) {
        self.init(root: tree.root, sums: Self.grouped(tree.levels[tree.depth], into: ranges))
    }

    /// Leaf sums added up into `ranges` ranges of consecutive leaves.
    public static func grouped(_ leaves: [RangeSum], into ranges: Int) -> [RangeSum] {
        precondition(ranges >= 1 && ranges & (ranges - 1) == 0 && ranges <= leaves.count, "ranges are a power of two, at most the leaves")
        let per = leaves.count / ranges
        guard per > 1 else { return leaves }
        return (0..<ranges).map { range in
            var sum = RangeSum()
            for leaf in leaves[(range * per)..<((range + 1) * per)] { sum.add(leaf) }
            return sum
        }
    }

    /// A summary of range sums alone, its root their total.
    public init(sums: [RangeSum]) {
        var root = RangeSum()
        for sum in sums { root.add(sum) }
        self.init(root: root, sums: sums)
    }

    public init(root: RangeSum, sums: [RangeSum]) {
        self.root = root
        entries = sums.map { sum in
            let hash = Self.fingerprint(sum)
            return UInt32(truncatingIfNeeded: hash >> 48) << 8 | UInt32(UInt64(bitPattern: sum.count) & 0xFF)
        }
    }

    /// FNV-1a over a range's 40 bytes: enough to tell ranges apart for an estimate (it is
    /// no security boundary; the bundle around it is).
    static func fingerprint(_ sum: RangeSum) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in sum.bytes {
            hash ^= UInt64(byte)
            hash &*= 0x0100_0000_01b3
        }
        return hash
    }

    /// The fan-outs a summary can be taken at: those whose levels reach the 4096 leaf
    /// ranges exactly.
    public static let fanOuts = [2, 4, 8, 16, 64]

    /// The number of ranges a copy of `records` records is summarised in: the first level
    /// of a tree of `fanOut` with about 256 records a range or fewer, 4096 ranges (12 KB)
    /// at most. A smaller fan-out picks a level nearer that size, so a middling copy opens
    /// with fewer bytes.
    public static func ranges(forRecords records: Int, fanOut: Int = 16) -> Int {
        var ranges = fanOut
        while ranges * fanOut <= 4096, ranges * 256 < records { ranges *= fanOut }
        return ranges
    }

    /// How the other copy compares: equal, or the number of differing ranges and an
    /// estimate of the differing pairs (a changed record is two: its old and new digest).
    /// With `only`, ranges outside it are left out.
    public func compare(with other: RangeSummary, only: ((Int) -> Bool)? = nil) -> Comparison {
        let records = Int(Self.plausible(root.count) + Self.plausible(other.root.count))
        guard root != other.root else { return Comparison(differingRanges: 0, estimatedPairs: 0, saturated: false, records: records) }
        guard ranges == other.ranges else {
            // Summaries of different widths cannot be matched range by range: size for the
            // count difference at least, and say so.
            return Comparison(differingRanges: ranges, estimatedPairs: Int(abs(Self.plausible(root.count) - Self.plausible(other.root.count))) * 2 + 64,
                saturated: true, records: records)
        }
        var differing = 0
        var pairs = 0
        let considered = only.map { include in entries.indices.filter(include).count } ?? ranges
        guard considered > 0 else { return Comparison(differingRanges: 0, estimatedPairs: 0, saturated: false, records: records) }
        for (index, (a, b)) in zip(entries, other.entries).enumerated() where a != b && only?(index) ?? true {
            differing += 1
            let delta = Int(Int8(truncatingIfNeeded: UInt8(a & 0xFF) &- UInt8(b & 0xFF)))
            pairs += delta == 0 ? 2 : abs(delta)
        }
        // Several differences can share a range: scale by the expected number per
        // differing range, from how many ranges are touched at all.
        let saturated = differing >= considered - considered / 64
        let touched = Double(min(differing, considered - 1)) / Double(considered)
        let perRange = touched > 0 ? -Foundation.log(1 - touched) / touched : 1
        return Comparison(differingRanges: differing, estimatedPairs: max(1, Int((Double(pairs) * perRange).rounded(.up))), saturated: saturated,
            records: records)
    }

    /// Counts come from the far side: clamped to what a copy can hold, so no arithmetic on
    /// them overflows.
    static func plausible(_ count: Int64) -> Int64 { min(max(count, 0), 1 << 40) }

    public struct Comparison: Sendable, Equatable {
        public var differingRanges: Int
        public var estimatedPairs: Int
        /// Nearly every range differs: the estimate is a floor, not a measure.
        public var saturated: Bool
        /// Records in both copies together: no more pairs than that can differ.
        public var records: Int

        public var equal: Bool { differingRanges == 0 }

        public init(differingRanges: Int, estimatedPairs: Int, saturated: Bool, records: Int = 0) {
            self.differingRanges = differingRanges
            self.estimatedPairs = estimatedPairs
            self.saturated = saturated
            self.records = records
        }
    }

    public var bytes: [UInt8] {
        var out = root.bytes
        out.reserveCapacity(40 + entries.count * Self.entryBytes)
        for entry in entries {
            out.append(UInt8(truncatingIfNeeded: entry >> 16))
            out.append(UInt8(truncatingIfNeeded: entry >> 8))
            out.append(UInt8(truncatingIfNeeded: entry))
        }
        return out
    }

    public init?(bytes: [UInt8]) {
        guard bytes.count >= 40, (bytes.count - 40) % Self.entryBytes == 0, let root = RangeSum(bytes: Array(bytes[0..<40])) else { return nil }
        self.root = root
        entries = stride(from: 40, to: bytes.count, by: Self.entryBytes).map { i in
            UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2])
        }
        let count = entries.count
        guard count >= 1, count & (count - 1) == 0 else { return nil }
    }
}
