/// Range fingerprints over one copy of an entity, partitioned by a keyed hash of the match
/// key rather than by key order: text keys, composite keys and gaps in key ranges all
/// spread evenly, and both sides agree on the partition without seeing each other's keys.
///
/// Leaves are `fanOut^depth` buckets; every level above sums its children. Adding or
/// removing a record touches one node per level, so the tree follows applies and a
/// reconcile never rescans. Two trees of the same shape are compared top-down, descending
/// only where fingerprints differ.
public struct DigestTree: Sendable, Equatable {
    public let fanOut: Int
    public let depth: Int
    /// `levels[0]` is the root; `levels[depth]` the leaves.
    public private(set) var levels: [[RangeSum]]

    /// `fanOut` is a power of two from 2 to 256; `depth` at least 1.
    public init(fanOut: Int = 16, depth: Int = 4) {
        precondition(fanOut >= 2 && fanOut <= 256 && fanOut & (fanOut - 1) == 0 && depth >= 1, "fan-out is a power of two, depth at least 1")
        self.fanOut = fanOut
        self.depth = depth
        var levels: [[RangeSum]] = []
        var width = 1
        for _ in 0...depth {
            levels.append(Array(repeating: RangeSum(), count: width))
            width *= fanOut
        }
        self.levels = levels
    }

    /// A tree over known leaf sums (kept elsewhere, incrementally): each level sums the one below.
    public init(fanOut: Int, depth: Int, leaves: [RangeSum]) {
        self.init(fanOut: fanOut, depth: depth)
        precondition(leaves.count == levels[depth].count, "one sum per leaf")
        levels[depth] = leaves
        for level in stride(from: depth - 1, through: 0, by: -1) {
            for index in levels[level].indices {
                var sum = RangeSum()
                for child in levels[level + 1][(index * fanOut)..<((index + 1) * fanOut)] { sum.add(child) }
                levels[level][index] = sum
            }
        }
    }

    /// A depth giving leaves of about `perLeaf` records for `records` records, with 2^24
    /// leaves at most whatever the fan-out.
    public static func depth(forRecords records: Int, fanOut: Int = 16, perLeaf: Int = 16) -> Int {
        var depth = 1
        var leaves = fanOut
        while leaves * perLeaf < records, leaves * fanOut <= 1 << 24 {
            depth += 1
            leaves *= fanOut
        }
        return depth
    }

    public var leafCount: Int { levels[depth].count }
    public var root: RangeSum { levels[0][0] }

    /// The leaf a key digest falls in: the top bits of its first eight bytes.
    public func leaf(of keyDigest: [UInt8]) -> Int {
        let top = (0..<8).reduce(UInt64(0)) { $0 << 8 | UInt64($1 < keyDigest.count ? keyDigest[$1] : 0) }
        let bits = leafCount.trailingZeroBitCount
        return Int(top >> UInt64(64 - bits))
    }

    public mutating func add(key: [UInt8], digest: [UInt8]) {
        var index = leaf(of: key)
        for level in stride(from: depth, through: 0, by: -1) {
            levels[level][index].add(digest)
            index /= fanOut
        }
    }

    public mutating func remove(key: [UInt8], digest: [UInt8]) {
        var index = leaf(of: key)
        for level in stride(from: depth, through: 0, by: -1) {
            levels[level][index].remove(digest)
            index /= fanOut
        }
    }

    /// Replaces a record's digest (an update): one subtraction and one addition per level.
    public mutating func replace(key: [UInt8], old: [UInt8], new: [UInt8]) {
        remove(key: key, digest: old)
        add(key: key, digest: new)
    }

    public func children(level: Int, index: Int) -> ArraySlice<RangeSum> {
        levels[level + 1][(index * fanOut)..<((index + 1) * fanOut)]
    }

    /// The leaves whose fingerprints differ, found top-down, and how many fingerprints the
    /// descent looked at (what a round-trip protocol would ship).
    public func differingLeaves(against other: DigestTree) -> (leaves: [Int], compared: Int) {
        precondition(fanOut == other.fanOut && depth == other.depth, "trees of different shapes")
        var frontier = root == other.root ? [] : [0]
        var compared = 1
        for level in 0..<depth {
            var next: [Int] = []
            for index in frontier {
                for child in (index * fanOut)..<((index + 1) * fanOut) where levels[level + 1][child] != other.levels[level + 1][child] {
                    next.append(child)
                }
                compared += fanOut
            }
            frontier = next
        }
        return (frontier, compared)
    }
}
