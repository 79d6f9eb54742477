import Foundation
import FerryCore
import FerryMapping
import FerryQueue
import FerryAudit
import FerryReconcile
import FerrySeal

extension Node {
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
}
