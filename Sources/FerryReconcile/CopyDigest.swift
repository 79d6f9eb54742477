/// One copy of an entity, digested in a single pass: the range tree its summary comes
/// from and a sketch wide enough for the most differences a reconcile will resolve. Both
/// are fixed in size, so memory does not grow with the copy.
public struct CopyDigest: Sendable {
    /// 4096 ranges at most: three levels under the root at the tree's fan-out of 16.
    public private(set) var tree = DigestTree(fanOut: 16, depth: 3)
    public private(set) var sketch: Sketch
    public private(set) var records = 0

    public init(sketchWidth: Int = Reconciler.maxWidth) {
        sketch = Sketch(width: sketchWidth)
    }

    /// A copy whose range sums are already known, kept as records were applied: only the
    /// sketch is left to fill, with `addToSketch`.
    public init(tree: DigestTree, sketchWidth: Int) {
        precondition(tree.fanOut == 16 && tree.depth == 3, "a copy's tree has 4096 ranges under three levels")
        self.tree = tree
        sketch = Sketch(width: sketchWidth)
        records = Int(tree.root.count)
    }

    public mutating func addToSketch(_ pair: DigestPair) { sketch.insert(pair) }

    public mutating func add(_ pair: DigestPair) {
        tree.add(key: pair.key, digest: pair.digest)
        sketch.insert(pair)
        records += 1
    }

    /// The summary at `ranges` ranges (16, 256 or 4096), or at the size this copy calls for.
    public func summary(ranges: Int? = nil) -> RangeSummary {
        RangeSummary(tree: tree, ranges: ranges ?? RangeSummary.ranges(forRecords: records))
    }
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
