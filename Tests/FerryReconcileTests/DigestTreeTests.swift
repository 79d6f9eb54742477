import Testing
import FerryCore
import FerrySeal
import FerryMapping
@testable import FerryReconcile

/// Range fingerprints find exactly the differences made between two copies: random sets
/// with random inserts, deletes and field changes on either side, composite text keys.
@Suite struct DigestTreeTests {
    let digester = RecordDigester(HMAC.keyed(Array("reconcile property test key".utf8), algorithm: .hmacSHA256))

    /// A record: composite text key (district code and a Chinese-prefixed number) and fields.
    func record(_ i: Int, version: Int) -> (key: [String], fields: [String]) {
        (["3502\(i % 97)", "闽\(i)"], ["申请人\(i)", "\(version)", i % 3 == 0 ? "" : "厦门"])
    }

    func pair(_ record: (key: [String], fields: [String])) -> DigestPair {
        DigestPair(key: Array(digester.keyDigest(entity: "Person", key: record.key).prefix(16)),
            digest: digester.keyDigest(entity: "Person#content", key: record.key + record.fields))
    }

    @Test(arguments: [(UInt64(1), 1_000), (2, 20_000), (3, 100_000)])
    func theDifferencesFoundAreTheDifferencesMade(seed: UInt64, count: Int) throws {
        var random = SplitMix64(seed: seed)  // a failure replays from its seed
        var left: [Int: Int] = [:]  // record number → version
        for i in 0..<count { left[i] = 1 }
        var right = left
        var expected = Differences()
        let changes = max(1, count / 100)
        for _ in 0..<changes {
            let i = random.below(count)
            switch random.below(5) {
            case 0:  // deleted on the right
                if right.removeValue(forKey: i) != nil, left[i] != nil { expected.onlyLeft.insert(pair(record(i, version: 1)).key) }
            case 1:  // deleted on the left
                if left.removeValue(forKey: i) != nil, right[i] != nil { expected.onlyRight.insert(pair(record(i, version: 1)).key) }
            case 2:  // inserted on one side only
                let new = count + random.below(count)
                if random.below(2) == 0, left[new] == nil, right[new] == nil { left[new] = 1 } else if left[new] == nil, right[new] == nil { right[new] = 1 }
            default:  // a field changed on the right
                if let version = right[i] { right[i] = version + 1 }
            }
        }
        // What actually differs, worked out from the final copies (changes can cancel out).
        expected = Differences()
        for (i, version) in left {
            let key = pair(record(i, version: version)).key
            if let other = right[i] {
                if other != version { expected.changed.insert(key) }
            } else {
                expected.onlyLeft.insert(key)
            }
        }
        for i in right.keys where left[i] == nil { expected.onlyRight.insert(pair(record(i, version: 1)).key) }

        let depth = DigestTree.depth(forRecords: count)
        var leftTree = DigestTree(depth: depth)
        var rightTree = DigestTree(depth: depth)
        let leftPairs = left.map { pair(record($0.key, version: $0.value)) }
        let rightPairs = right.map { pair(record($0.key, version: $0.value)) }
        for p in leftPairs { leftTree.add(key: p.key, digest: p.digest) }
        for p in rightPairs { rightTree.add(key: p.key, digest: p.digest) }

        let (leaves, compared) = leftTree.differingLeaves(against: rightTree)
        let wanted = Set(leaves)
        let found = Differences.between(
            left: leftPairs.filter { wanted.contains(leftTree.leaf(of: $0.key)) },
            right: rightPairs.filter { wanted.contains(rightTree.leaf(of: $0.key)) })
        #expect(found == expected, "seed \(seed): found \(found.onlyLeft.count)/\(found.onlyRight.count)/\(found.changed.count), made \(expected.onlyLeft.count)/\(expected.onlyRight.count)/\(expected.changed.count)")
        #expect(!expected.isEmpty)
        // Only the differing part is looked at: far fewer fingerprints than leaves.
        #expect(compared < leftTree.leafCount, "compared \(compared) of \(leftTree.leafCount)")

        // The protocol across a gap finds the same: summaries compared, a sketch sized from
        // the comparison, peeled against the other side's.
        var near = CopyDigest()
        var far = CopyDigest()
        for p in leftPairs { near.add(p) }
        for p in rightPairs { far.add(p) }
        let summary = near.summary()
        let comparison = summary.compare(with: far.summary(ranges: summary.ranges))
        let made = expected.onlyLeft.count + expected.onlyRight.count + 2 * expected.changed.count
        #expect(comparison.estimatedPairs >= made * 3 / 4 && comparison.estimatedPairs <= made * 3 / 2, "estimated \(comparison.estimatedPairs) of \(made)")
        let width = try #require(Reconciler.width(for: comparison))
        let viaSketch = try #require(Reconciler.differences(ours: near.sketch, theirs: far.sketch.folded(to: width)), "width \(width) for \(made) pairs")
        func short(_ keys: Set<[UInt8]>) -> Set<[UInt8]> { Set(keys.map(Reconciler.shortKey)) }
        #expect(viaSketch.onlyLeft == short(expected.onlyLeft) && viaSketch.onlyRight == short(expected.onlyRight) && viaSketch.changed == short(expected.changed))
    }

    @Test func theTreeFollowsUpdatesWithoutARescan() {
        var random = SplitMix64(seed: 7)
        var incremental = DigestTree(fanOut: 8, depth: 3)
        var records: [Int: Int] = [:]
        for i in 0..<2_000 {
            records[i] = 1
            let p = pair(record(i, version: 1))
            incremental.add(key: p.key, digest: p.digest)
        }
        for _ in 0..<500 {
            let i = random.below(2_000)
            guard let version = records[i] else { continue }
            if random.below(4) == 0 {
                let p = pair(record(i, version: version))
                incremental.remove(key: p.key, digest: p.digest)
                records[i] = nil
            } else {
                incremental.replace(key: pair(record(i, version: version)).key, old: pair(record(i, version: version)).digest,
                    new: pair(record(i, version: version + 1)).digest)
                records[i] = version + 1
            }
        }
        var rebuilt = DigestTree(fanOut: 8, depth: 3)
        for (i, version) in records {
            let p = pair(record(i, version: version))
            rebuilt.add(key: p.key, digest: p.digest)
        }
        #expect(incremental == rebuilt)
        #expect(incremental.root.count == Int64(records.count))
        #expect(RangeSum(bytes: incremental.root.bytes) == incremental.root)
    }
}

