import Testing
import FerryCore
@testable import FerryReconcile

/// The cross-gap reconcile protocol driven between two in-memory sides: every message goes
/// through its line encoding, every copy is built from pairs, and nothing touches a file,
/// a store or a system. Lost, duplicated and malformed messages included.
@Suite struct ReconcileRunTests {
    /// Two copies of one entity and a deterministic way to make pairs.
    struct Copies {
        var random = SplitMix64(seed: 7)
        var source: [DigestPair] = []
        var target: [DigestPair] = []

        mutating func pair() -> DigestPair {
            DigestPair(key: bytes(32), digest: bytes(32))
        }

        mutating func bytes(_ count: Int) -> [UInt8] {
            (0..<count).map { _ in UInt8(truncatingIfNeeded: random.next()) }
        }

        /// `shared` records on both sides, `missing` only at the source, `extra` only at the
        /// target, `changed` on both with different content.
        init(shared: Int, missing: Int = 0, extra: Int = 0, changed: Int = 0) {
            for _ in 0..<shared { let p = pair(); (source, target) = (source + [p], target + [p]) }
            for _ in 0..<missing { source.append(pair()) }
            for _ in 0..<extra { target.append(pair()) }
            for _ in 0..<changed {
                let p = pair()
                source.append(p)
                target.append(DigestPair(key: p.key, digest: bytes(32)))
            }
        }

        static func shortKeys(_ pairs: some Sequence<DigestPair>) -> Set<[UInt8]> { Set(pairs.map { Reconciler.shortKey($0.key) }) }
    }

    /// A copy as a node reads it for a request.
    static func read(_ pairs: [DigestPair], _ request: ReconcileRun.CopyRequest) -> CopyDigest {
        var copy = CopyDigest(sketchWidth: request.sketchWidth ?? 8, sketchOnly: request.ranges)
        for pair in pairs { copy.add(pair) }
        return copy
    }

    /// The message as the far side parses it from the bundle line.
    static func wire(_ message: ReconcileMessage) throws -> ReconcileMessage { try ReconcileMessage(line: message.line) }

    static func opening(_ copies: Copies, id: String = "run-1", oneWay: Bool = false) -> (ReconcileRun, ReconcileMessage) {
        let source = read(copies.source, .init(sketchWidth: nil, ranges: nil, rebuild: false))
        return ReconcileRun.open(id: id, flow: "f", source: "a", target: "b", entity: "E", oneWay: oneWay, indexed: false,
            records: source.records, summary: source.summary())
    }

    /// The answerer's whole turn: read as asked until it replies.
    static func answer(_ message: ReconcileMessage, _ target: [DigestPair]) throws -> (ReconcileRun, ReconcileRun.Action) {
        var (run, action) = try ReconcileRun.answering(try wire(message))
        var reads = 0
        while case .readCopy(let request) = action, reads < 3 {
            action = run.resume(with: read(target, request))
            reads += 1
        }
        return (run, action)
    }

    /// The opener's whole turn on one answer.
    static func conclude(_ run: inout ReconcileRun, _ answer: ReconcileMessage, _ source: [DigestPair]) throws -> ReconcileRun.Action {
        var action = run.take(try wire(answer))
        if case .readCopy(let request) = action { action = run.resume(with: read(source, request)) }
        return action
    }

    @Test func equalCopiesAreSettledWithoutASketch() throws {
        let copies = Copies(shared: 300)
        var (opener, open) = Self.opening(copies)
        #expect(opener.state == .waiting && opener.rounds == 1)
        let (answerer, reply) = try Self.answer(open, copies.target)
        guard case .send(let equal) = reply else { Issue.record("no reply: \(reply)"); return }
        #expect(equal.step == .equal && equal.sketch == nil && equal.records == 300 && answerer.state == .answered)
        guard case .finish(let report, let found) = try Self.conclude(&opener, equal, copies.source) else { Issue.record("not finished"); return }
        #expect(opener.state == .done && report.state == "done" && found == Differences())
        #expect(report.leftRecords == 300 && report.matched == 300 && report.mode == "two-way" && report.run == "run-1")
        // A sketch step that carries no sketch says nothing differs: settled as equal.
        var (second, _) = Self.opening(copies, id: "run-2")
        var bare = equal
        (bare.run, bare.step) = ("run-2", .sketch)
        guard case .finish(let settled, let none) = second.take(bare) else { Issue.record("not settled"); return }
        #expect(second.state == .done && settled.matched == 300 && none == Differences())
    }

    @Test func aSketchNamesEveryDifferenceByKind() throws {
        let copies = Copies(shared: 2_000, missing: 3, extra: 2, changed: 4)
        var (opener, open) = Self.opening(copies)
        let (_, reply) = try Self.answer(open, copies.target)
        guard case .send(let sketch) = reply else { Issue.record("no reply"); return }
        #expect(sketch.step == .sketch && sketch.differingRanges > 0, "sized from the comparison: \(sketch.sketch?.width ?? 0)")
        #expect((sketch.sketch?.width ?? .max) < Reconciler.maxWidth, "nine differences need no widest sketch")
        guard case .finish(let report, let found?) = try Self.conclude(&opener, sketch, copies.source) else { Issue.record("not finished"); return }
        let shared = Copies.shortKeys(copies.source).intersection(Copies.shortKeys(copies.target))
        let changed = Set(zip(copies.source.suffix(4), copies.target.suffix(4)).map { Reconciler.shortKey($0.0.key) })
        #expect(found.onlyLeft == Copies.shortKeys(copies.source).subtracting(shared))
        #expect(found.onlyRight == Copies.shortKeys(copies.target).subtracting(shared))
        #expect(found.changed == changed && found.onlyLeft.count == 3 && found.onlyRight.count == 2)
        #expect(opener.state == .done && report.leftRecords == 2_007 && report.rightRecords == 2_006)
    }

    /// An answer whose sketch is too narrow: the opener widens twice, then gives up.
    @Test func aNarrowSketchIsWidenedThenTheRunIsUnresolved() throws {
        let copies = Copies(shared: 500, missing: 1_000)
        var (opener, open) = Self.opening(copies)
        var answer = open.reply(.sketch)
        (answer.records, answer.differingRanges, answer.estimatedPairs) = (500, 60, 2_000)
        var widths: [Int] = []
        for width in [8, 32, 128] {
            answer.sketch = Self.read(copies.target, .init(sketchWidth: width, ranges: nil, rebuild: false)).sketch
            switch try Self.conclude(&opener, answer, copies.source) {
            case .send(let more):
                #expect(more.step == .more && opener.state == .waiting)
                widths.append(more.width)
                // The answerer answers a `more` with a sketch exactly that wide.
                let (_, reply) = try Self.answer(more, copies.target)
                guard case .send(let wider) = reply else { Issue.record("no wider answer"); return }
                #expect(wider.sketch?.width == more.width)
            case .finish(let report, let found):
                #expect(width == 128 && found == nil && report.state == "unresolved" && opener.state == .unresolved)
                #expect(report.note?.contains("1000 records differ in 60 ranges") == true, "\(report.note ?? "")")
                #expect(report.rounds == ReconcileRun.maxRounds)
            default: Issue.record("unexpected step at width \(width)")
            }
        }
        #expect(widths == [32, 128] && opener.rounds == ReconcileRun.maxRounds)
    }

    @Test func duplicatedAndMisaddressedAnswersAreSetAside() throws {
        let copies = Copies(shared: 200, missing: 1)
        var (opener, open) = Self.opening(copies)
        let (_, reply) = try Self.answer(open, copies.target)
        guard case .send(let answer) = reply else { Issue.record("no reply"); return }
        var other = answer
        other.run = "run-2"
        #expect(opener.take(other).isSetAside, "an answer to another run")
        var renamed = answer
        renamed.target = "c"
        #expect(opener.take(renamed).isSetAside, "an answer naming another target")
        #expect(opener.take(open).isSetAside, "an opening is no answer")
        #expect(opener.state == .waiting, "set-aside messages change nothing")
        guard case .finish = try Self.conclude(&opener, answer, copies.source) else { Issue.record("not finished"); return }
        #expect(try Self.conclude(&opener, answer, copies.source).isSetAside, "the same answer twice: the copy is set aside")
        #expect(opener.state == .done)
        var answerer = try ReconcileRun.answering(open).0
        #expect(answerer.take(answer).isSetAside, "only an opener takes answers")
    }

    /// A lost opening leaves its run waiting for good; a new opening is a new run, and a
    /// late answer of either only ever concludes its own.
    @Test func aLostMessageLeavesTheRunWaitingAndANewRunIsIndependent() throws {
        let copies = Copies(shared: 200, extra: 2)
        var (lost, _) = Self.opening(copies, id: "run-lost")
        var (again, open) = Self.opening(copies, id: "run-again")
        #expect(lost.state == .waiting && again.state == .waiting)
        let (_, reply) = try Self.answer(open, copies.target)
        guard case .send(let answer) = reply else { Issue.record("no reply"); return }
        #expect(lost.take(answer).isSetAside && lost.state == .waiting)
        guard case .finish(_, let found?) = try Self.conclude(&again, answer, copies.source) else { Issue.record("not finished"); return }
        #expect(found.onlyRight.count == 2 && again.state == .done)
    }

    @Test func aFailedAnswerEndsTheRunWithTheFarSidesReason() throws {
        var (opener, open) = Self.opening(Copies(shared: 10))
        var failed = try #require(ReconcileRun.failure(answering: open, reason: "no mapping for b"))
        failed = try Self.wire(failed)
        guard case .finish(let report, nil) = opener.take(failed) else { Issue.record("not finished"); return }
        #expect(report.state == "failed" && opener.state == .failed && report.note == "b's side could not answer: no mapping for b")
        var oneWay = open
        oneWay.oneWay = true
        #expect(ReconcileRun.failure(answering: oneWay, reason: "x") == nil, "one-way: nobody waits for an answer")
    }

    @Test func malformedMessagesAreRefusedWithTheirReason() throws {
        let (_, open) = Self.opening(Copies(shared: 10))
        for (line, reason) in [
            ("[1]", "not an object"), (#"{"step":"open"}"#, "no run"), (#"{"step":"bogus","run":"r"}"#, "unknown step"),
            (#"{"step":"more","run":"r","flow":"f","source":"a","target":"b","entity":"E","width":12}"#, "width 12"),
            (#"{"step":"open","run":"r","flow":"f","source":"a","target":"b","entity":"E","summary":"!!"}"#, "bad summary"),
            (#"{"step":"sketch","run":"r","flow":"f","source":"a","target":"b","entity":"E","width":8,"sketch":"AAAA"}"#, "bad sketch"),
        ] {
            let error = try #require(throws: FerryError.self) { _ = try ReconcileMessage(line: Array(line.utf8)) }
            #expect(error.code == .bundleRecord && error.message.contains(reason), "\(line): \(error.message)")
        }
        #expect(throws: FerryError.self, "not JSON at all") { _ = try ReconcileMessage(line: Array("not json".utf8)) }
        var noSummary = open
        noSummary.summary = nil
        #expect(throws: FerryError.self) { _ = try ReconcileRun.answering(noSummary) }
        #expect(throws: FerryError.self) { _ = try ReconcileRun.answering(open.reply(.sketch)) }
        var oneWay = open
        oneWay.oneWay = true
        #expect(throws: FerryError.self, "a one-way opening without its sketch") { _ = try ReconcileRun.answering(oneWay) }
    }

    /// Indexed: the answerer compares sums first and reads pairs only when they differ.
    @Test func anIndexedAnswerReadsPairsOnlyWhenTheSumsDiffer() throws {
        let copies = Copies(shared: 300, changed: 2)
        let source = Self.read(copies.source, .init(sketchWidth: nil, ranges: nil, rebuild: false))
        let (_, open) = ReconcileRun.open(id: "r", flow: "f", source: "a", target: "b", entity: "E", oneWay: false, indexed: true,
            records: source.records, summary: source.summary())
        var (run, action) = try ReconcileRun.answering(try Self.wire(open))
        guard case .readCopy(let first) = action else { Issue.record("no read"); return }
        #expect(first.sketchWidth == nil && first.rebuild)
        action = run.resume(with: Self.read(copies.target, first))
        guard case .readCopy(let second) = action else { Issue.record("no second read"); return }
        #expect(second.sketchWidth == Reconciler.maxWidth && !second.rebuild)
        guard case .send(let reply) = run.resume(with: Self.read(copies.target, second)) else { Issue.record("no reply"); return }
        #expect(reply.step == .sketch && reply.indexed)
        let equal = Copies(shared: 300)
        let (_, same) = try Self.answer(Self.opening(equal).1, equal.target)
        guard case .send(let answer) = same else { Issue.record("no reply"); return }
        #expect(answer.step == .equal)
    }

    /// One-way: the opening carries the sketch; the answerer reports.
    @Test func aOneWayRunIsReportedWhereTheTargetIs() throws {
        let copies = Copies(shared: 1_000, missing: 5, extra: 3)
        let source = Self.read(copies.source, .init(sketchWidth: Sketch.width(forElements: 40), ranges: nil, rebuild: false))
        let (opener, open) = ReconcileRun.open(id: "r", flow: "f", source: "a", target: "b", entity: "E", oneWay: true, indexed: false,
            records: source.records, summary: source.summary(), sketch: source.sketch)
        #expect(opener.state == .sent)
        let (answerer, action) = try Self.answer(open, copies.target)
        guard case .finish(let report, let found?) = action else { Issue.record("no report"); return }
        #expect(found.onlyLeft.count == 5 && found.onlyRight.count == 3, "left is the source, whose sketch came with the opening")
        #expect(report.state == "done" && answerer.state == .done && report.mode == "one-way" && report.shippedRanges == report.leaves)

        // Two hundred differences in a sketch made for a handful: nobody can ask for more.
        let many = Copies(shared: 1_000, missing: 200)
        let narrow = Self.read(many.source, .init(sketchWidth: 8, ranges: nil, rebuild: false))
        let (_, tooSmall) = ReconcileRun.open(id: "r2", flow: "f", source: "a", target: "b", entity: "E", oneWay: true, indexed: false,
            records: narrow.records, summary: narrow.summary(), sketch: narrow.sketch)
        let (unresolved, result) = try Self.answer(tooSmall, many.target)
        guard case .finish(let second, nil) = result else { Issue.record("no report"); return }
        #expect(second.state == "unresolved" && unresolved.state == .unresolved && second.note?.contains("--capacity") == true)
    }

    /// One-way with only the ranges changed since the last opening shipped: differences
    /// outside them are counted and the report says it is partial.
    @Test func differencesOutsideTheShippedRangesMakeAPartialReport() throws {
        var copies = Copies(shared: 800)
        let before = Self.read(copies.source, .init(sketchWidth: nil, ranges: nil, rebuild: false))
        // Three records change at the source since the last opening.
        for index in 0..<3 { copies.source[index] = DigestPair(key: copies.source[index].key, digest: copies.bytes(32)) }
        let after = Self.read(copies.source, .init(sketchWidth: nil, ranges: nil, rebuild: false))
        let summary = after.summary()
        let plan = Reconciler.oneWayPlan(leaves: after.leaves, previous: before.leaves, ranges: summary.ranges, capacity: nil)
        let shipped = try #require(plan.ranges)
        // The target drifted in a range the source did not ship.
        var drift = copies.pair()
        while shipped.contains(key: drift.key) { drift = copies.pair() }
        copies.target.append(drift)
        let sketch = Self.read(copies.source, .init(sketchWidth: plan.width, ranges: shipped, rebuild: false)).sketch
        let (_, open) = ReconcileRun.open(id: "r", flow: "f", source: "a", target: "b", entity: "E", oneWay: true, indexed: false,
            records: after.records, summary: summary, shipped: shipped, sketch: sketch)
        let (run, action) = try Self.answer(open, copies.target)
        guard case .finish(let report, let found?) = action else { Issue.record("no report"); return }
        #expect(found.changed.count == 3 && found.onlyLeft.isEmpty && found.onlyRight.isEmpty, "only the shipped ranges are named")
        #expect(report.state == "partial" && run.state == .partial && report.outsideRanges == 1 && report.shippedRanges == shipped.count)
        #expect(report.note?.contains("--all-ranges") == true)
    }
}
