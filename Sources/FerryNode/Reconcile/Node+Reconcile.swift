public import Foundation
public import FerryCore
import FerryMapping
import FerryQueue
import FerryAudit
import FerryReconcile
import FerrySeal

extension FerryError.Code {
    /// A reconcile could not start or continue: a flow, system or path is missing.
    public static let reconcile: Self = "reconcile"
}

extension Node {
    /// A reconcile opened towards one target: the bundle that carries the opening.
    public struct OpenedReconcile: Sendable {
        public var run: String
        public var target: String
        public var lane: String
        /// `two-way` (the answer comes back on the return path) or `one-way` (the far side reports).
        public var mode: String
        public var records: Int
        /// The ranges the summary has.
        public var ranges: Int
        /// One-way: the ranges whose pairs the sketch holds (all of them on a first opening),
        /// the run they changed since, and the sketch's width.
        public var shippedRanges: Int?
        public var since: String?
        public var sketchWidth: Int?
        public var bundleBytes: Int64
        /// False when the transfer area refused the drop: the next pack ships it.
        public var shipped: Bool
    }

    /// How a run is opened: which targets, the mode, where the copy comes from, and for
    /// one-way runs how much to ship.
    public struct ReconcileOptions: Sendable {
        /// Only this target of the flow.
        public var target: String?
        /// Let the far side report even where a return path exists.
        public var oneWay = false
        /// Both sides take their copies from their digest indexes.
        public var indexed = false
        /// One-way: the differing records the sketch must resolve; by default sized from
        /// what changed since the last opening (1000 on a first).
        public var capacity: Int?
        /// One-way: ship every range, not only those changed since the last opening.
        public var allRanges = false
        /// The range tree's fan-out, instead of the flow's `reconcile: { fan_out: }`.
        public var fanOut: Int?

        public init(target: String? = nil, oneWay: Bool = false, indexed: Bool = false, capacity: Int? = nil, allRanges: Bool = false, fanOut: Int? = nil) {
            (self.target, self.oneWay, self.indexed, self.capacity, self.allRanges, self.fanOut) = (target, oneWay, indexed, capacity, allRanges, fanOut)
        }
    }

    /// Opens a reconcile of `flow`'s copies across the gap: reads the source system, maps
    /// every record to canonical form and seals its range summary to each target's zone.
    /// With a return path the far side answers with a sketch, and the report is made here
    /// when `receive` takes the answer in. Without one (or with `oneWay`) the summary goes
    /// with a sketch of the ranges changed since the last opening and the far side reports.
    public func openReconcile(
        flow name: String, _ options: ReconcileOptions = ReconcileOptions(), actor: String, progress: (@Sendable (String, Int) -> Void)? = nil
    ) throws -> [OpenedReconcile] {
        guard let flow = topology.flow(named: name) else {
            throw FerryError(.reconcile, "no flow \(name) in \(topology.file)", hint: "known flows: \(topology.flows.map(\.name).joined(separator: ", "))")
        }
        guard let source = topology.system(named: flow.from), source.zone == zone else {
            let owner = topology.system(named: flow.from).flatMap { topology.node(inZone: $0.zone)?.name } ?? "the source's node"
            throw FerryError(.reconcile, "flow \(name) starts at \(flow.from), outside zone \(zone)", hint: "open the reconcile on \(owner), the node of its source")
        }
        let fanOut = options.fanOut ?? flow.reconcileFanOut
        try ReconcileTools.checkFanOut(fanOut)
        let targets = flow.to.compactMap { topology.system(named: $0) }.filter { $0.zone != zone && (options.target == nil || $0.name == options.target) }
        guard !targets.isEmpty else {
            throw FerryError(.reconcile, options.target.map { "\($0) is not a target of flow \(name) beyond zone \(zone)" } ?? "flow \(name) has no target beyond zone \(zone)",
                hint: "compare systems of one zone with --left and --right")
        }
        let digester = try reconcileDigester()
        let lanes = try targets.map { target in
            guard let lane = topology.lane(from: zone, to: target.zone) else {
                throw FerryError(.reconcile, "no channel from \(zone) to \(target.zone)", hint: "flow \(name) needs one to deliver, too; add it under channels:")
            }
            return lane
        }
        // The source is read once, whatever the number of targets: one summary serves them
        // all. The read leaves the digest index complete, and one-way sketches come from it.
        let (copy, counts) = try digestCopy(source, entity: flow.entity, sketchWidth: nil, indexed: options.indexed, rebuild: true, digester: digester,
            progress: progress)
        let summary = copy.summary(fanOut: fanOut)
        var opened: [OpenedReconcile] = []
        for (target, lane) in zip(targets, lanes) {
            let mode = options.oneWay || !lane.hasReturn ? "one-way" : "two-way"
            var message = ReconcileMessage(step: .open, run: hex(try randomBytes(12)), flow: name, source: source.name, target: target.name, entity: flow.entity)
            message.oneWay = mode == "one-way"
            message.indexed = options.indexed
            message.records = Int64(counts.records)
            message.summary = summary
            var since: String?
            var changedPairs: Int?
            if message.oneWay {
                let last = try store.read { tx in try tx.reconcileRuns.lastOpened(flow: name, target: target.name) }
                let plan = Reconciler.oneWayPlan(leaves: copy.leaves, previous: last?.leaves, ranges: summary.ranges, capacity: options.capacity,
                    all: options.allRanges)
                (message.shipped, since, changedPairs) = (plan.ranges, plan.ranges == nil ? nil : last?.run, plan.changedPairs)
                var shipping = CopyDigest(sketchWidth: plan.width, sketchOnly: plan.ranges)
                try store.read { tx in try tx.digestIndex.forEachPair(system: source.name, entity: flow.entity) { shipping.addToSketch($0) } }
                message.sketch = shipping.sketch
            }
            try store.write { tx in
                try tx.reconcileRuns.open(message: message, role: "opener", state: message.oneWay ? "sent" : "waiting", actor: actor)
                try tx.reconcileRuns.recordOpened(flow: name, target: target.name, run: message.run, leaves: copy.leaves)
                var details: [String: Value] = [
                    "run": .string(message.run), "source": .string(source.name), "target": .string(target.name), "mode": .string(mode),
                    "records": .int(Int64(counts.records)), "unreadable": .int(Int64(counts.unreadable)),
                    "fan_out": .int(Int64(fanOut)), "ranges": .int(Int64(summary.ranges)), "sketch_width": .int(Int64(message.sketch?.width ?? 0)),
                ]
                if let shipped = message.shipped { details["shipped_ranges"] = .int(Int64(shipped.count)) }
                if let since { details["since_run"] = .string(since) }
                if let changedPairs { details["changed_pairs"] = .int(Int64(changedPairs)) }
                try audit.append(tx, AuditEvent(.reconcileOpened, actor: actor, flow: name, lane: lane.name, details: details))
            }
            let (bytes, shipped) = try send(message, on: lane.name)
            opened.append(OpenedReconcile(run: message.run, target: target.name, lane: lane.name, mode: mode, records: counts.records,
                ranges: summary.ranges, shippedRanges: message.oneWay ? message.shipped?.count ?? summary.ranges : nil, since: since,
                sketchWidth: message.sketch?.width, bundleBytes: bytes, shipped: shipped))
        }
        return opened
    }

    /// The deployment's digester, which every reconcile step needs.
    func reconcileDigester() throws -> RecordDigester {
        guard let digester else { throw ReconcileTools.noDigestKey }
        return digester
    }

    /// One side's copy, digested: read from the system through its mapping (and, with
    /// `rebuild`, written into the digest index as read), or taken from the index without
    /// reading the system. Without a sketch width only the range sums are needed.
    func digestCopy(
        _ system: Topology.System, entity: String, sketchWidth: Int?, sketchOnly: RangeSelection? = nil, indexed: Bool, rebuild: Bool,
        digester: RecordDigester, progress: (@Sendable (String, Int) -> Void)?
    ) throws -> (copy: CopyDigest, counts: (records: Int, unreadable: Int)) {
        if indexed {
            let copy = try store.read { tx -> CopyDigest? in
                try tx.digestIndex.isComplete(system: system.name, entity: entity)
                    ? try tx.digestIndex.copy(system: system.name, entity: entity, sketchWidth: sketchWidth, sketchOnly: sketchOnly) : nil
            }
            guard let copy else {
                throw FerryError(.reconcile, "node \(name) keeps no complete digest index of \(system.name) yet: pulls and applies add only what passes through Ferry",
                    hint: "reconcile once without --indexed: that reads the system and completes the index, which pulls and applies keep from then on")
            }
            return (copy, (copy.records, 0))
        }
        var copy = CopyDigest(sketchWidth: sketchWidth ?? 8, sketchOnly: sketchOnly)
        var index = rebuild ? DigestIndex.Rebuild(system: system.name, entity: entity) : nil
        try index?.start(store)
        let counts = try ReconcileTools.scan(deployment, system: system, entity: entity, digester: digester, progress: progress) { pair, _ in
            copy.add(pair)
            try index?.add(pair, store: store)
        }
        try index?.finish(store)
        return (copy, counts)
    }

    /// Seals one reconcile line for a lane and drops it; a refused drop leaves it sealed
    /// for the next pack. Returns the bundle's size and whether it left.
    @discardableResult
    func send(_ message: ReconcileMessage, on lane: String) throws -> (Int64, Bool) {
        let id = hex(try randomBytes(16))
        let sequence = try store.write { tx in try tx.ledger.reserve(id: id, lane: lane, kind: .reconcile, records: 1) }
        try seal(id: id, lane: lane, sequence: sequence, kind: .reconcile, lines: [message.line])
        guard let bundle = try store.read({ tx in try tx.ledger.outbound(id: id) }) else { return (0, false) }
        let size = bundle.file.flatMap { try? FileManager.default.attributesOfItem(atPath: $0)[.size] as? Int64 } ?? 0
        do {
            _ = try ship(bundle)
            return (size, true)
        } catch let error as FerryError where error.code.family == .transport {
            logger.warning("reconcile bundle held", metadata: ["lane": .string(lane), "reason": .string(error.message)])
            return (size, false)
        }
    }

    /// Takes in the reconcile lines `receive` staged: answers openings and requests for a
    /// wider sketch, and makes the report from answers. Returns one line per step taken.
    func processReconcile() throws -> [String] {
        var notes: [String] = []
        while let item = try store.write({ tx in try tx.reconcileRuns.claim() }) {
            let senderZone = LaneID(item.lane)?.from ?? ""
            var message: ReconcileMessage?
            do {
                let step = try ReconcileMessage(line: item.line)
                message = step
                switch step.step {
                case .open, .more: notes.append(try answer(step, senderZone: senderZone))
                case .sketch, .equal, .failed: notes.append(try conclude(step, senderZone: senderZone))
                case .delete: notes.append(try deleteExtras(step, bundle: item.bundle, senderZone: senderZone))
                }
            } catch {
                // This side cannot take the step (a system, mapping or key is missing here, a
                // line is malformed, a system failed to read): audited with the reason. The
                // opener sees no answer and opens the run again once it is fixed.
                let failure = error as? FerryError ?? FerryError(.reconcile, "\(error)")
                try store.write { tx in
                    try audit.append(tx, AuditEvent(.reconcileFailed, bundle: item.bundle, details: [
                        "code": .string(failure.code.rawValue), "reason": .string(failure.message),
                    ]))
                }
                logger.warning("reconcile step failed", metadata: ["bundle": .string(item.bundle), "reason": .string(failure.message)])
                notes.append("reconcile failed: \(failure.message)")
                // A two-way opener waits for an answer: tell it why none is coming.
                if let message, message.step == .open || message.step == .more, !message.oneWay, let back = topology.lane(from: zone, to: senderZone) {
                    var failed = message.reply(.failed)
                    failed.reason = failure.message
                    _ = try? send(failed, on: back.name)
                }
            }
        }
        return notes
    }

    /// The far side of a run: reads the target, then answers (two-way) or reports (one-way).
    func answer(_ message: ReconcileMessage, senderZone: String) throws -> String {
        guard let flow = topology.flow(named: message.flow), flow.entity == message.entity, flow.from == message.source,
            flow.to.contains(message.target), let target = topology.system(named: message.target), target.zone == zone,
            topology.system(named: flow.from)?.zone == senderZone
        else {
            throw FerryError(.reconcile, "run \(message.run) from \(senderZone) asks about flow \(message.flow) to \(message.target), which this node's topology does not route so",
                hint: "both sides must read the same topology")
        }
        let digester = try reconcileDigester()
        guard message.step == .more || message.summary != nil else {
            throw FerryError(.reconcile, "run \(message.run) opened without a summary", hint: "both sides must run the same Ferry version")
        }
        let width = message.oneWay ? (message.sketch?.width ?? 8) : message.step == .more ? min(Reconciler.maxWidth, max(8, message.width)) : Reconciler.maxWidth
        // An indexed two-way opening compares summaries first: the index's pairs are only
        // streamed into a sketch when the copies differ.
        var (copy, _) = try digestCopy(target, entity: flow.entity, sketchWidth: message.indexed && !message.oneWay && message.step == .open ? nil : width,
            sketchOnly: message.oneWay ? message.shipped : nil, indexed: message.indexed, rebuild: message.step == .open, digester: digester, progress: nil)
        let lane = "\(senderZone)→\(zone)"

        if message.oneWay {
            guard let theirs = message.sketch, let summary = message.summary else {
                throw FerryError(.reconcile, "one-way run \(message.run) came without a sketch", hint: "both sides must run the same Ferry version")
            }
            var report = ReconcileTools.Report(left: message.source, right: message.target, entity: message.entity)
            (report.run, report.flow, report.mode, report.sketchWidth, report.rounds) = (message.run, message.flow, "one-way", theirs.width, 1)
            (report.leftRecords, report.rightRecords) = (Int(message.records), copy.records)
            (report.leaves, report.shippedRanges) = (summary.ranges, message.shipped?.count ?? summary.ranges)
            let ours = copy.summary(ranges: summary.ranges)
            let shipped = message.shipped ?? RangeSelection(ranges: summary.ranges, all: true)
            if let found = Reconciler.differences(ours: theirs, theirs: copy.sketch) {
                try describe(found, in: &report, ours: .right, system: target, digester: digester, indexed: message.indexed)
            } else {
                let inside = summary.compare(with: ours, only: shipped.contains)
                report.state = "unresolved"
                report.note = "the sketch held about \(theirs.width * Sketch.partitions * 10 / 14 / 2) differences; about \(max(1, inside.estimatedPairs / 2)) differ in \(inside.differingRanges) of the \(shipped.count) ranges shipped. Open it again with --capacity \(inside.estimatedPairs), or over a return path"
            }
            // Ranges the source did not ship, because their sums have not changed since its
            // last opening, should be equal here too. Those that are not changed on this
            // side since, or were left unrepaired; only a run over every range names them.
            if message.shipped != nil {
                let outside = summary.compare(with: ours, only: { !shipped.contains($0) })
                report.outsideRanges = outside.differingRanges
                if outside.differingRanges > 0, report.state == "done" {
                    report.state = "partial"
                    report.note = [report.note, "\(outside.differingRanges) of the \(summary.ranges - shipped.count) ranges the source has not changed since its last opening differ here too (about \(max(1, outside.estimatedPairs / 2)) records): changed on this side since, or left unrepaired. Open it again with --all-ranges to name them"].compactMap { $0 }.joined(separator: "; ")
                }
            }
            try finish(report, role: "answerer", message: message, lane: lane)
            return "\(message.flow): one-way reconcile \(message.run) reported here (\(report.state), \(report.differences) differences)"
        }

        guard let back = topology.lane(from: zone, to: senderZone) else {
            throw FerryError(.reconcile, "run \(message.run) is two-way but there is no way back to \(senderZone)", hint: "open it with --one-way")
        }
        var reply: ReconcileMessage
        let comparison = comparison(message.summary, copy)
        if message.step == .open, comparison.equal {
            reply = message.reply(.equal)
        } else {
            if message.indexed, copy.sketch.width != width {
                copy = try digestCopy(target, entity: flow.entity, sketchWidth: width, indexed: true, rebuild: false, digester: digester, progress: nil).copy
            }
            reply = message.reply(.sketch)
            let needed = message.step == .more ? width : (Reconciler.width(for: comparison) ?? Reconciler.maxWidth)
            reply.sketch = copy.sketch.folded(to: needed)
            (reply.differingRanges, reply.estimatedPairs) = (comparison.differingRanges, comparison.estimatedPairs)
        }
        reply.records = Int64(copy.records)
        try store.write { tx in
            try tx.reconcileRuns.open(message: message, role: "answerer", state: "answered", actor: "node:\(name)")
            try audit.append(tx, AuditEvent(.reconcileAnswered, flow: message.flow, lane: lane, details: [
                "run": .string(message.run), "step": .string(reply.step.rawValue), "records": .int(Int64(copy.records)),
                "differing_ranges": .int(Int64(comparison.differingRanges)), "sketch_width": .int(Int64(reply.sketch?.width ?? 0)),
            ]))
        }
        try send(reply, on: back.name)
        return "\(message.flow): answered reconcile \(message.run) (\(reply.step.rawValue)\(reply.sketch.map { ", sketch width \($0.width)" } ?? ""))"
    }

    /// How an opening's summary compares with this copy; nothing known for a `more`.
    private func comparison(_ summary: RangeSummary?, _ copy: CopyDigest) -> RangeSummary.Comparison {
        summary.map { $0.compare(with: copy.summary(ranges: $0.ranges)) } ?? RangeSummary.Comparison(differingRanges: 0, estimatedPairs: 0, saturated: false)
    }

    /// The opener's side of an answer: peels the differences out, asks for a wider sketch
    /// when the answer's was too narrow, and keeps the report.
    func conclude(_ message: ReconcileMessage, senderZone: String) throws -> String {
        guard let run = try store.read({ tx in try tx.reconcileRuns.run(message.run, role: "opener") }), run.state == "waiting",
            run.flow == message.flow, run.source == message.source, run.target == message.target, run.entity == message.entity,
            topology.system(named: run.target)?.zone == senderZone
        else {
            try store.write { tx in
                try audit.append(tx, AuditEvent(.duplicate, flow: message.flow, details: ["run": .string(message.run), "step": .string(message.step.rawValue)]))
            }
            return "\(message.flow): an answer to reconcile \(message.run), which is not waiting for one, was set aside"
        }
        guard let flow = topology.flow(named: message.flow), let source = topology.system(named: flow.from) else {
            throw FerryError(.reconcile, "flow \(message.flow) is gone from \(topology.file)", hint: "restore it to finish run \(message.run)")
        }
        let digester = try reconcileDigester()
        let lane = "\(zone)→\(senderZone)"
        var report = ReconcileTools.Report(left: message.source, right: message.target, entity: message.entity)
        (report.run, report.flow, report.mode, report.rounds) = (message.run, message.flow, "two-way", run.rounds)
        report.rightRecords = Int(message.records)
        if message.step == .failed {
            report.state = "failed"
            report.note = "\(message.target)'s side could not answer: \(message.reason ?? "no reason given")"
            try finish(report, role: "opener", message: message, lane: lane)
            return "\(message.flow): reconcile \(message.run) failed on the far side: \(message.reason ?? "")"
        }
        guard let theirs = message.sketch else {
            // Equal fingerprints: every record matched.
            (report.leftRecords, report.matched) = (Int(message.records), Int(message.records))
            report.resultDigest = hex(Hasher.sha256([]))
            try finish(report, role: "opener", message: message, lane: lane)
            return "\(message.flow): reconcile \(message.run) found the copies equal"
        }
        let (copy, counts) = try digestCopy(source, entity: flow.entity, sketchWidth: theirs.width, indexed: message.indexed, rebuild: false,
            digester: digester, progress: nil)
        report.leftRecords = counts.records
        report.sketchWidth = theirs.width
        guard let found = Reconciler.differences(ours: copy.sketch, theirs: theirs) else {
            if run.rounds < 3, theirs.width < Reconciler.maxWidth {
                var more = message.reply(.more)
                more.width = min(Reconciler.maxWidth, theirs.width * 4)
                try store.write { tx in
                    try tx.reconcileRuns.update(message.run, role: "opener", state: "waiting", nextRound: true)
                    try audit.append(tx, AuditEvent(.reconcileMore, flow: message.flow, lane: lane, details: [
                        "run": .string(message.run), "width": .int(Int64(theirs.width)), "asked": .int(Int64(more.width)),
                    ]))
                }
                try send(more, on: lane)
                return "\(message.flow): reconcile \(message.run) asked for a wider sketch (\(more.width))"
            }
            report.state = "unresolved"
            report.note = "about \(message.estimatedPairs / 2) records differ in \(message.differingRanges) ranges: more than a sketch of width \(theirs.width) resolves. Sync the flow in full, then reconcile again"
            try finish(report, role: "opener", message: message, lane: lane)
            return "\(message.flow): reconcile \(message.run) unresolved"
        }
        try describe(found, in: &report, ours: .left, system: source, digester: digester, indexed: message.indexed)
        try finish(report, role: "opener", message: message, lane: lane)
        return "\(message.flow): reconcile \(message.run) done: \(report.differences) differences"
    }

    /// Fills a report from the differences, showing the keys this side holds (masked when
    /// personal) and the far side's by their digest; reads this side once more for them.
    func describe(
        _ found: Differences, in report: inout ReconcileTools.Report, ours side: ReconcileTools.Side, system: Topology.System, digester: RecordDigester,
        indexed: Bool = false
    ) throws {
        let mine = side == .left ? found.onlyLeft : found.onlyRight
        let wanted = mine.union(found.changed)
        var shown: [[UInt8]: String] = [:]
        if indexed, !wanted.isEmpty {
            report.note = "indexed: the systems were not read, so keys show as their digests; --apply reads the source for them"
        } else if !wanted.isEmpty {
            _ = try ReconcileTools.scan(deployment, system: system, entity: report.entity, digester: digester, progress: nil) { pair, record in
                let short = Reconciler.shortKey(pair.key)
                if wanted.contains(short) { shown[short] = deployment.subject(key: record.keyString, entity: report.entity) }
            }
        }
        func keyed(_ keys: Set<[UInt8]>) -> [RepairStep.Keyed] {
            keys.map { (shown[$0] ?? "#" + hex($0), hex($0)) }.sorted { $0.shown < $1.shown }
        }
        let (missing, changed, extra) = (keyed(found.onlyLeft), keyed(found.changed), keyed(found.onlyRight))
        report.onlyLeft = missing.map(\.shown)
        report.onlyRight = extra.map(\.shown)
        report.changed = changed.map { ReconcileTools.Changed(key: $0.shown, fields: []) }
        // Equal on a complete run; where ranges went unshipped (a later one-way opening) the
        // smaller side bounds what can have matched.
        report.matched = min(report.leftRecords - report.onlyLeft.count, report.rightRecords - report.onlyRight.count) - report.changed.count
        report.resultDigest = ReconcileTools.resultDigest(found)
        // The plan is made where the source's records are: only the opener can send them.
        if side == .left, let target = topology.system(named: report.right) {
            report.plan = RepairStep.plan(missing: missing, changed: changed, extra: extra, source: system, target: target,
                entity: try deployment.mapping(system: system.name, entity: report.entity).entity,
                deleteExtras: report.flow.flatMap { topology.flow(named: $0) }?.deleteExtras ?? false)
        }
    }

    /// What `--apply` did: records sent through the queue, and steps that send nothing.
    public struct RepairResult: Sendable {
        public var run: String
        public var enqueued = 0
        public var kept = 0
        public var cases = 0
        public var reported = 0
        /// Records only the target holds that it was asked to delete (flows that opt in).
        public var deletions = 0
        public var lane = ""
    }

    /// Sends the source's records for the latest finished run's `insert` and `update` steps
    /// through the normal queue, marked as repairs, so they are sealed, applied, receipted
    /// and audited like any exchange; `case` steps are audited as conflicts for people.
    public func applyRepair(flow name: String, run wanted: String? = nil, actor: String) throws -> RepairResult {
        // The newest finished run only: an older plan may undo what has changed since.
        let reports = try reconcileReports(flow: name).filter { $0.state == "done" && $0.mode == "two-way" }
        guard let report = reports.first, let run = report.run, wanted == nil || wanted == run else {
            throw FerryError(.reconcile, wanted.map { "run \($0) is not the newest finished two-way reconcile of \(name) on node \(self.name)" }
                ?? "no finished two-way reconcile of \(name) on node \(self.name)",
                hint: "open one with 'ferry reconcile \(name)' on this node, let 'ferry receive' take the answer in, then apply its plan")
        }
        guard !report.plan.isEmpty else { return RepairResult(run: run) }
        guard let flow = topology.flow(named: name), let source = topology.system(named: flow.from), source.zone == zone,
            let target = topology.system(named: report.right), let lane = topology.lane(from: zone, to: target.zone)
        else {
            throw FerryError(.reconcile, "flow \(name) no longer runs from this zone to \(report.right)", hint: "repair from the node of the flow's source")
        }
        let digester = try reconcileDigester()
        var result = RepairResult(run: run, lane: lane.name)
        let sending = Set(report.plan.filter { $0.action == .insert || $0.action == .update }.map(\.digest))
        var entries: [Outbox.Entry] = []
        _ = try ReconcileTools.scan(deployment, system: source, entity: flow.entity, digester: digester, progress: nil) { pair, record in
            guard sending.contains(hex(Reconciler.shortKey(pair.key))) else { return }
            let line = RecordEnvelope(flow: name, record: record, repair: true).line
            entries.append(Outbox.Entry(flow: name, lane: lane.name, entity: record.entity, key: record.keyString, version: record.version, line: line))
        }
        for step in report.plan {
            switch step.action {
            case .keep: result.kept += 1
            case .raiseCase: result.cases += 1
            case .report: result.reported += 1
            case .delete: result.deletions += 1
            case .insert, .update: break
            }
        }
        result.enqueued = entries.count
        try store.write { tx in
            guard try tx.reconcileRuns.markApplied(run: run) else {
                throw FerryError(.reconcile, "the plan of run \(run) was applied already", hint: "reconcile again to see what still differs")
            }
            try tx.outbox.enqueue(entries)
            for step in report.plan where step.action == .raiseCase {
                try audit.append(tx, AuditEvent(.conflict, actor: actor, flow: name, subject: step.key, details: [
                    "run": .string(run), "key_digest_prefix": .string(step.digest), "target": .string(target.name), "detail": .string(step.reason),
                ]))
            }
            try audit.append(tx, AuditEvent(.reconcileRepair, actor: actor, flow: name, lane: lane.name, details: [
                "run": .string(run), "enqueued": .int(Int64(result.enqueued)), "kept": .int(Int64(result.kept)),
                "cases": .int(Int64(result.cases)), "reported": .int(Int64(result.reported)),
            ], leaves: entries.compactMap { leaf(entity: $0.entity, key: $0.key, line: $0.line, tag: "repair") }))
        }
        let deleting = report.plan.filter { $0.action == .delete }.map(\.digest)
        if !deleting.isEmpty {
            var message = ReconcileMessage(step: .delete, run: run, flow: name, source: source.name, target: target.name, entity: flow.entity)
            message.keys = deleting
            try send(message, on: lane.name)
        }
        return result
    }

    /// The target's side of a repair that deletes extras: allowed only where this node's
    /// topology lets the flow delete them too. The target's own records with those key
    /// digests are staged as deletions of the versions it holds, so the normal apply path
    /// (version guard, audit) removes them.
    func deleteExtras(_ message: ReconcileMessage, bundle: String, senderZone: String) throws -> String {
        let known = try store.read { tx in try tx.reconcileRuns.run(message.run, role: "answerer") }
        guard let flow = topology.flow(named: message.flow), flow.deleteExtras, flow.to.contains(message.target), flow.from == message.source,
            let target = topology.system(named: message.target), target.zone == zone, topology.system(named: flow.from)?.zone == senderZone,
            let known, known.flow == flow.name, known.target == target.name
        else {
            throw FerryError(.reconcile, "run \(message.run) asks to delete records of \(message.target), but flow \(message.flow) does not delete extras here",
                hint: "deleting across systems needs reconcile: { extras: delete } on the flow in this node's topology too")
        }
        let digester = try reconcileDigester()
        let wanted = Set(message.keys)
        var records: [FerryCore.Record] = []
        _ = try ReconcileTools.scan(deployment, system: target, entity: flow.entity, digester: digester, progress: nil) { pair, record in
            if wanted.contains(hex(Reconciler.shortKey(pair.key))) { records.append(record) }
        }
        try store.write { tx in
            for record in records {
                let deletion = FerryCore.Record(entity: record.entity, key: record.key, version: record.version, operation: .delete, fields: record.fields)
                try tx.inbox.stage(bundle: bundle, flow: flow.name, entity: record.entity, key: record.keyString, version: record.version,
                    line: RecordEnvelope(flow: flow.name, record: deletion, repair: true).line)
            }
            try audit.append(tx, AuditEvent(.reconcileDelete, actor: "node:\(name)", flow: flow.name, lane: "\(senderZone)→\(zone)", bundle: bundle, details: [
                "run": .string(message.run), "asked": .int(Int64(wanted.count)), "staged": .int(Int64(records.count)),
            ]))
        }
        return "\(message.flow): \(records.count) records only \(target.name) held staged for deletion (run \(message.run))"
    }

    /// Keeps a finished report with its run and audits it.
    func finish(_ report: ReconcileTools.Report, role: String, message: ReconcileMessage, lane: String) throws {
        let stored = String(decoding: CanonicalJSON.encode(report.value), as: UTF8.self)
        try store.write { tx in
            if try tx.reconcileRuns.run(message.run, role: role) == nil {
                try tx.reconcileRuns.open(message: message, role: role, state: report.state, actor: "node:\(name)")
            }
            try tx.reconcileRuns.update(message.run, role: role, state: report.state, report: stored)
            let actor = try tx.reconcileRuns.run(message.run, role: role)?.actor ?? "node:\(name)"
            try audit.append(tx, AuditEvent(.reconciled, actor: actor, flow: message.flow, lane: lane, details: [
                "run": .string(message.run), "mode": .string(report.mode), "state": .string(report.state),
                "left": .string(report.left), "right": .string(report.right), "entity": .string(report.entity),
                "left_records": .int(Int64(report.leftRecords)), "right_records": .int(Int64(report.rightRecords)),
                "matched": .int(Int64(report.matched)), "only_left": .int(Int64(report.onlyLeft.count)),
                "only_right": .int(Int64(report.onlyRight.count)), "changed": .int(Int64(report.changed.count)),
                "result_digest": .string(report.resultDigest),
            ]))
        }
    }

    /// A run as the node keeps it: for runs still under way, which have no report yet.
    public struct RunState: Sendable {
        public var run: String
        public var role: String
        public var mode: String
        public var state: String
        public var openedAt: String
        public var updatedAt: String
        public var rounds: Int
    }

    /// The newest runs of a flow on this node, finished or not, newest first.
    public func reconcileRuns(flow: String?) throws -> [RunState] {
        try store.read { tx in try tx.reconcileRuns.latest(flow: flow) }.map {
            RunState(run: $0.run, role: $0.role, mode: $0.mode, state: $0.state, openedAt: $0.openedAt, updatedAt: $0.updatedAt, rounds: $0.rounds)
        }
    }

    /// The newest finished reports kept on this node, of one flow or all.
    public func reconcileReports(flow: String?) throws -> [ReconcileTools.Report] {
        try store.read { tx in try tx.reconcileRuns.latest(flow: flow) }.compactMap { run in
            run.report.flatMap { try? CanonicalJSON.decode(Array($0.utf8)) }.flatMap(ReconcileTools.Report.init(value:))
        }
    }
}
