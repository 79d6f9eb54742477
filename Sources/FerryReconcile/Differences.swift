/// One record as reconciliation sees it: the keyed digest of its match key and the keyed
/// digest of its canonical encoding. Neither reveals the record.
public struct DigestPair: Sendable, Hashable {
    public var key: [UInt8]
    public var digest: [UInt8]

    public init(key: [UInt8], digest: [UInt8]) {
        self.key = key
        self.digest = digest
    }
}

/// How two copies differ, by key digest.
public struct Differences: Sendable, Equatable {
    /// Keys only the left copy holds (missing on the right).
    public var onlyLeft: Set<[UInt8]> = []
    /// Keys only the right copy holds (missing on the left).
    public var onlyRight: Set<[UInt8]> = []
    /// Keys both hold with different contents.
    public var changed: Set<[UInt8]> = []

    public init() {}

    public var isEmpty: Bool { onlyLeft.isEmpty && onlyRight.isEmpty && changed.isEmpty }

    /// Compares the records of the differing leaves, given from both sides.
    public static func between(left: [DigestPair], right: [DigestPair]) -> Differences {
        var theirs: [[UInt8]: [UInt8]] = [:]
        theirs.reserveCapacity(right.count)
        for pair in right { theirs[pair.key] = pair.digest }
        var differences = Differences()
        for pair in left {
            guard let other = theirs.removeValue(forKey: pair.key) else {
                differences.onlyLeft.insert(pair.key)
                continue
            }
            if other != pair.digest { differences.changed.insert(pair.key) }
        }
        differences.onlyRight = Set(theirs.keys)
        return differences
    }
}
