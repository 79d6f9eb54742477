import Foundation
import FerryCore
import FerryMapping
import FerryQueue
import FerryAudit
public import FerryReconcile
import FerrySeal

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
        if let trigger = flow.trigger {
            throw FerryError(.reconcile, "flow \(name) carries what trigger \(trigger.name) derives from \(trigger.entity); \(flow.from) holds no copy of \(flow.entity) to compare",
                hint: "reconcile the flow that carries \(trigger.entity), or compare the targets with --left and --right")
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
            var (since, changedPairs, ranges, sketch): (String?, Int?, RangeSelection?, Sketch?) = (nil, nil, nil, nil)
            if mode == "one-way" {
                let last = try store.read { tx in try tx.reconcileRuns.lastOpened(flow: name, target: target.name) }
                let plan = Reconciler.oneWayPlan(leaves: copy.leaves, previous: last?.leaves, ranges: summary.ranges, capacity: options.capacity,
                    all: options.allRanges)
                (ranges, since, changedPairs) = (plan.ranges, plan.ranges == nil ? nil : last?.run, plan.changedPairs)
                var shipping = CopyDigest(sketchWidth: plan.width, sketchOnly: plan.ranges)
                try store.read { tx in try tx.digestIndex.forEachPair(system: source.name, entity: flow.entity) { shipping.addToSketch($0) } }
                sketch = shipping.sketch
            }
            let (run, message) = ReconcileRun.open(id: hex(try randomBytes(12)), flow: name, source: source.name, target: target.name,
                entity: flow.entity, oneWay: mode == "one-way", indexed: options.indexed, records: counts.records, summary: summary,
                shipped: ranges, sketch: sketch)
            try store.write { tx in
                try tx.reconcileRuns.open(message: message, role: "opener", state: run.state.rawValue, actor: actor)
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
