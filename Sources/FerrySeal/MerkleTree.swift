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
