/// A set-reconciliation sketch (an invertible Bloom lookup table) of (key, digest) pairs.
/// Each side inserts every pair of its copy; one sketch subtracted from the other leaves
/// only the pairs the copies do not share, and those are peeled out one by one. Its size
/// depends on how many pairs differ, not on how many records there are: that is what
/// keeps a million-record reconcile with a thousand differences under 100 KB.
///
/// Pairs travel as 8 bytes of the key digest and 8 of the record digest: enough to tell
/// 10^8 records apart, and each side maps them back to its own records afterwards.
/// Every pair lands in one cell of each of three partitions. A partition's width is a
/// power of two, so a wide sketch folds into a narrow one without a rescan.
public struct Sketch: Sendable, Equatable {
    public struct Element: Sendable, Hashable {
        public var key: UInt64
        public var digest: UInt64

        public init(key: UInt64, digest: UInt64) {
            self.key = key
            self.digest = digest
        }

        /// The first eight bytes of a key digest and of a record digest, big-endian.
        public init(_ pair: DigestPair) {
            self.init(key: Self.word(pair.key), digest: Self.word(pair.digest))
        }

        static func word(_ bytes: [UInt8]) -> UInt64 {
            (0..<8).reduce(UInt64(0)) { $0 << 8 | UInt64($1 < bytes.count ? bytes[$1] : 0) }
        }
    }

    public static let partitions = 3
    /// Count (2), key (8), digest (8), check (4).
    public static let cellBytes = 22

    /// Cells per partition.
    public let width: Int
    private var counts: [UInt16]
    private var keys: [UInt64]
    private var digests: [UInt64]
    private var checks: [UInt32]

    public init(width: Int) {
        precondition(width >= 1 && width & (width - 1) == 0, "a sketch's width is a power of two")
        self.width = width
        let cells = width * Self.partitions
        counts = Array(repeating: 0, count: cells)
        keys = Array(repeating: 0, count: cells)
        digests = Array(repeating: 0, count: cells)
        checks = Array(repeating: 0, count: cells)
    }

    /// The narrowest width that peels `elements` differing pairs with high probability:
    /// three hashes need about 1.23 cells a pair for large sets; small ones need slack.
    public static func width(forElements elements: Int) -> Int {
        let cells = Double(max(0, elements)) * 1.4 + 24
        var width = 8
        // Bounded, so an absurd count (from a damaged peer) cannot overflow.
        while Double(width * partitions) < cells, width < 1 << 40 { width *= 2 }
        return width
    }

    public var byteCount: Int { width * Self.partitions * Self.cellBytes }

    public mutating func insert(_ element: Element) { toggle(element, by: 1) }

    public mutating func insert(_ pair: DigestPair) { insert(Element(pair)) }

    /// Removes the other side's pairs: what is left is the difference, ours counted +1 and
    /// theirs −1.
    public mutating func subtract(_ other: Sketch) {
        precondition(width == other.width, "sketches of different widths")
        for i in counts.indices {
            counts[i] &-= other.counts[i]
            keys[i] ^= other.keys[i]
            digests[i] ^= other.digests[i]
            checks[i] ^= other.checks[i]
        }
    }

    /// The same sketch at a narrower width: each partition's upper half folded onto its lower.
    public func folded(to narrower: Int) -> Sketch {
        precondition(narrower >= 1 && narrower <= width && narrower & (narrower - 1) == 0, "fold to a smaller power of two")
        var out = Sketch(width: narrower)
        for partition in 0..<Self.partitions {
            for i in 0..<width {
                let from = partition * width + i
                let to = partition * narrower + (i & (narrower - 1))
                out.counts[to] &+= counts[from]
                out.keys[to] ^= keys[from]
                out.digests[to] ^= digests[from]
                out.checks[to] ^= checks[from]
            }
        }
        return out
    }

    /// Peels a subtracted sketch: the pairs only this side has and those only the other has,
    /// or nil when the difference was too big for this width.
    public func decode() -> (ours: [Element], theirs: [Element])? {
        var copy = self
        var ours: [Element] = []
        var theirs: [Element] = []
        var peeled = Set<Element>()
        var pending = Array(counts.indices)
        while let cell = pending.popLast() {
            let count = copy.counts[cell]
            guard count == 1 || count == UInt16.max else { continue }
            let element = Element(key: copy.keys[cell], digest: copy.digests[cell])
            guard copy.checks[cell] == Self.check(element) else { continue }
            // An honest difference peels each pair once; a second time means cells that do
            // not add up (a damaged sketch), which would otherwise peel forever.
            guard peeled.insert(element).inserted else { return nil }
            if count == 1 { ours.append(element) } else { theirs.append(element) }
            copy.toggle(element, by: count == 1 ? UInt16.max : 1)
            pending.append(contentsOf: Self.cells(element, width: width))
        }
        guard copy.counts.allSatisfy({ $0 == 0 }), copy.keys.allSatisfy({ $0 == 0 }), copy.digests.allSatisfy({ $0 == 0 }) else { return nil }
        return (ours, theirs)
    }

    private mutating func toggle(_ element: Element, by delta: UInt16) {
        let check = Self.check(element)
        for cell in Self.cells(element, width: width) {
            counts[cell] &+= delta
            keys[cell] ^= element.key
            digests[cell] ^= element.digest
            checks[cell] ^= check
        }
    }

    /// The low bits of a hash pick the cell, so folding a partition in half keeps every
    /// pair in the cell it would have had at the narrower width.
    static func cells(_ element: Element, width: Int) -> [Int] {
        let base = mix(element.key ^ mix(element.digest))
        return (0..<partitions).map { partition in
            partition * width + Int(truncatingIfNeeded: mix(base &+ UInt64(partition + 1) &* 0x9E37_79B9_7F4A_7C15) & UInt64(width - 1))
        }
    }

    static func check(_ element: Element) -> UInt32 {
        UInt32(truncatingIfNeeded: mix(element.digest ^ mix(element.key ^ 0x5EED_C0DE_F00D_BA5E)) >> 32)
    }

    /// SplitMix64's finaliser: every input bit reaches every output bit.
    static func mix(_ value: UInt64) -> UInt64 {
        var z = value
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Little-endian cells, partition by partition; what crosses the gap.
    public var bytes: [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(byteCount)
        func put(_ value: UInt64, _ size: Int) {
            for shift in stride(from: 0, to: size * 8, by: 8) { out.append(UInt8(truncatingIfNeeded: value >> UInt64(shift))) }
        }
        for i in counts.indices {
            put(UInt64(counts[i]), 2)
            put(keys[i], 8)
            put(digests[i], 8)
            put(UInt64(checks[i]), 4)
        }
        return out
    }

    /// Reads a sketch of `width` back; nil when the bytes are not exactly that size.
    public init?(bytes: [UInt8], width: Int) {
        guard width >= 1, width & (width - 1) == 0, bytes.count == width * Self.partitions * Self.cellBytes else { return nil }
        self.init(width: width)
        var offset = 0
        func take(_ size: Int) -> UInt64 {
            defer { offset += size }
            return (0..<size).reduce(UInt64(0)) { $0 | UInt64(bytes[offset + $1]) << UInt64($1 * 8) }
        }
        for i in counts.indices {
            counts[i] = UInt16(truncatingIfNeeded: take(2))
            keys[i] = take(8)
            digests[i] = take(8)
            checks[i] = UInt32(truncatingIfNeeded: take(4))
        }
    }
}
