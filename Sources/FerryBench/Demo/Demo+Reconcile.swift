import Foundation
import FerryCore
import FerryNode

extension Demo {
    /// One flow's reconcile with one target, as the demo reports it.
    public struct Reconciled: Sendable {
        public var flow: String
        public var target: String
        /// `done` when both sides finished comparing; anything else is a failure here.
        public var state: String
        public var matched: Int
        public var differences: Int
        public var rounds: Int
    }

    /// Reconciles flows by record digests, as `ferry reconcile` does: opened on the
    /// source's node, answered by the target's through the gap, concluded back (or reported
    /// on the far side for a one-way lane). Every node receives in turn until each run is done.
    /// `flows` limits it to those flows. The demo reconciles each flow right after its hop:
    /// the business steps that follow (approval, issuance) change the sinks' copies on purpose.
    func reconcile(_ topology: Topology, nodes: [Node], flows names: Set<String>? = nil) throws -> [Reconciled] {
        var results: [Reconciled] = []
        // A trigger's flow has no copy at its source to compare: the check compares what it
        // derives with each target instead.
        for flow in topology.flows where (names?.contains(flow.name) ?? true) && flow.trigger == nil {
            guard let source = topology.system(named: flow.from), let origin = nodes.first(where: { $0.zone == source.zone }) else { continue }
            // Targets in the source's own zone are compared directly, as `ferry reconcile
            // --left --right` does; those across a gap by the exchange below.
            let targets = flow.to.compactMap { topology.system(named: $0) }
            for local in targets where local.zone == source.zone {
                let report = try ReconcileTools.compare(on: origin, left: source.name, right: local.name, entity: flow.entity, actor: "ferry demo")
                results.append(Reconciled(flow: flow.name, target: local.name, state: "done", matched: report.matched,
                    differences: report.onlyLeft.count + report.onlyRight.count + report.changed.count, rounds: 1))
            }
            guard targets.contains(where: { $0.zone != source.zone }) else { continue }
            let opened = try origin.openReconcile(flow: flow.name, actor: "ferry demo")
            var reports: [String: ReconcileTools.Report] = [:]
            // Each exchange is one bundle each way; range splitting takes a round per level of
            // the digest tree, so 12 rounds is far more than a demo's tables need.
            for _ in 0..<12 where reports.values.filter({ $0.state == "done" }).count < opened.count {
                for node in nodes { _ = try node.receive() }
                for node in nodes {
                    // The latest report of each run this call opened, whatever its state, so a
                    // run that stops short is shown as it stopped.
                    for report in try node.reconcileReports(flow: flow.name) {
                        guard let run = report.run, opened.contains(where: { $0.run == run }), reports[run]?.state != "done" else { continue }
                        reports[run] = report
                    }
                }
            }
            for run in opened {
                let report = reports[run.run]
                results.append(Reconciled(flow: flow.name, target: run.target, state: report?.state ?? "unfinished",
                    matched: report?.matched ?? 0, differences: report?.differences ?? 0, rounds: report?.rounds ?? 0))
            }
        }
        return results
    }
}
