/// Some of a summary's ranges: those a one-way opening ships pairs for. A bitmap, one bit
/// a range, the ranges being the top bits of the key digest as in `DigestTree`.
public struct RangeSelection: Sendable, Equatable {
    /// The summary's width, a power of two.
    public let ranges: Int
    public private(set) var bits: [UInt8]

    /// No range selected, or every one with `all`.
    public init(ranges: Int, all: Bool = false) {
        precondition(ranges >= 1 && ranges & (ranges - 1) == 0, "ranges are a power of two")
        self.ranges = ranges
        bits = Array(repeating: 0, count: (ranges + 7) / 8)
        if all { for range in 0..<ranges { insert(range) } }
    }

    public mutating func insert(_ range: Int) { bits[range / 8] |= 1 << UInt8(range % 8) }

    public func contains(_ range: Int) -> Bool { range >= 0 && range < ranges && bits[range / 8] & (1 << UInt8(range % 8)) != 0 }

    /// Whether a pair with this key digest falls in a selected range.
    public func contains(key: [UInt8]) -> Bool { contains(Self.range(of: key, ranges: ranges)) }

    /// Selected ranges.
    public var count: Int { bits.reduce(0) { $0 + $1.nonzeroBitCount } }

    /// The range of `ranges` a key digest falls in: its top bits, as `DigestTree.leaf`.
    public static func range(of key: [UInt8], ranges: Int) -> Int {
        guard ranges > 1 else { return 0 }
        let top = (0..<8).reduce(UInt64(0)) { $0 << 8 | UInt64($1 < key.count ? key[$1] : 0) }
        return Int(top >> UInt64(64 - ranges.trailingZeroBitCount))
    }

    /// The ranges whose sums differ between two sets of range sums of one width.
    public static func changed(from old: [RangeSum], to new: [RangeSum]) -> RangeSelection {
        precondition(old.count == new.count, "sums of one width")
        var selection = RangeSelection(ranges: new.count)
        for (range, (a, b)) in zip(old, new).enumerated() where a != b { selection.insert(range) }
        return selection
    }

    /// The bitmap as it travels; nil when its length does not fit `ranges` or bits past
    /// the last range are set.
    public init?(bits: [UInt8], ranges: Int) {
        guard ranges >= 1, ranges & (ranges - 1) == 0, bits.count == (ranges + 7) / 8 else { return nil }
        self.init(ranges: ranges)
        self.bits = bits
        if ranges < 8, bits[0] >> UInt8(ranges) != 0 { return nil }
    }
}
