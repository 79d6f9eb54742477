import Foundation
import FerryCore
import FerryMapping
import FerryQueue
import FerryAudit
import FerryReconcile
import FerrySeal

extension Node {
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
                if let message, let failed = ReconcileRun.failure(answering: message, reason: failure.message),
                    let back = topology.lane(from: zone, to: senderZone) {
                    _ = try? send(failed, on: back.name)
                }
            }
        }
        return notes
    }

    /// The far side of a run: reads the target, then answers (two-way) or reports
    /// (one-way), as `ReconcileRun` decides.
    func answer(_ message: ReconcileMessage, senderZone: String) throws -> String {
        guard let flow = topology.flow(named: message.flow), flow.trigger == nil, flow.entity == message.entity, flow.from == message.source,
            flow.to.contains(message.target), let target = topology.system(named: message.target), target.zone == zone,
            topology.system(named: flow.from)?.zone == senderZone
        else {
            throw FerryError(.reconcile, "run \(message.run) from \(senderZone) asks about flow \(message.flow) to \(message.target), which this node's topology does not route so",
                hint: "both sides must read the same topology")
        }
        let digester = try reconcileDigester()
        let back = topology.lane(from: zone, to: senderZone)
        guard message.oneWay || back != nil else {
            throw FerryError(.reconcile, "run \(message.run) is two-way but there is no way back to \(senderZone)", hint: "open it with --one-way")
        }
        var (run, action) = try ReconcileRun.answering(message)
        while case .readCopy(let request) = action {
            let copy = try digestCopy(target, entity: flow.entity, sketchWidth: request.sketchWidth, sketchOnly: request.ranges, indexed: message.indexed,
                rebuild: request.rebuild, digester: digester, progress: nil).copy
            action = run.resume(with: copy)
        }
        let lane = "\(senderZone)→\(zone)"
        switch action {
        case .finish(var report, let found):
            if let found { try describe(found, in: &report, ours: .right, system: target, digester: digester, indexed: message.indexed) }
            try finish(report, role: "answerer", message: message, lane: lane)
            return "\(message.flow): one-way reconcile \(message.run) reported here (\(report.state), \(report.differences) differences)"
        case .send(let reply):
            try store.write { tx in
                try tx.reconcileRuns.open(message: message, role: "answerer", state: run.state.rawValue, actor: "node:\(name)")
                try audit.append(tx, AuditEvent(.reconcileAnswered, flow: message.flow, lane: lane, details: [
                    "run": .string(message.run), "step": .string(reply.step.rawValue), "records": .int(reply.records),
                    "differing_ranges": .int(Int64(reply.differingRanges)), "sketch_width": .int(Int64(reply.sketch?.width ?? 0)),
                ]))
            }
            try send(reply, on: back?.name ?? lane)
            return "\(message.flow): answered reconcile \(message.run) (\(reply.step.rawValue)\(reply.sketch.map { ", sketch width \($0.width)" } ?? ""))"
        case .setAside, .readCopy:
            throw FerryError(.internalFailure, "reconcile run \(message.run) stopped without an answer")
        }
    }

    /// The opener's side of an answer, as `ReconcileRun` decides: the report, a request for
    /// a wider sketch, or the answer set aside as one this run is not waiting for.
    func conclude(_ message: ReconcileMessage, senderZone: String) throws -> String {
        let stored = try store.read { tx in try tx.reconcileRuns.run(message.run, role: "opener") }
        var run = stored.flatMap { stored in
            topology.system(named: stored.target)?.zone == senderZone
                ? ReconcileRun(id: stored.run, flow: stored.flow, source: stored.source, target: stored.target, entity: stored.entity, role: .opener,
                    oneWay: stored.mode == "one-way", indexed: message.indexed, state: ReconcileRun.State(rawValue: stored.state) ?? .failed,
                    rounds: stored.rounds)
                : nil
        }
        var action = run?.take(message) ?? .setAside
        guard var run, !action.isSetAside else {
            try store.write { tx in
                try audit.append(tx, AuditEvent(.duplicate, flow: message.flow, details: ["run": .string(message.run), "step": .string(message.step.rawValue)]))
            }
            return "\(message.flow): an answer to reconcile \(message.run), which is not waiting for one, was set aside"
        }
        guard let flow = topology.flow(named: message.flow), let source = topology.system(named: flow.from) else {
            throw FerryError(.reconcile, "flow \(message.flow) is gone from \(topology.file)", hint: "restore it to finish run \(message.run)")
        }
        if let trigger = flow.trigger {
            throw FerryError(.reconcile, "flow \(message.flow) now carries what trigger \(trigger.name) derives; \(source.name) holds no copy of \(flow.entity)",
                hint: "run \(message.run) was opened under another topology; open a new reconcile of the flow that carries \(trigger.entity)")
        }
        let digester = try reconcileDigester()
        while case .readCopy(let request) = action {
            let copy = try digestCopy(source, entity: flow.entity, sketchWidth: request.sketchWidth, indexed: message.indexed, rebuild: false,
                digester: digester, progress: nil).copy
            action = run.resume(with: copy)
        }
        let lane = "\(zone)→\(senderZone)"
        switch action {
        case .send(let more):
            try store.write { tx in
                try tx.reconcileRuns.update(message.run, role: "opener", state: run.state.rawValue, nextRound: true)
                try audit.append(tx, AuditEvent(.reconcileMore, flow: message.flow, lane: lane, details: [
                    "run": .string(message.run), "width": .int(Int64(message.sketch?.width ?? 0)), "asked": .int(Int64(more.width)),
                ]))
            }
            try send(more, on: lane)
            return "\(message.flow): reconcile \(message.run) asked for a wider sketch (\(more.width))"
        case .finish(var report, let found):
            if let found { try describe(found, in: &report, ours: .left, system: source, digester: digester, indexed: message.indexed) }
            try finish(report, role: "opener", message: message, lane: lane)
            switch (report.state, message.step) {
            case ("failed", _): return "\(message.flow): reconcile \(message.run) failed on the far side: \(message.reason ?? "")"
            case (_, .equal): return "\(message.flow): reconcile \(message.run) found the copies equal"
            case ("unresolved", _): return "\(message.flow): reconcile \(message.run) unresolved"
            default: return "\(message.flow): reconcile \(message.run) done: \(report.differences) differences"
            }
        case .setAside, .readCopy:
            throw FerryError(.internalFailure, "reconcile run \(message.run) stopped without a conclusion")
        }
    }

    /// Fills a report from the differences, showing the keys this side holds (masked when
    /// personal) and the far side's by their digest; reads this side once more for them.
    func describe(
        _ found: Differences, in report: inout ReconcileTools.Report, ours side: ReconcileTools.Side, system: Topology.System, digester: RecordDigester,
        indexed: Bool = false
    ) throws {
        report.resultDigest = ReconcileTools.resultDigest(found)
        guard !found.isEmpty else {
            // Nothing differs: nothing to name, read or plan.
            report.matched = min(report.leftRecords, report.rightRecords)
            return
        }
        let mine = side == .left ? found.onlyLeft : found.onlyRight
        let wanted = mine.union(found.changed)
        var shown: [[UInt8]: String] = [:]
        if indexed, !wanted.isEmpty {
            // Before any note the run made (a one-way run's ranges outside those shipped).
            report.note = ["indexed: the systems were not read, so keys show as their digests; --apply reads the source for them", report.note]
                .compactMap { $0 }.joined(separator: "; ")
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
        // The plan is made where the source's records are: only the opener can send them.
        if side == .left, let target = topology.system(named: report.right) {
            report.plan = RepairStep.plan(missing: missing, changed: changed, extra: extra, source: system, target: target,
                entity: try deployment.mapping(system: system.name, entity: report.entity).entity,
                deleteExtras: report.flow.flatMap { topology.flow(named: $0) }?.deleteExtras ?? false)
        }
    }
}
