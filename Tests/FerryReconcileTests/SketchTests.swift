import Testing
import FerryCore
@testable import FerryReconcile

/// The set-reconciliation sketch: the pairs it peels out are exactly those the two sides
/// do not share, its size follows the difference and not the copy, and it survives the
/// trip through bytes and folding.
@Suite struct SketchTests {
    func element(_ random: inout SplitMix64) -> Sketch.Element { Sketch.Element(key: random.next(), digest: random.next()) }

    @Test(arguments: [(UInt64(11), 0), (12, 1), (13, 40), (14, 1_500)])
    func peelsExactlyThePairsOnlyOneSideHas(seed: UInt64, differing: Int) throws {
        var random = SplitMix64(seed: seed)
        let shared = (0..<20_000).map { _ in element(&random) }
        let ours = (0..<(differing / 2)).map { _ in element(&random) }
        let theirs = (0..<(differing - differing / 2)).map { _ in element(&random) }
        let width = Sketch.width(forElements: differing)
        var a = Sketch(width: width)
        var b = Sketch(width: width)
        for e in shared + ours { a.insert(e) }
        for e in shared + theirs { b.insert(e) }
        a.subtract(b)
        let (mine, other) = try #require(a.decode(), "seed \(seed): \(differing) pairs at width \(width)")
        #expect(Set(mine) == Set(ours) && Set(other) == Set(theirs))
        // The size is the difference's, not the copies': 20,000 shared pairs cost nothing.
        #expect(a.byteCount <= max(1_584, differing * 3 * Sketch.cellBytes))
    }

    @Test func aSketchTooNarrowForTheDifferenceSaysSoInsteadOfGuessing() {
        var random = SplitMix64(seed: 21)
        var a = Sketch(width: 8)
        for _ in 0..<500 { a.insert(element(&random)) }
        #expect(a.decode() == nil)
    }

    @Test func aSketchWhoseCellsDoNotAddUpIsRefusedNotPeeledForever() throws {
        // One cell claims a pair that its other cells do not hold, as damage would leave it.
        let element = Sketch.Element(key: 0x0123_4567_89AB_CDEF, digest: 0xFEDC_BA98_7654_3210)
        let home = Sketch.cells(element, width: 8)
        let stray = (0..<24).first { !home.contains($0) } ?? 0
        var bytes = Sketch(width: 8).bytes
        func put(_ value: UInt64, at offset: Int, size: Int) {
            for i in 0..<size { bytes[offset + i] = UInt8(truncatingIfNeeded: value >> UInt64(i * 8)) }
        }
        let cell = stray * Sketch.cellBytes
        put(1, at: cell, size: 2)
        put(element.key, at: cell + 2, size: 8)
        put(element.digest, at: cell + 10, size: 8)
        put(UInt64(Sketch.check(element)), at: cell + 18, size: 4)
        let damaged = try #require(Sketch(bytes: bytes, width: 8))
        #expect(damaged.decode() == nil)
    }

    @Test func foldingAndBytesKeepTheSketch() throws {
        var random = SplitMix64(seed: 31)
        let elements = (0..<3_000).map { _ in element(&random) }
        var wide = Sketch(width: 1024)
        var narrow = Sketch(width: 64)
        for e in elements {
            wide.insert(e)
            narrow.insert(e)
        }
        #expect(wide.folded(to: 64) == narrow, "a folded sketch is the sketch built at that width")
        #expect(Sketch(bytes: narrow.bytes, width: 64) == narrow)
        #expect(Sketch(bytes: narrow.bytes, width: 128) == nil)
        var flipped = narrow.bytes
        flipped[100] ^= 1
        #expect(Sketch(bytes: flipped, width: 64) != narrow)
    }

    @Test func summariesSayWhetherAndRoughlyHowMuchTwoCopiesDiffer() throws {
        var random = SplitMix64(seed: 41)
        var near = CopyDigest(sketchWidth: 8)
        var far = CopyDigest(sketchWidth: 8)
        for i in 0..<100_000 {
            let pair = DigestPair(key: random.bytes(16), digest: random.bytes(32))
            near.add(pair)
            // 300 changed and 300 missing on the far side: 900 differing pairs.
            if i % 333 == 1 { far.add(DigestPair(key: pair.key, digest: random.bytes(32))) } else if i % 333 != 2 { far.add(pair) }
        }
        let summary = near.summary()
        #expect(summary.ranges == 4096)
        #expect(summary.bytes.count == 40 + 4096 * 3)
        #expect(RangeSummary(bytes: summary.bytes) == summary)
        let comparison = summary.compare(with: far.summary(ranges: 4096))
        #expect(comparison.estimatedPairs > 800 && comparison.estimatedPairs < 1_100, "\(comparison)")
        #expect(summary.compare(with: near.summary(ranges: 4096)).equal)
    }

    @Test func whenEveryRangeDiffersOneAnswerStillResolvesASmallCopy() throws {
        var random = SplitMix64(seed: 43)
        var near = CopyDigest()
        var far = CopyDigest()
        for _ in 0..<2_000 {
            // Every record differs: a field the far side sets for all of them.
            let key = random.bytes(16)
            near.add(DigestPair(key: key, digest: random.bytes(32)))
            far.add(DigestPair(key: key, digest: random.bytes(32)))
        }
        let summary = near.summary()
        let comparison = summary.compare(with: far.summary(ranges: summary.ranges))
        #expect(comparison.saturated && comparison.estimatedPairs < 1_000, "the estimate alone is far too low: \(comparison)")
        let width = try #require(Reconciler.width(for: comparison))
        let found = try #require(Reconciler.differences(ours: near.sketch, theirs: far.sketch.folded(to: width)), "width \(width)")
        #expect(found.changed.count == 2_000 && found.onlyLeft.isEmpty && found.onlyRight.isEmpty)
    }
}
