/// The sum mod 2^256 of the record digests in a range, and how many there are. Adding and
/// removing a digest are each one 256-bit addition, so a range's fingerprint follows every
/// applied record without rescanning, and the sum does not depend on order.
public struct RangeSum: Sendable, Equatable, Hashable {
    /// Little-endian 64-bit limbs.
    public private(set) var limbs: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
    public private(set) var count: Int64 = 0

    public init() {}

    public static func == (a: RangeSum, b: RangeSum) -> Bool {
        a.count == b.count && a.limbs.0 == b.limbs.0 && a.limbs.1 == b.limbs.1 && a.limbs.2 == b.limbs.2 && a.limbs.3 == b.limbs.3
    }

    public func hash(into hasher: inout Swift.Hasher) {
        hasher.combine(count)
        hasher.combine(limbs.0)
        hasher.combine(limbs.1)
        hasher.combine(limbs.2)
        hasher.combine(limbs.3)
    }

    public mutating func add(_ digest: [UInt8]) {
        add(limbs: Self.limbs(digest))
        count += 1
    }

    public mutating func remove(_ digest: [UInt8]) {
        let d = Self.limbs(digest)
        var borrow: UInt64 = 0
        (limbs.0, borrow) = Self.subtract(limbs.0, d.0, borrow)
        (limbs.1, borrow) = Self.subtract(limbs.1, d.1, borrow)
        (limbs.2, borrow) = Self.subtract(limbs.2, d.2, borrow)
        (limbs.3, _) = Self.subtract(limbs.3, d.3, borrow)
        count -= 1
    }

    public mutating func add(_ other: RangeSum) {
        add(limbs: other.limbs)
        count += other.count
    }

    private mutating func add(limbs d: (UInt64, UInt64, UInt64, UInt64)) {
        var carry: UInt64 = 0
        (limbs.0, carry) = Self.add(limbs.0, d.0, carry)
        (limbs.1, carry) = Self.add(limbs.1, d.1, carry)
        (limbs.2, carry) = Self.add(limbs.2, d.2, carry)
        (limbs.3, _) = Self.add(limbs.3, d.3, carry)
    }

    /// 40 bytes: the sum, then the count, both little-endian; what crosses the gap.
    public var bytes: [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(40)
        for limb in [limbs.0, limbs.1, limbs.2, limbs.3, UInt64(bitPattern: count)] {
            for shift in stride(from: 0, to: 64, by: 8) { out.append(UInt8(truncatingIfNeeded: limb >> UInt64(shift))) }
        }
        return out
    }

    /// Sums as stored side by side: each one's 40 bytes, in order.
    public static func joined(_ sums: [RangeSum]) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(sums.count * 40)
        for sum in sums { bytes += sum.bytes }
        return bytes
    }

    /// The sums `joined` stored, or nil when `bytes` is not a whole number of them.
    public static func split(_ bytes: [UInt8]) -> [RangeSum]? {
        guard bytes.count % 40 == 0 else { return nil }
        return stride(from: 0, to: bytes.count, by: 40).map { RangeSum(bytes: Array(bytes[$0 ..< $0 + 40]))! }
    }

    public init?(bytes: [UInt8]) {
        guard bytes.count == 40 else { return nil }
        func limb(_ i: Int) -> UInt64 { (0..<8).reduce(UInt64(0)) { $0 | UInt64(bytes[i * 8 + $1]) << UInt64($1 * 8) } }
        limbs = (limb(0), limb(1), limb(2), limb(3))
        count = Int64(bitPattern: limb(4))
    }

    static func limbs(_ digest: [UInt8]) -> (UInt64, UInt64, UInt64, UInt64) {
        func limb(_ i: Int) -> UInt64 {
            (0..<8).reduce(UInt64(0)) { value, byte in
                let index = i * 8 + byte
                return value | UInt64(index < digest.count ? digest[index] : 0) << UInt64(byte * 8)
            }
        }
        return (limb(0), limb(1), limb(2), limb(3))
    }

    static func add(_ a: UInt64, _ b: UInt64, _ carry: UInt64) -> (UInt64, UInt64) {
        let (s1, o1) = a.addingReportingOverflow(b)
        let (s2, o2) = s1.addingReportingOverflow(carry)
        return (s2, (o1 ? 1 : 0) + (o2 ? 1 : 0))
    }

    static func subtract(_ a: UInt64, _ b: UInt64, _ borrow: UInt64) -> (UInt64, UInt64) {
        let (d1, o1) = a.subtractingReportingOverflow(b)
        let (d2, o2) = d1.subtractingReportingOverflow(borrow)
        return (d2, (o1 ? 1 : 0) + (o2 ? 1 : 0))
    }
}
