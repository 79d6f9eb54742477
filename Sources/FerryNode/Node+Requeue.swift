import Foundation
import FerryCore
import FerryMapping
import FerryQueue
import FerryAudit
import FerryAdapters

extension Node {
    /// Re-maps quarantined rows with the current mapping and enqueues the ones that pass,
    /// audited as one operator step.
    ///
    /// A row that fails again keeps its place with its new reasons; malformed input, which
    /// never became a row, stays for the operator to fix at the source.
    public func requeueQuarantined(flow: String?, rule: String?, actor: String) throws -> RequeueReport {
        var report = RequeueReport()
        if let flow, topology.flow(named: flow) == nil {
            throw FerryError(.config, "no flow named \(flow)", hint: "known flows: \(topology.flows.map(\.name).joined(separator: ", "))")
        }
        let held = try store.read { tx in try tx.quarantine.held(flow: flow, rule: rule) }
        let byFlow = Dictionary(grouping: held, by: \.flow)
        for (flowName, rows) in byFlow.sorted(by: { $0.key < $1.key }) {
            let route = try syncRoute(flow: flowName)
            var records: [FerryCore.Record] = []
            var passed: [Int64] = []
            var superseded: [Int64] = []
            var refused: [(id: Int64, issues: [MappingIssue])] = []
            var mapped: [(id: Int64, record: FerryCore.Record)] = []
            for row in rows {
                report.examined += 1
                guard !row.rules.contains("malformed"), !row.rules.contains("max_record_size"), let sealed = row.payload,
                    case .object(let columns)? = try? CanonicalJSON.decode(try quarantineSealer.open(sealed))
                else {
                    report.malformed += 1
                    continue
                }
                switch route.reader.read(columns) {
                case .record(let record): mapped.append((row.id, record))
                case .rejected(_, let issues): refused.append((row.id, issues))
                // The change no longer triggers anything: nothing is left to send for it.
                case .untriggered: superseded.append(row.id)
                }
            }
            let sentSince = try store.read { tx in try tx.sentDigests.sentSince(flow: flowName, keys: mapped.map(\.record.keyString)) }
            for (id, record) in mapped {
                if let after = sentSince[record.keyString], after >= id {
                    superseded.append(id)
                } else {
                    records.append(record)
                    passed.append(id)
                }
            }
            // No cursor moves: the rows were read long ago; only the outbox and digests change.
            var requeueRoute = route
            requeueRoute.flow.mode = .full
            let batch = SourceBatch(rows: [], positions: [], checkpoint: "")
            // The records, the marks and the operator's audit entry commit together.
            let counts = try enqueue(batch: batch, records: records, rejects: [], route: requeueRoute) { tx in
                for id in passed + superseded { try tx.quarantine.markRequeued(id: id) }
                for entry in refused {
                    try tx.quarantine.refuseAgain(id: entry.id, issues: entry.issues.map(\.description).joined(separator: "; "), rules: entry.issues.map(\.rule))
                }
                try self.audit.append(tx, AuditEvent(.operatorRequeue, actor: actor, flow: flowName, details: [
                    "rule": rule.map(Value.string) ?? .null, "requeued": .int(Int64(passed.count)),
                    "still_refused": .int(Int64(refused.count)), "superseded": .int(Int64(superseded.count)), "mapping": .string(route.mapping.name),
                ]))
            }
            report.requeued += counts.fresh
            report.unchanged += counts.unchanged
            report.stillRefused += refused.count
            report.superseded += superseded.count
        }
        if report.requeued > 0 {
            _ = try pack(flush: false)
            _ = try applyPending()
        }
        return report
    }
}
