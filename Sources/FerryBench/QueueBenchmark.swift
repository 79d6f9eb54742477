public import Foundation
import FerryCore
import FerrySeal
import FerryQueue
import FerryAudit
import FerryAdapters
import FerryNode
import FerryOps

/// `ferry bench queue`: records/s through the queue's own stages on generated records, and
/// how long a node takes to come back with a deep queue.
public enum QueueBenchmark {
    public struct Result: Sendable {
        public var records: Int
        public var enqueuePerSecond: Double
        public var packPerSecond: Double
        public var stagePerSecond: Double
        public var applyPerSecond: Double
        /// The apply stage without the sink's own writes: what the queue itself costs.
        public var applyQueuePerSecond: Double
        /// Reopening the store and reading the queue's status with every record still queued.
        public var recoverySeconds: Double
        public var storeMegabytes: Double
    }

    public static func run(records: Int, directory: URL) throws -> Result {
        try? FileManager.default.removeItem(at: directory)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let sender = try NodeKey.generate(node: "a")
        let recipient = try NodeKey.generate(node: "b")
        let audit = AuditLog(node: "a")
        let storePath = directory.appendingPathComponent("a.db")

        let enqueueSeconds = try enqueue(records, into: storePath, audit: audit)
        // Recovery: a node restarting with everything still queued.
        var clock = Stopwatch()
        let store = try NodeStore(path: storePath)
        let status = try store.read { tx in try tx.queueStatus() }
        let recoverySeconds = clock.lap()
        guard status.outbound.first?.pending == records else {
            throw FerryError(.internalFailure, "benchmark queue lost records")
        }
        let (bundles, packSeconds) = try pack(store, into: directory.appendingPathComponent("out"), sender: sender, recipient: recipient, audit: audit)
        let inbox = try NodeStore(path: directory.appendingPathComponent("b.db"))
        let stageSeconds = try stage(bundles, into: inbox, sender: sender, recipient: recipient)
        let (applySeconds, sinkSeconds) = try apply(inbox, sink: directory.appendingPathComponent("sink.db"))

        let size = ((try? FileManager.default.attributesOfItem(atPath: storePath.path)[.size]) as? NSNumber)?.doubleValue ?? 0
        return Result(
            records: records, enqueuePerSecond: Double(records) / enqueueSeconds, packPerSecond: Double(records) / packSeconds,
            stagePerSecond: Double(records) / stageSeconds, applyPerSecond: Double(records) / applySeconds,
            applyQueuePerSecond: Double(records) / (applySeconds - sinkSeconds),
            recoverySeconds: recoverySeconds, storeMegabytes: size / 1_048_576)
    }

    static let lane = "a→b"

    /// Enqueue: the sync's transaction shape, a batch of 1000 records with its audit entries.
    /// The store is closed on return, so the recovery figure starts from a cold open.
    /// - Returns: seconds spent enqueueing, not counting opening the store or making the lines.
    static func enqueue(_ records: Int, into path: URL, audit: AuditLog) throws -> Double {
        let store = try NodeStore(path: path)
        let lines: [[UInt8]] = (0..<1000).map { index in
            RecordEnvelope(flow: "bench", record: FerryCore.Record(
                entity: "TravelApplication", key: [DemoData.applicationNumber(index)], version: "2026-11-24T09:00:00Z",
                fields: ["application_id": .string(DemoData.applicationNumber(index)), "applicant_name": "王伟",
                    "destinations": ["AUS", "USA"], "depart_date": "2027-01-01", "updated_at": "2026-11-24T09:00:00Z"])).line
        }
        var clock = Stopwatch()
        var done = 0
        while done < records {
            let count = min(1000, records - done)
            try store.write { tx in
                try tx.outbox.enqueue((0..<count).map { index in
                    Outbox.Entry(flow: "bench", lane: lane, entity: "TravelApplication", key: "K\(done + index)", version: "v1", line: lines[index])
                })
                try tx.cursors.set(flow: "bench", value: "\(done + count)")
                try audit.append(tx, AuditEvent(.enqueued, flow: "bench", lane: lane, details: ["records": .int(Int64(count))]))
            }
            done += count
        }
        return clock.lap()
    }

    /// Pack: lease, seal and record bundles of 5000.
    /// - Returns: the sealed bundles and the seconds it took.
    static func pack(_ store: NodeStore, into directory: URL, sender: NodeKey, recipient: NodeKey, audit: AuditLog) throws -> ([URL], Double) {
        var bundles: [URL] = []
        var clock = Stopwatch()
        while true {
            let id = hex(try randomBytes(16))
            let reserved: (items: [OutboxItem], sequence: Int64)? = try store.write { tx in
                let items = try tx.outbox.pending(lane: lane, limit: 5000).items
                guard !items.isEmpty else { return nil }
                let sequence = try tx.ledger.reserve(id: id, lane: lane, kind: .records, records: items.count)
                try tx.outbox.assign(ids: items.map(\.id), to: id)
                return (items, sequence)
            }
            guard let reserved else { break }
            var parameters = BundleWriter.Parameters(lane: lane, sequence: reserved.sequence)
            parameters.id = id
            let writer = try BundleWriter(directory: directory, sender: sender, recipients: [recipient.publicKey], parameters: parameters)
            for item in reserved.items { try writer.append(line: item.line) }
            let sealed = try writer.finish()
            try store.write { tx in
                try tx.ledger.sealed(id: id, from: [.sealing], file: sealed.url.path, contentHash: sealed.contentHash, merkleRoot: sealed.header.merkleRoot)
                try audit.append(tx, AuditEvent(.sealed, lane: lane, bundle: id, details: ["records": .int(Int64(reserved.items.count))]))
            }
            bundles.append(sealed.url)
        }
        return (bundles, clock.lap())
    }

    /// Stage: verify, open and stage every bundle on the receiving node.
    /// - Returns: seconds spent staging.
    static func stage(_ bundles: [URL], into inbox: NodeStore, sender: NodeKey, recipient: NodeKey) throws -> Double {
        let reader = BundleReader(key: recipient, trust: TrustStore([sender.publicKey]))
        // Keys run on across bundles, as they would: the apply figure is for new records.
        var staged = 0
        var clock = Stopwatch()
        for url in bundles {
            let header = try BundleReader.inspect(url).header
            try inbox.write { tx in
                try tx.ledger.accept(id: header.id, lane: lane, sequence: header.sequence, kind: .records, sender: "a",
                    contentHash: url.lastPathComponent, records: header.records)
                try reader.open(url) { line in
                    try tx.inbox.stage(bundle: header.id, flow: "bench", entity: "TravelApplication", key: "K\(staged)",
                        version: "v1", line: line)
                    staged += 1
                }
            }
        }
        return clock.lap()
    }

    /// Apply: upsert into an SQLite sink table with the version guard, settle outcomes.
    /// - Returns: seconds spent applying, and of those the seconds inside the sink's own writes.
    static func apply(_ inbox: NodeStore, sink sinkPath: URL) throws -> (total: Double, sink: Double) {
        try SQLiteSystemFile(path: sinkPath).execute("CREATE TABLE t (k TEXT PRIMARY KEY, name TEXT, v TEXT)")
        let sink = try SQLiteAdapter(options: .init(path: sinkPath, table: "t", cursor: "rowid"), layout: SinkLayout(keyColumns: ["k"], versionColumn: "v"))
        var clock = Stopwatch()
        var sinkSeconds = 0.0
        while true {
            let items = try inbox.read { tx in try tx.inbox.pending(limit: 5000, now: "9999") }
            guard !items.isEmpty else { break }
            let rows = items.map { SinkRow(key: ["k": .string($0.key)], values: ["k": .string($0.key), "name": "王伟", "v": "v1"]) }
            var sinkClock = Stopwatch()
            let outcomes = try sink.apply(rows)
            sinkSeconds += sinkClock.lap()
            try inbox.write { tx in
                for (item, outcome) in zip(items, outcomes) {
                    try tx.inbox.settle(id: item.id, outcome: outcome == .applied ? .applied : .rejected, detail: nil)
                    try tx.inbox.recordApplied(target: "t", entity: item.entity, key: item.key, version: item.version)
                }
            }
        }
        return (clock.lap(), sinkSeconds)
    }
}
