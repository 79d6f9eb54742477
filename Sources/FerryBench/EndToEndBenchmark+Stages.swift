import Foundation
import FerryCore
import FerryQueue
import FerryAudit

extension EndToEndBenchmark {
    /// Per-stage figures from the two nodes' audit logs: each stage's records over the span
    /// between its first and last entry, and the bytes of the record bundles sealed.
    static func stagesFromAudit(_ topology: Topology) throws -> ([Stage], Int64) {
        func store(_ name: String) throws -> NodeStore {
            guard let node = topology.node(named: name) else { throw FerryError(.benchmark, "the demo topology has no node \(name)") }
            return try NodeStore(readingNode: node, topology: topology)
        }
        let (sender, receiver) = (try store("extranet-gw"), try store("jinhong-gw"))
        func entries(_ store: NodeStore, _ kind: AuditEvent.Kind) throws -> [AuditEntry] {
            var query = AuditQuery()
            (query.kinds, query.limit) = ([kind.rawValue], Int(Int32.max))
            return try store.read { tx in try query.entries(tx) }
        }
        func int(_ value: Value?) -> Int { if case .int(let n)? = value { Int(n) } else { 0 } }
        func outcomes(_ entry: AuditEntry) -> Int {
            if case .object(let tally)? = entry.event.details["outcomes"] { tally.values.reduce(0) { $0 + int($1) } } else { 0 }
        }
        let sealed = try entries(sender, .sealed).filter { $0.event.details["kind"]?.text == BundleKind.records.rawValue }
        let recordsOf = Dictionary(sealed.compactMap { entry in entry.event.bundle.map { ($0, int(entry.event.details["records"])) } },
            uniquingKeysWith: { a, _ in a })
        // The flow runs every second and re-reads a look-back window each time: only the
        // pulls up to the last enqueue moved records, and they moved as many as were enqueued.
        let enqueued = try entries(sender, .enqueued)
        let lastEnqueue = enqueued.map(\.at).max() ?? ""
        let pulls = try entries(sender, .pulled).filter { $0.at <= lastEnqueue }
        var read = stage("read and map", pulls) { _ in 0 }
        read.records = enqueued.reduce(0) { $0 + int($1.event.details["records"]) }
        let stages = [
            read,
            stage("enqueue", enqueued) { int($0.event.details["records"]) },
            stage("seal", sealed) { int($0.event.details["records"]) },
            stage("ship", try entries(sender, .shipped).filter { recordsOf[$0.event.bundle ?? ""] != nil }) { recordsOf[$0.event.bundle ?? ""] ?? 0 },
            stage("open and stage", try entries(receiver, .received).filter { $0.event.details["kind"]?.text == BundleKind.records.rawValue }) {
                int($0.event.details["records"])
            },
            stage("apply", try entries(receiver, .applied), outcomes),
            // A receipt's lines are one per record and one of evidence.
            stage("receipt", try entries(receiver, .receipted)) { max(0, int($0.event.details["records"]) - 1) },
            stage("delivered", try entries(sender, .delivered), outcomes),
        ]
        return (stages, sealed.reduce(Int64(0)) { $0 + Int64(int($1.event.details["bytes"])) })
    }

    private static func stage(_ name: String, _ entries: [AuditEntry], _ records: (AuditEntry) -> Int) -> Stage {
        let times = entries.compactMap { Timestamp.parse($0.at) }
        let span = (times.max() ?? Date()).timeIntervalSince(times.min() ?? Date())
        return Stage(name: name, records: entries.reduce(0) { $0 + records($1) }, seconds: max(1, span))
    }
}
