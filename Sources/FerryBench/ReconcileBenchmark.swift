public import Foundation
import FerryReconcile
import FerrySeal
import FerryCore
import FerryNode
import FerryOps

/// `ferry bench reconcile`: two copies of `records` generated records, `differences` of
/// them deleted, inserted or changed on the far side, reconciled by the two-way protocol,
/// then by the one-way one, with every message sealed into a real bundle, as the gap
/// would carry it.
///
/// Records are generated on the fly from a seed, each time a side reads its copy, and never
/// held: memory is the digests' alone, the same for ten thousand records as for a million.
public enum ReconcileBenchmark {
    public struct Figures: Sendable {
        public var records: Int
        public var differences: Int
        public var found: Int
        public var seconds: Double
        /// Sealed bundle bytes, message by message.
        public var bundles: [Int64]
        public var sketchWidth: Int
        public var peakRSSMB: Double
        /// The one-way protocol on the same copies: a first opening of every range with a
        /// sketch for `differences` records, and a later one after the source changed in
        /// those records since its last opening, which ships only the ranges they touched.
        public var oneWay: [OneWay] = []

        public var bytes: Int64 { bundles.reduce(0, +) }
    }

    public struct OneWay: Sendable {
        public var shippedRanges: Int
        public var ranges: Int
        public var sketchWidth: Int
        public var bytes: Int64
        public var found: Int
        public var seconds: Double
    }

    public static func run(records: Int, differences: Int, directory: URL) throws -> Figures {
        var clock = Stopwatch()
        let copies = GeneratedCopies(records: records, differences: differences)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var gap = try SealedGap(directory: directory)
        let twoWay = try reconcileTwoWay(copies, through: &gap)
        var figures = Figures(records: records, differences: copies.made, found: count(twoWay.found), seconds: clock.lap(),
            bundles: twoWay.bundles, sketchWidth: twoWay.sketchWidth, peakRSSMB: 0)

        // 4. One-way, as a diode carries it. The later opening's baseline is the far copy:
        // the source held that at its last opening, and the differences are what it changed since.
        for plan in [
            Reconciler.oneWayPlan(leaves: twoWay.sourceLeaves, previous: nil, ranges: twoWay.ranges, capacity: differences),
            Reconciler.oneWayPlan(leaves: twoWay.sourceLeaves, previous: twoWay.targetLeaves, ranges: twoWay.ranges, capacity: nil),
        ] {
            figures.oneWay.append(try reconcileOneWay(copies, plan: plan, ranges: twoWay.ranges, through: &gap, clock: &clock))
        }
        figures.peakRSSMB = SealBenchmark.peakRSS()
        return figures
    }

    /// What the two-way run found, and what the one-way runs after it start from.
    struct TwoWayRun {
        var bundles: [Int64]
        var found: Differences?
        var sketchWidth: Int
        var sourceLeaves: [RangeSum]
        var targetLeaves: [RangeSum]
        var ranges: Int
    }

    /// Steps 1–3 of the two-way protocol: open with a summary, answer with a sketch sized
    /// for the comparison, peel (widening while the sketch is too narrow).
    static func reconcileTwoWay(_ copies: GeneratedCopies, through gap: inout SealedGap) throws -> TwoWayRun {
        // 1. The source reads its copy and opens with its summary.
        var source = CopyDigest()
        copies.near { source.add($0) }
        var open = ReconcileMessage(step: .open, run: "bench", flow: "bench", source: "near", target: "far", entity: "Bench")
        open.summary = source.summary()
        open.records = Int64(source.records)
        let (openBytes, opened) = try gap.seal(open, from: gap.opener, to: gap.answerer)
        // 2. The target reads its copy, compares and answers with a sketch sized for it.
        var target = CopyDigest()
        copies.far { target.add($0) }
        guard let summary = opened.summary else { throw FerryError(.internalFailure, "the open message lost its summary") }
        let comparison = summary.compare(with: target.summary(ranges: summary.ranges))
        guard let width = Reconciler.width(for: comparison) else {
            throw FerryError(.internalFailure, "about \(comparison.estimatedPairs) pairs differ: more than one sketch resolves")
        }
        var answer = opened.reply(.sketch)
        answer.sketch = target.sketch.folded(to: width)
        let (answerBytes, answered) = try gap.seal(answer, from: gap.answerer, to: gap.opener)
        // 3. The source peels the difference from its own sketch against the answer's; had
        // it been too narrow, a `more` round would follow (the bench would count it).
        // The source reads its copy again, as a real source does when the answer arrives.
        source = CopyDigest()
        copies.near { source.add($0) }
        var bundles = [openBytes, answerBytes]
        var sketch = answered.sketch
        var found: Differences?
        while let theirs = sketch {
            found = Reconciler.differences(ours: source.sketch, theirs: theirs)
            if found != nil || theirs.width >= Reconciler.maxWidth { break }
            var more = opened.reply(.more)
            more.width = theirs.width * 4
            let (moreBytes, _) = try gap.seal(more, from: gap.opener, to: gap.answerer)
            var wider = opened.reply(.sketch)
            wider.sketch = target.sketch.folded(to: min(Reconciler.maxWidth, theirs.width * 4))
            let (widerBytes, again) = try gap.seal(wider, from: gap.answerer, to: gap.opener)
            bundles += [moreBytes, widerBytes]
            sketch = again.sketch
        }
        return TwoWayRun(
            bundles: bundles, found: found, sketchWidth: sketch?.width ?? 0,
            sourceLeaves: source.leaves, targetLeaves: target.leaves, ranges: summary.ranges)
    }

    /// One one-way opening: the source reads its copy into the sketch the opening ships,
    /// the far side reads its own into one of the same ranges and peels. `clock` is lapped
    /// at the end, so the figure covers just this opening.
    static func reconcileOneWay(
        _ copies: GeneratedCopies, plan: Reconciler.OneWayPlan, ranges: Int, through gap: inout SealedGap, clock: inout Stopwatch
    ) throws -> OneWay {
        var shipping = CopyDigest(sketchWidth: plan.width, sketchOnly: plan.ranges)
        copies.near { shipping.add($0) }
        var oneWay = ReconcileMessage(step: .open, run: "bench-one-way", flow: "bench", source: "near", target: "far", entity: "Bench")
        (oneWay.oneWay, oneWay.summary, oneWay.shipped, oneWay.sketch) = (true, shipping.summary(), plan.ranges, shipping.sketch)
        oneWay.records = Int64(shipping.records)
        let (bytes, arrived) = try gap.seal(oneWay, from: gap.opener, to: gap.answerer)
        guard let theirs = arrived.sketch else { throw FerryError(.internalFailure, "the one-way opening lost its sketch") }
        var here = CopyDigest(sketchWidth: theirs.width, sketchOnly: arrived.shipped)
        copies.far { here.add($0) }
        return OneWay(shippedRanges: plan.ranges?.count ?? ranges, ranges: ranges, sketchWidth: theirs.width,
            bytes: bytes, found: count(Reconciler.differences(ours: here.sketch, theirs: theirs)), seconds: clock.lap())
    }

    static func count(_ found: Differences?) -> Int {
        found.map { $0.onlyLeft.count + $0.onlyRight.count + $0.changed.count } ?? 0
    }

    /// The two copies, generated from a seed each time a side reads them and never held.
    struct GeneratedCopies {
        let records: Int
        let differences: Int
        /// Every `stride`-th record differs on the far side, up to `differences` of them.
        let stride: Int

        init(records: Int, differences: Int) {
            (self.records, self.differences) = (records, differences)
            stride = max(1, records / max(1, differences))
        }

        /// How many differences the far copy really has (fewer than asked when records are few).
        var made: Int { min(differences, (records + stride - 1) / stride) }

        /// Record i: key and digest from a counter-mode generator.
        func pair(_ i: Int, version: UInt64) -> DigestPair {
            var keys = SplitMix64(seed: UInt64(i) &* 0x9E37_79B9_7F4A_7C15)
            var digests = SplitMix64(seed: UInt64(i) &* 0xD6E8_FEB8_6659_FD93 &+ version)
            return DigestPair(key: keys.bytes(16), digest: digests.bytes(32))
        }

        func near(_ body: (DigestPair) -> Void) {
            for i in 0..<records { body(pair(i, version: 1)) }
        }

        /// The far copy changes every `stride`-th record one of three ways.
        func far(_ body: (DigestPair) -> Void) {
            var inserted = 0
            for i in 0..<records {
                guard i % stride == 0, i / stride < differences else {
                    body(pair(i, version: 1))
                    continue
                }
                switch (i / stride) % 3 {
                case 0: break  // deleted on the far side
                case 1: body(pair(i, version: 2))  // changed
                default:  // inserted beside an unchanged one
                    body(pair(i, version: 1))
                    body(pair(records + inserted, version: 1))
                    inserted += 1
                }
            }
        }
    }

    /// The gap between the two sides: every message is sealed into a real bundle and opened
    /// again, as the gateway does, so the figures include sealing.
    struct SealedGap {
        let directory: URL
        let opener: NodeKey
        let answerer: NodeKey
        var sequence: Int64 = 0

        init(directory: URL) throws {
            self.directory = directory
            opener = try NodeKey.generate(node: "bench-source")
            answerer = try NodeKey.generate(node: "bench-target")
        }

        /// Seals one message line and returns the bundle's size and the message as received.
        mutating func seal(_ message: ReconcileMessage, from sender: NodeKey, to recipient: NodeKey) throws -> (Int64, ReconcileMessage) {
            sequence += 1
            let writer = try BundleWriter(directory: directory, sender: sender, recipients: [recipient.publicKey],
                parameters: BundleWriter.Parameters(lane: "a→b", sequence: sequence, kind: .reconcile))
            try writer.append(line: message.line)
            let sealed = try writer.finish()
            var received: ReconcileMessage?
            _ = try BundleReader(key: recipient, trust: TrustStore([sender.publicKey])).open(sealed.url) { received = try ReconcileMessage(line: $0) }
            try FileManager.default.removeItem(at: sealed.url)
            guard let received else { throw FerryError(.internalFailure, "the bench bundle held no message") }
            return (sealed.size, received)
        }
    }
}
