/// One copy of an entity, digested in a single pass: the range tree its summary comes
/// from and a sketch wide enough for the most differences a reconcile will resolve. Both
/// are fixed in size, so memory does not grow with the copy.
public struct CopyDigest: Sendable {
    /// 4096 ranges at most: three levels under the root at the tree's fan-out of 16.
    public private(set) var tree = DigestTree(fanOut: 16, depth: 3)
    public private(set) var sketch: Sketch
    /// The ranges whose pairs go into the sketch (every range when nil): a one-way opening
    /// ships only those that changed since the last one.
    public let sketchOnly: RangeSelection?
    public private(set) var records = 0

    public init(sketchWidth: Int = Reconciler.maxWidth, sketchOnly: RangeSelection? = nil) {
        sketch = Sketch(width: sketchWidth)
        self.sketchOnly = sketchOnly
    }

    /// A copy whose range sums are already known, kept as records were applied: only the
    /// sketch is left to fill, with `addToSketch`.
    public init(tree: DigestTree, sketchWidth: Int, sketchOnly: RangeSelection? = nil) {
        precondition(tree.fanOut == 16 && tree.depth == 3, "a copy's tree has 4096 ranges under three levels")
        self.tree = tree
        sketch = Sketch(width: sketchWidth)
        self.sketchOnly = sketchOnly
        records = Int(tree.root.count)
    }

    public mutating func addToSketch(_ pair: DigestPair) {
        if sketchOnly?.contains(key: pair.key) ?? true { sketch.insert(pair) }
    }

    public mutating func add(_ pair: DigestPair) {
        tree.add(key: pair.key, digest: pair.digest)
        addToSketch(pair)
        records += 1
    }

    /// The 4096 leaf range sums.
    public var leaves: [RangeSum] { tree.levels[tree.depth] }

    /// The summary at the size this copy calls for at a tree fan-out of `fanOut`.
    public func summary(fanOut: Int = 16) -> RangeSummary {
        RangeSummary(tree: tree, ranges: RangeSummary.ranges(forRecords: records, fanOut: fanOut))
    }

    /// The summary at `ranges` ranges (a power of two up to 4096), as the far side sent it.
    public func summary(ranges: Int) -> RangeSummary { RangeSummary(tree: tree, ranges: ranges) }
}

/// The decisions both sides of a reconcile take, apart from how messages travel.
public enum Reconciler {
    /// The widest sketch: 3 × 32768 cells, 2.1 MB on the wire, about 70,000 differing pairs.
    public static let maxWidth = 1 << 15

    /// The width an answer's sketch needs for the estimated difference, with room for the
    /// estimate's error (a range touched by several records is counted as one or two).
    /// When nearly every range differs the estimate is only a floor: then the sketch is
    /// sized for every record of both copies, or four times the floor if that is more
    /// than a sketch holds (a `more` round widens it further). Nil past `maxWidth`.
    public static func width(for comparison: RangeSummary.Comparison) -> Int? {
        let ceiling = Sketch.width(forElements: comparison.records) <= maxWidth ? comparison.records : comparison.estimatedPairs * 4
        let pairs = comparison.saturated ? max(comparison.estimatedPairs, ceiling) : comparison.estimatedPairs + comparison.estimatedPairs / 8
        let width = Sketch.width(forElements: pairs)
        return width <= maxWidth ? width : nil
    }

    /// What a one-way opening ships: without a return path nobody can ask for more, so it
    /// sends the ranges whose sums changed since the last opening towards that target
    /// (every range on a first opening, or with `all`) and a sketch of their pairs wide
    /// enough for what changed there, with room for drift on the far side. An explicit
    /// `capacity` (differing records) sets the width instead.
    public struct OneWayPlan: Sendable, Equatable {
        /// Nil: every range.
        public var ranges: RangeSelection?
        public var width: Int
        /// Pairs changed since the last opening, estimated from the sums; nil on a first.
        public var changedPairs: Int?
    }

    public static func oneWayPlan(leaves: [RangeSum], previous: [RangeSum]?, ranges: Int, capacity: Int?, all: Bool = false) -> OneWayPlan {
        func width(pairs: Int) -> Int { min(maxWidth, Sketch.width(forElements: pairs)) }
        guard !all, let previous, previous.count == leaves.count else {
            return OneWayPlan(ranges: nil, width: width(pairs: max(1, capacity ?? 1000) * 2), changedPairs: nil)
        }
        let (old, new) = (RangeSummary.grouped(previous, into: ranges), RangeSummary.grouped(leaves, into: ranges))
        let changed = RangeSelection.changed(from: old, to: new)
        // Compared over every range (the unchanged ones are equal), so that the estimate
        // scales by how many of all ranges changed, not as if every range had.
        let pairs = RangeSummary(sums: new).compare(with: RangeSummary(sums: old)).estimatedPairs
        // A quarter again, and 32 pairs, of room for the estimate's error and for drift on
        // the far side within those ranges; more would double the sketch for a copy whose
        // estimate sits just under a power of two.
        let sized = capacity.map { max(1, $0) * 2 } ?? pairs + pairs / 4 + 32
        return OneWayPlan(ranges: changed.count == ranges ? nil : changed, width: width(pairs: sized), changedPairs: pairs)
    }

    /// The differences between our copy and theirs, from the two sketches (folded to the
    /// narrower of the two), by the first eight bytes of each key digest; nil when the
    /// difference is too large for that width.
    public static func differences(ours: Sketch, theirs: Sketch) -> Differences? {
        let width = min(ours.width, theirs.width)
        var left = ours.width == width ? ours : ours.folded(to: width)
        left.subtract(theirs.width == width ? theirs : theirs.folded(to: width))
        guard let (mine, other) = left.decode() else { return nil }
        return Differences(ours: mine, theirs: other)
    }

    /// The eight-byte prefix sketches use for a key digest.
    public static func shortKey(_ keyDigest: [UInt8]) -> [UInt8] { Array(keyDigest.prefix(8)) }
}

extension Differences {
    /// Pairs one side holds and the other does not, classed by key: a key on both sides
    /// is a changed record, on one side a missing one.
    public init(ours: [Sketch.Element], theirs: [Sketch.Element]) {
        self.init()
        func bytes(_ key: UInt64) -> [UInt8] { (0..<8).map { UInt8(truncatingIfNeeded: key >> UInt64(56 - $0 * 8)) } }
        let theirKeys = Set(theirs.map(\.key))
        let ourKeys = Set(ours.map(\.key))
        for key in ourKeys {
            if theirKeys.contains(key) { changed.insert(bytes(key)) } else { onlyLeft.insert(bytes(key)) }
        }
        for key in theirKeys where !ourKeys.contains(key) { onlyRight.insert(bytes(key)) }
    }
}
