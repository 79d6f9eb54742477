public import Foundation
import FerryReconcile
import FerrySeal
import FerryCore
import FerryNode

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
        // Record i: key and digest from a counter-mode generator; the far copy changes every
        // (records / differences)-th record one of three ways.
        func pair(_ i: Int, version: UInt64) -> DigestPair {
            var keys = SplitMix64(seed: UInt64(i) &* 0x9E37_79B9_7F4A_7C15)
            var digests = SplitMix64(seed: UInt64(i) &* 0xD6E8_FEB8_6659_FD93 &+ version)
            return DigestPair(key: keys.bytes(16), digest: digests.bytes(32))
        }
        let stride = max(1, records / max(1, differences))
        func near(_ body: (DigestPair) -> Void) {
            for i in 0..<records { body(pair(i, version: 1)) }
        }
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

        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let opener = try NodeKey.generate(node: "bench-source")
        let answerer = try NodeKey.generate(node: "bench-target")
        var sequence: Int64 = 0
        /// Seals one message line as the gateway does and returns the bundle's size.
        func seal(_ message: ReconcileMessage, from sender: NodeKey, to recipient: NodeKey) throws -> (Int64, ReconcileMessage) {
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

        // 1. The source reads its copy and opens with its summary.
        var source = CopyDigest()
        near { source.add($0) }
        var open = ReconcileMessage(step: .open, run: "bench", flow: "bench", source: "near", target: "far", entity: "Bench")
        open.summary = source.summary()
        open.records = Int64(source.records)
        let (openBytes, opened) = try seal(open, from: opener, to: answerer)
        // 2. The target reads its copy, compares and answers with a sketch sized for it.
        var target = CopyDigest()
        far { target.add($0) }
        guard let summary = opened.summary else { throw FerryError(.internalFailure, "the open message lost its summary") }
        let comparison = summary.compare(with: target.summary(ranges: summary.ranges))
        guard let width = Reconciler.width(for: comparison) else {
            throw FerryError(.internalFailure, "about \(comparison.estimatedPairs) pairs differ: more than one sketch resolves")
        }
        var answer = opened.reply(.sketch)
        answer.sketch = target.sketch.folded(to: width)
        let (answerBytes, answered) = try seal(answer, from: answerer, to: opener)
        // 3. The source peels the difference from its own sketch against the answer's; had
        // it been too narrow, a `more` round would follow (the bench would count it).
        // The source reads its copy again, as a real source does when the answer arrives.
        source = CopyDigest()
        near { source.add($0) }
        var bundles = [openBytes, answerBytes]
        var sketch = answered.sketch
        var found: Differences?
        while let theirs = sketch {
            found = Reconciler.differences(ours: source.sketch, theirs: theirs)
            if found != nil || theirs.width >= Reconciler.maxWidth { break }
            var more = opened.reply(.more)
            more.width = theirs.width * 4
            let (moreBytes, _) = try seal(more, from: opener, to: answerer)
            var wider = opened.reply(.sketch)
            wider.sketch = target.sketch.folded(to: min(Reconciler.maxWidth, theirs.width * 4))
            let (widerBytes, again) = try seal(wider, from: answerer, to: opener)
            bundles += [moreBytes, widerBytes]
            sketch = again.sketch
        }
        let made = min(differences, (records + stride - 1) / stride)
        func count(_ found: Differences?) -> Int { found.map { $0.onlyLeft.count + $0.onlyRight.count + $0.changed.count } ?? 0 }
        var figures = Figures(records: records, differences: made, found: count(found), seconds: clock.lap(), bundles: bundles,
            sketchWidth: sketch?.width ?? 0, peakRSSMB: 0)

        // 4. One-way, as a diode carries it: the source reads its copy into the sketch the
        // opening ships, the far side reads its own into one of the same ranges and peels.
        // The later opening's baseline is the far copy: the source held that at its last
        // opening, and the differences are what it changed since.
        for plan in [
            Reconciler.oneWayPlan(leaves: source.leaves, previous: nil, ranges: summary.ranges, capacity: differences),
            Reconciler.oneWayPlan(leaves: source.leaves, previous: target.leaves, ranges: summary.ranges, capacity: nil),
        ] {
            var shipping = CopyDigest(sketchWidth: plan.width, sketchOnly: plan.ranges)
            near { shipping.add($0) }
            var oneWay = ReconcileMessage(step: .open, run: "bench-one-way", flow: "bench", source: "near", target: "far", entity: "Bench")
            (oneWay.oneWay, oneWay.summary, oneWay.shipped, oneWay.sketch) = (true, shipping.summary(), plan.ranges, shipping.sketch)
            oneWay.records = Int64(shipping.records)
            let (bytes, arrived) = try seal(oneWay, from: opener, to: answerer)
            guard let theirs = arrived.sketch else { throw FerryError(.internalFailure, "the one-way opening lost its sketch") }
            var here = CopyDigest(sketchWidth: theirs.width, sketchOnly: arrived.shipped)
            far { here.add($0) }
            figures.oneWay.append(OneWay(shippedRanges: plan.ranges?.count ?? summary.ranges, ranges: summary.ranges, sketchWidth: theirs.width,
                bytes: bytes, found: count(Reconciler.differences(ours: here.sketch, theirs: theirs)), seconds: clock.lap()))
        }
        figures.peakRSSMB = SealBenchmark.peakRSS()
        return figures
    }
}
