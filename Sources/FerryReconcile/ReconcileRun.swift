import FerryCore

/// One reconcile run as one side keeps it, and the protocol's decisions as mutating
/// methods that return what to do next. The caller does the I/O: it reads copies, seals
/// messages, keeps reports and audits; this type decides, so the protocol is tested without
/// files or databases (`ReconcileRunTests`).
///
/// Two-way, over a return path:
///
/// ```
/// opener                                       answerer
/// open(summary) ─────────────────────────────► read copy (sums, sketch)
///   waiting                                      equal fingerprints → equal
///                                                otherwise → sketch sized from the comparison
///   ◄──────────────────────── equal | sketch | failed
///   equal → done   failed → failed
///   sketch → read own copy at its width, peel:
///     peeled → done (differences, repair plan)
///     not peeled, round < maxRounds → more(width × widening) ──► sketch that wide
///     not peeled, last round → unresolved
/// ```
///
/// One-way, without one: the opening carries a sketch of the ranges changed since the last
/// opening; the opener's run stays `sent` and the answerer reports (`done`, `partial` when
/// ranges not shipped differ too, `unresolved` when the sketch was too narrow).
public struct ReconcileRun: Sendable, Equatable {
    public enum Role: String, Sendable { case opener, answerer }

    public enum State: String, Sendable {
        /// An opener waiting for the answer.
        case waiting
        /// A one-way opener: the far side reports.
        case sent
        /// An answerer that replied.
        case answered
        case done
        /// One-way: what differs in the ranges shipped is named, but others differ too.
        case partial
        case unresolved
        case failed
    }

    /// Rounds an opener takes before it calls a run unresolved: the opening and two `more`s.
    public static let maxRounds = 3
    /// How many times wider each `more` asks the answer's sketch to be.
    public static let widening = 4

    /// What the caller does next.
    public enum Action: Sendable {
        /// Read this side's copy, then call `resume(with:)`.
        case readCopy(CopyRequest)
        /// Seal this message to the other side.
        case send(ReconcileMessage)
        /// The run is over on this side: name the keys of `differences` this side holds,
        /// then keep and audit the report.
        case finish(ReconcileReport, Differences?)
        /// A message this run is not waiting for (a copy, or an answer to a settled run):
        /// audit it as a duplicate and drop it.
        case setAside
    }

    /// A copy to read: its range sums always; a sketch `sketchWidth` wide (none when nil)
    /// of the pairs in `ranges` (every range when nil). `rebuild` rewrites the digest index
    /// from the read.
    public struct CopyRequest: Sendable, Equatable {
        public var sketchWidth: Int?
        public var ranges: RangeSelection?
        public var rebuild: Bool
    }

    public let id: String
    public let flow: String
    public let source: String
    public let target: String
    public let entity: String
    public let role: Role
    public let oneWay: Bool
    public let indexed: Bool
    public private(set) var state: State
    /// The opening counts as round 1; each `more` adds one.
    public private(set) var rounds: Int
    /// The message being answered or concluded, between `take` and `resume`.
    private var pending: ReconcileMessage?
    /// The answer's sketch width an answerer must produce.
    private var width = 0

    /// A run as the store kept it, to take its next message.
    public init(
        id: String, flow: String, source: String, target: String, entity: String, role: Role, oneWay: Bool, indexed: Bool, state: State,
        rounds: Int
    ) {
        (self.id, self.flow, self.source, self.target, self.entity) = (id, flow, source, target, entity)
        (self.role, self.oneWay, self.indexed, self.state, self.rounds) = (role, oneWay, indexed, state, rounds)
    }

    /// Opens a run: the opener's run (`waiting`, or `sent` one-way) and the opening.
    /// - Parameters:
    ///   - summary: the source copy's range summary.
    ///   - shipped, sketch: one-way only: the ranges the sketch holds pairs of (every
    ///     range when nil), and the sketch (`Reconciler.oneWayPlan` sizes it).
    public static func open(
        id: String, flow: String, source: String, target: String, entity: String, oneWay: Bool, indexed: Bool, records: Int,
        summary: RangeSummary, shipped: RangeSelection? = nil, sketch: Sketch? = nil
    ) -> (ReconcileRun, ReconcileMessage) {
        let run = ReconcileRun(id: id, flow: flow, source: source, target: target, entity: entity, role: .opener, oneWay: oneWay, indexed: indexed,
            state: oneWay ? .sent : .waiting, rounds: 1)
        var message = ReconcileMessage(step: .open, run: id, flow: flow, source: source, target: target, entity: entity)
        (message.oneWay, message.indexed, message.records, message.summary) = (oneWay, indexed, Int64(records), summary)
        if oneWay { (message.shipped, message.sketch) = (shipped, sketch) }
        return (run, message)
    }

    /// The answerer's run for an opening or a `more`, and the copy it must read.
    /// - Throws: `FerryError(.reconcile)` for a message that cannot be answered: not an
    ///   opening or `more`, an opening without a summary, a one-way one without a sketch.
    public static func answering(_ message: ReconcileMessage) throws -> (ReconcileRun, Action) {
        guard message.step == .open || message.step == .more else {
            throw FerryError(.reconcile, "run \(message.run) sent a \(message.step.rawValue) step to the answering side", hint: "both sides must run the same Ferry version")
        }
        guard message.step == .more || message.summary != nil else {
            throw FerryError(.reconcile, "run \(message.run) opened without a summary", hint: "both sides must run the same Ferry version")
        }
        if message.oneWay, message.sketch == nil || message.summary == nil {
            throw FerryError(.reconcile, "one-way run \(message.run) came without a sketch", hint: "both sides must run the same Ferry version")
        }
        var run = ReconcileRun(id: message.run, flow: message.flow, source: message.source, target: message.target, entity: message.entity,
            role: .answerer, oneWay: message.oneWay, indexed: message.indexed, state: .answered, rounds: 1)
        run.pending = message
        run.width = message.oneWay ? (message.sketch?.width ?? 8)
            : message.step == .more ? min(Reconciler.maxWidth, max(8, message.width)) : Reconciler.maxWidth
        // An indexed two-way opening compares summaries first: the index's pairs are only
        // streamed into a sketch when the copies differ.
        let sketchWidth = message.indexed && !message.oneWay && message.step == .open ? nil : run.width
        return (run, .readCopy(CopyRequest(sketchWidth: sketchWidth, ranges: message.oneWay ? message.shipped : nil, rebuild: message.step == .open)))
    }

    /// What the answering side sends when it cannot take `message` (a system, mapping or
    /// key missing on its side, a read that failed): a `failed` reply with the reason, for a
    /// two-way opening or `more` whose opener waits; nil otherwise, as nobody waits.
    public static func failure(answering message: ReconcileMessage, reason: String) -> ReconcileMessage? {
        guard message.step == .open || message.step == .more, !message.oneWay else { return nil }
        var failed = message.reply(.failed)
        failed.reason = reason
        return failed
    }

    /// The opener takes the far side's answer: `.readCopy` at the answer's width for a
    /// sketch (then `resume(with:)`), `.finish` for `equal` or `failed`, `.setAside` for an
    /// answer this run is not waiting for or that is addressed to another run.
    public mutating func take(_ answer: ReconcileMessage) -> Action {
        guard role == .opener, state == .waiting, answer.run == id, answer.flow == flow, answer.source == source, answer.target == target,
            answer.entity == entity, [.sketch, .equal, .failed].contains(answer.step)
        else { return .setAside }
        var report = makeReport()
        report.rightRecords = Int(answer.records)
        switch answer.step {
        case .failed:
            state = .failed
            (report.state, report.note) = (state.rawValue, "\(target)'s side could not answer: \(answer.reason ?? "no reason given")")
            return .finish(report, nil)
        case .sketch where answer.sketch != nil:
            pending = answer
            return .readCopy(CopyRequest(sketchWidth: answer.sketch?.width, ranges: nil, rebuild: false))
        default:
            // Equal fingerprints (or a sketch step that carries no sketch, as equal): every
            // record matched, and there is nothing to name.
            state = .done
            (report.leftRecords, report.matched) = (Int(answer.records), Int(answer.records))
            return .finish(report, Differences())
        }
    }

    /// Continues with the copy a `.readCopy` asked for.
    public mutating func resume(with copy: CopyDigest) -> Action {
        guard let message = pending else { return .setAside }
        switch role {
        case .opener: return conclude(message, copy)
        case .answerer: return message.oneWay ? report(message, copy) : reply(to: message, copy)
        }
    }

    private mutating func conclude(_ answer: ReconcileMessage, _ copy: CopyDigest) -> Action {
        guard let theirs = answer.sketch else { return .setAside }
        var report = makeReport()
        (report.leftRecords, report.rightRecords, report.sketchWidth) = (copy.records, Int(answer.records), theirs.width)
        if let found = Reconciler.differences(ours: copy.sketch, theirs: theirs) {
            (state, pending) = (.done, nil)
            return .finish(report, found)
        }
        if rounds < Self.maxRounds, theirs.width < Reconciler.maxWidth {
            rounds += 1
            pending = nil
            var more = answer.reply(.more)
            more.width = min(Reconciler.maxWidth, theirs.width * Self.widening)
            return .send(more)
        }
        (state, pending) = (.unresolved, nil)
        (report.state, report.note) = (state.rawValue,
            "about \(answer.estimatedPairs / 2) records differ in \(answer.differingRanges) ranges: more than a sketch of width \(theirs.width) resolves. Sync the flow in full, then reconcile again")
        return .finish(report, nil)
    }

    private mutating func reply(to message: ReconcileMessage, _ copy: CopyDigest) -> Action {
        let comparison = message.summary.map { $0.compare(with: copy.summary(ranges: $0.ranges)) }
            ?? RangeSummary.Comparison(differingRanges: 0, estimatedPairs: 0, saturated: false)
        var reply: ReconcileMessage
        if message.step == .open, comparison.equal {
            reply = message.reply(.equal)
        } else {
            // The first read of an indexed opening took the sums only.
            if copy.sketch.width != width, message.indexed {
                return .readCopy(CopyRequest(sketchWidth: width, ranges: nil, rebuild: false))
            }
            reply = message.reply(.sketch)
            let needed = message.step == .more ? width : (Reconciler.width(for: comparison) ?? Reconciler.maxWidth)
            reply.sketch = copy.sketch.folded(to: min(needed, copy.sketch.width))
            (reply.differingRanges, reply.estimatedPairs) = (comparison.differingRanges, comparison.estimatedPairs)
        }
        reply.records = Int64(copy.records)
        (state, pending) = (.answered, nil)
        return .send(reply)
    }

    /// The one-way report, made where the target's copy is.
    private mutating func report(_ message: ReconcileMessage, _ copy: CopyDigest) -> Action {
        guard let theirs = message.sketch, let summary = message.summary else { return .setAside }
        var report = makeReport()
        (report.sketchWidth, report.leftRecords, report.rightRecords) = (theirs.width, Int(message.records), copy.records)
        (report.leaves, report.shippedRanges) = (summary.ranges, message.shipped?.count ?? summary.ranges)
        let ours = copy.summary(ranges: summary.ranges)
        let shipped = message.shipped ?? RangeSelection(ranges: summary.ranges, all: true)
        let found = Reconciler.differences(ours: theirs, theirs: copy.sketch)
        if found == nil {
            let inside = summary.compare(with: ours, only: shipped.contains)
            report.state = State.unresolved.rawValue
            report.note = "the sketch held about \(theirs.width * Sketch.partitions * 10 / 14 / 2) differences; about \(max(1, inside.estimatedPairs / 2)) differ in \(inside.differingRanges) of the \(shipped.count) ranges shipped. Open it again with --capacity \(inside.estimatedPairs), or over a return path"
        }
        // Ranges the source did not ship, because their sums have not changed since its last
        // opening, should be equal here too. Those that are not changed on this side since,
        // or were left unrepaired; only a run over every range names them.
        if message.shipped != nil {
            let outside = summary.compare(with: ours, only: { !shipped.contains($0) })
            report.outsideRanges = outside.differingRanges
            if outside.differingRanges > 0, found != nil {
                report.state = State.partial.rawValue
                report.note = "\(outside.differingRanges) of the \(summary.ranges - shipped.count) ranges the source has not changed since its last opening differ here too (about \(max(1, outside.estimatedPairs / 2)) records): changed on this side since, or left unrepaired. Open it again with --all-ranges to name them"
            }
        }
        state = State(rawValue: report.state) ?? .done
        pending = nil
        return .finish(report, found)
    }

    /// The report's frame: run, flow, sides, mode and rounds.
    private func makeReport() -> ReconcileReport {
        var report = ReconcileReport(left: source, right: target, entity: entity)
        (report.run, report.flow, report.mode, report.rounds) = (id, flow, oneWay ? "one-way" : "two-way", rounds)
        return report
    }
}

extension ReconcileRun.Action {
    /// Whether the message was set aside.
    public var isSetAside: Bool {
        if case .setAside = self { true } else { false }
    }
}
