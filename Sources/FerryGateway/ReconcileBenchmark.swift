public import Foundation
import FerryReconcile
import FerrySeal
import FerryCore

/// `ferry bench reconcile`: two copies of `records` generated records, `differences` of them
/// deleted, inserted or changed on one side; trees built, the descent run, the differing
/// leaves' pairs compared. Records are generated on the fly from a seed, twice, and never
/// held, so memory is the trees' alone.
public enum ReconcileBenchmark {
    public struct Figures: Sendable {
        public var records: Int
        public var differences: Int
        public var found: Int
        public var seconds: Double
        public var bytes: Int
        public var messages: Int
        public var leaves: Int
        public var peakRSSMB: Double
    }

    public static func run(records: Int, differences: Int, fanOut: Int = 16) -> Figures {
        var clock = Stopwatch()
        // Record i: key and digest from a counter-mode generator; the far copy changes every
        // (records / differences)-th record one of three ways.
        // The key depends on the record alone, the digest on the record and its version.
        func pair(_ i: Int, version: UInt64) -> DigestPair {
            var keys = SplitMix64(seed: UInt64(i) &* 0x9E37_79B9_7F4A_7C15)
            var digests = SplitMix64(seed: UInt64(i) &* 0xD6E8_FEB8_6659_FD93 &+ version)
            return DigestPair(key: keys.bytes(16), digest: digests.bytes(32))
        }
        let stride = max(1, records / max(1, differences))
        func farVersion(_ i: Int) -> (present: Bool, version: UInt64) {
            guard i % stride == 0, i / stride < differences else { return (true, 1) }
            switch (i / stride) % 3 {
            case 0: return (false, 1)  // deleted on the far side
            case 1: return (true, 2)  // changed
            default: return (true, 1)  // inserted: see below
            }
        }
        let depth = DigestTree.depth(forRecords: records, fanOut: fanOut, perLeaf: 2)
        var near = DigestTree(fanOut: fanOut, depth: depth)
        var far = DigestTree(fanOut: fanOut, depth: depth)
        var inserted = 0
        for i in 0..<records {
            let p = pair(i, version: 1)
            near.add(key: p.key, digest: p.digest)
            let (present, version) = farVersion(i)
            if present {
                let q = version == 1 ? p : pair(i, version: version)
                far.add(key: q.key, digest: q.digest)
            }
            if i % stride == 0, i / stride < differences, (i / stride) % 3 == 2 {
                let extra = pair(records + inserted, version: 1)
                far.add(key: extra.key, digest: extra.digest)
                inserted += 1
            }
        }
        let exchange = TreeExchange.run(near: near, far: far)
        let leaves = Set(exchange.differingLeaves)
        var nearPairs: [DigestPair] = []
        var farPairs: [DigestPair] = []
        inserted = 0
        for i in 0..<records {
            let p = pair(i, version: 1)
            if leaves.contains(near.leaf(of: p.key)) { nearPairs.append(p) }
            let (present, version) = farVersion(i)
            if present {
                let q = version == 1 ? p : pair(i, version: version)
                if leaves.contains(far.leaf(of: q.key)) { farPairs.append(q) }
            }
            if i % stride == 0, i / stride < differences, (i / stride) % 3 == 2 {
                let extra = pair(records + inserted, version: 1)
                if leaves.contains(far.leaf(of: extra.key)) { farPairs.append(extra) }
                inserted += 1
            }
        }
        let found = Differences.between(left: nearPairs, right: farPairs)
        return Figures(records: records, differences: min(differences, records / stride), found: found.onlyLeft.count + found.onlyRight.count + found.changed.count,
            seconds: clock.lap(), bytes: exchange.bytes, messages: exchange.messages.count, leaves: near.leafCount, peakRSSMB: SealBenchmark.peakRSS())
    }
}
