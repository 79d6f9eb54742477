import Testing
import FerrySeal

/// Inclusion proofs: every leaf of trees of every shape up to 33 leaves proves against the
/// root the incremental builder computes, and a proof never passes for another leaf,
/// another position or another root.
@Suite struct MerkleProofTests {
    @Test func everyLeafProvesAndNothingElseDoes() {
        for count in 1...33 {
            let leaves = (0..<count).map { MerkleTree.leafHash(Array("record \($0)".utf8)) }
            var tree = MerkleTree()
            for leaf in leaves { tree.appendDigest(leaf) }
            #expect(MerkleTree.root(leafHashes: leaves) == tree.root)
            for index in 0..<count {
                let proof = MerkleTree.proof(leafHashes: leaves, index: index)
                #expect(MerkleTree.verify(leafHash: leaves[index], index: index, count: count, proof: proof, root: tree.root), "\(index) of \(count)")
                if count > 1 {
                    let other = (index + 1) % count
                    #expect(!MerkleTree.verify(leafHash: leaves[other], index: index, count: count, proof: proof, root: tree.root))
                    #expect(!MerkleTree.verify(leafHash: leaves[index], index: other, count: count, proof: proof, root: tree.root))
                }
                #expect(!MerkleTree.verify(leafHash: leaves[index], index: index, count: count, proof: proof, root: Hasher.sha256([1])))
            }
        }
    }
}
