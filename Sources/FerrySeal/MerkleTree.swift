/// An RFC 6962 Merkle tree hash, built incrementally in O(log n) memory so a bundle of
/// millions of records never holds all their digests at once.
///
/// Leaves are `SHA-256(0x00 || data)`, interior nodes `SHA-256(0x01 || left || right)`.
public struct MerkleTree: Sendable {
    private var stack: [(size: Int, hash: [UInt8])] = []
    public private(set) var count = 0

    public init() {}

    public mutating func append(leaf data: [UInt8]) {
        appendDigest(Self.leafHash(data))
    }

    /// Appends a leaf whose leaf hash is already known.
    public mutating func appendDigest(_ leafHash: [UInt8]) {
        var node = (size: 1, hash: leafHash)
        while let top = stack.last, top.size == node.size {
            stack.removeLast()
            node = (top.size * 2, Self.nodeHash(top.hash, node.hash))
        }
        stack.append(node)
        count += 1
    }

    /// The root; the empty tree's root is SHA-256 of nothing.
    public var root: [UInt8] {
        guard var hash = stack.last?.hash else { return Hasher.sha256([]) }
        for item in stack.dropLast().reversed() {
            hash = Self.nodeHash(item.hash, hash)
        }
        return hash
    }

    public static func leafHash(_ data: [UInt8]) -> [UInt8] { Hasher.sha256([0] + data) }

    public static func nodeHash(_ left: [UInt8], _ right: [UInt8]) -> [UInt8] {
        Hasher.sha256([1] + left + right)
    }
}

/// Inclusion proofs (RFC 6962 §2.1.1 audit paths) over leaf hashes, for proving that one
/// record was in a bundle without listing the others.
extension MerkleTree {
    /// The root over leaf hashes already computed.
    public static func root(leafHashes: [[UInt8]]) -> [UInt8] {
        var tree = MerkleTree()
        for leaf in leafHashes { tree.appendDigest(leaf) }
        return tree.root
    }

    /// The sibling hashes from leaf `index` up to the root.
    public static func proof(leafHashes: [[UInt8]], index: Int) -> [[UInt8]] {
        guard leafHashes.count > 1 else { return [] }
        let split = largestPowerOfTwo(below: leafHashes.count)
        if index < split {
            return proof(leafHashes: Array(leafHashes[..<split]), index: index) + [root(leafHashes: Array(leafHashes[split...]))]
        }
        return proof(leafHashes: Array(leafHashes[split...]), index: index - split) + [root(leafHashes: Array(leafHashes[..<split]))]
    }

    /// Whether `leafHash` at `index` of `count` leaves, with `proof`, gives `root`.
    public static func verify(leafHash: [UInt8], index: Int, count: Int, proof: [[UInt8]], root: [UInt8]) -> Bool {
        guard index >= 0, index < count else { return false }
        // Walk down to find which side each step took, then fold the proof bottom-up.
        var sides: [Bool] = []  // true: our subtree is the left one
        var (offset, size) = (index, count)
        while size > 1 {
            let split = largestPowerOfTwo(below: size)
            if offset < split {
                sides.append(true)
                size = split
            } else {
                sides.append(false)
                offset -= split
                size -= split
            }
        }
        guard sides.count == proof.count else { return false }
        var hash = leafHash
        for (sibling, left) in zip(proof, sides.reversed()) {
            hash = left ? nodeHash(hash, sibling) : nodeHash(sibling, hash)
        }
        return hash == root
    }

    /// The largest power of two strictly below `n` (n ≥ 2).
    static func largestPowerOfTwo(below n: Int) -> Int {
        var k = 1
        while k << 1 < n { k <<= 1 }
        return k
    }
}

