import Testing
import FerryCore
import FerrySeal
import FerryMapping
@testable import FerryReconcile

/// Summaries at any fan-out, and what a one-way opening ships after the first: only the
/// ranges whose sums changed since, with a sketch that resolves what changed in them.
@Suite struct RangeSummaryTests {
    let digester = RecordDigester(HMAC.keyed(Array("range summary test key".utf8), algorithm: .hmacSHA256))

    func pair(_ i: Int, version: Int = 1) -> DigestPair {
        DigestPair(key: Array(digester.keyDigest(entity: "Permit", key: ["440300", "粤\(i)"]).prefix(16)),
            digest: digester.keyDigest(entity: "Permit#content", key: ["\(i)", "\(version)"]))
    }

    /// The 4096 leaf sums of records 0..<count, with `versions` overriding some.
    func leaves(_ count: Int, versions: [Int: Int] = [:], fanOut: Int = 16) -> DigestTree {
        // 4096 leaves at every fan-out the summaries take: 2^12 = fanOut^depth.
        var tree = DigestTree(fanOut: fanOut, depth: 12 / fanOut.trailingZeroBitCount)
        for i in 0..<count {
            let p = pair(i, version: versions[i] ?? 1)
            tree.add(key: p.key, digest: p.digest)
        }
        return tree
    }

    @Test func aSummaryOfSoManyRangesIsTheSameWhateverTheTreesFanOut() {
        let trees = RangeSummary.fanOuts.map { leaves(3_000, fanOut: $0) }
        #expect(trees.allSatisfy { $0.leafCount == 4096 })
        for ranges in [2, 16, 64, 256, 1024, 4096] {
            let summaries = trees.map { RangeSummary(tree: $0, ranges: ranges) }
            #expect(Set(summaries.map(\.bytes)).count == 1, "\(ranges) ranges differ between fan-outs")
            #expect(summaries[0].ranges == ranges)
        }
        // A copy with one record changed differs in exactly one range at every width.
        let changed = leaves(3_000, versions: [1234: 2], fanOut: 4)
        for ranges in [4, 64, 4096] {
            let comparison = RangeSummary(tree: trees[0], ranges: ranges).compare(with: RangeSummary(tree: changed, ranges: ranges))
            #expect(comparison.differingRanges == 1, "\(ranges): \(comparison)")
        }
    }

    @Test func aSmallerFanOutOpensAMiddlingCopyWithFewerRanges() {
        #expect(RangeSummary.ranges(forRecords: 1_000, fanOut: 16) == 16)
        #expect(RangeSummary.ranges(forRecords: 1_000, fanOut: 4) == 4)
        // 100,000 records: fan-out 16 jumps from 256 ranges to 4096 (12 KB); fan-out 4
        // stops at 1024 (3 KB), still about 100 records a range.
        #expect(RangeSummary.ranges(forRecords: 100_000, fanOut: 16) == 4096)
        #expect(RangeSummary.ranges(forRecords: 100_000, fanOut: 4) == 1024)
        #expect(RangeSummary.ranges(forRecords: 100_000, fanOut: 2) == 512)
        for fanOut in RangeSummary.fanOuts {
            #expect(RangeSummary.ranges(forRecords: 50_000_000, fanOut: fanOut) == 4096, "fan-out \(fanOut) caps at the leaves")
        }
    }

    @Test func aSelectionTravelsAsABitmapAndRefusesOneThatDoesNotFit() throws {
        var selection = RangeSelection(ranges: 256)
        for range in [0, 7, 8, 200, 255] { selection.insert(range) }
        #expect(selection.count == 5 && selection.contains(200) && !selection.contains(201) && !selection.contains(256))
        #expect(RangeSelection(bits: selection.bits, ranges: 256) == selection)
        #expect(RangeSelection(bits: selection.bits, ranges: 512) == nil, "a bitmap for 256 ranges is not one for 512")
        #expect(RangeSelection(bits: [0b1111_0000], ranges: 4) == nil, "bits past the last range")
        #expect(RangeSelection(bits: [0b0000_0101], ranges: 4)?.count == 2)
        // The range of a key is the leading bits of its digest, as the tree's leaves are.
        let tree = leaves(0)
        for i in 0..<200 {
            let key = pair(i).key
            #expect(RangeSelection.range(of: key, ranges: 4096) == tree.leaf(of: key))
            #expect(RangeSelection.range(of: key, ranges: 64) == tree.leaf(of: key) / 64)
        }
    }

    /// The opener's copy changed in a few records since its last opening; the far side
    /// holds the last opening's state plus drift of its own, some of it in ranges the
    /// opener did not touch.
    @Test func aLaterOneWayOpeningShipsOnlyTheRangesChangedSinceAndResolvesThem() throws {
        let count = 20_000
        let before = leaves(count)
        let edits = [17: 2, 4_242: 3, 19_000: 2]
        let now = leaves(count, versions: edits)
        let ranges = RangeSummary.ranges(forRecords: count)
        #expect(ranges == 256)

        let first = Reconciler.oneWayPlan(leaves: before.levels[3], previous: nil, ranges: ranges, capacity: nil)
        #expect(first.ranges == nil && first.changedPairs == nil, "a first opening ships every range")
        #expect(first.width == Sketch.width(forElements: 2_000))

        let plan = Reconciler.oneWayPlan(leaves: now.levels[3], previous: before.levels[3], ranges: ranges, capacity: nil)
        let shipped = try #require(plan.ranges)
        #expect(shipped.count == Set(edits.keys.map { RangeSelection.range(of: pair($0).key, ranges: ranges) }).count)
        // An update is two pairs (old and new); the estimate allows for ranges shared.
        let changedPairs = try #require(plan.changedPairs)
        #expect(changedPairs >= 2 * edits.count && changedPairs <= 2 * edits.count + 2, "\(changedPairs)")
        #expect(plan.width < first.width, "sized for what changed, not for the default capacity")
        #expect(Reconciler.oneWayPlan(leaves: now.levels[3], previous: now.levels[3], ranges: ranges, capacity: nil).ranges?.count == 0)
        #expect(Reconciler.oneWayPlan(leaves: now.levels[3], previous: before.levels[3], ranges: ranges, capacity: nil, all: true).ranges == nil)

        // The far side: the old versions of the edited records, one record lost in a
        // shipped range, and a record lost in a range the opener did not ship.
        let inShipped = try #require((0..<count).first { !edits.keys.contains($0) && shipped.contains(key: pair($0).key) })
        let outside = try #require((0..<count).first { !shipped.contains(key: pair($0).key) })
        var near = CopyDigest(sketchWidth: plan.width, sketchOnly: shipped)
        var far = CopyDigest(sketchWidth: plan.width, sketchOnly: shipped)
        for i in 0..<count {
            near.add(pair(i, version: edits[i] ?? 1))
            if i != inShipped, i != outside { far.add(pair(i)) }
        }
        let found = try #require(Reconciler.differences(ours: far.sketch, theirs: near.sketch))
        #expect(found.changed == Set(edits.keys.map { Reconciler.shortKey(pair($0).key) }))
        #expect(found.onlyRight == [Reconciler.shortKey(pair(inShipped).key)])
        #expect(found.onlyLeft.isEmpty)
        // The record lost outside is not in the sketches, but the summaries show its range.
        let summary = near.summary()
        let ours = far.summary(ranges: summary.ranges)
        #expect(summary.compare(with: ours, only: { !shipped.contains($0) }).differingRanges == 1)
        let touched = Set(([inShipped] + edits.keys).map { RangeSelection.range(of: pair($0).key, ranges: ranges) })
        #expect(summary.compare(with: ours, only: shipped.contains).differingRanges == touched.count)
    }
}
