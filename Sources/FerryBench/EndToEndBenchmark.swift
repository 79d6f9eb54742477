public import Foundation
public import FerryCore
import FerryQueue
import FerryAudit
import FerryAdapters
import FerrySeal
public import Logging

/// `ferry bench e2e`: one hop of the demo's first flow (portal in the extranet → approval in
/// jinhong, across a directory gap) with the sending and receiving nodes as two concurrent
/// `ferry run` processes, as they would run on two machines. Everything a user has on is
/// on: mapping both ways, validation, seal and open, dedup, the version guard, the audit
/// log with its record index, the digest index and receipts. The clock runs from starting
/// the processes until the last record is applied and its receipt is delivered back.
///
/// In the same run, the peer pipeline moves the same rows as an opaque file: `sqlite3`
/// exports them as CSV, the file is copied across a directory, and `sqlite3 .import` loads
/// it into a table with a primary key; no mapping, dedup or audit.
public enum EndToEndBenchmark {
    public struct Options: Sendable {
        public var directory: URL
        public var records: Int
        /// The `ferry` executable the two nodes run.
        public var executable: URL
        /// How often each node looks at its inbound transfer area, in seconds.
        public var poll = 0.2
        /// One in this many seeded applications fails the mapping (0: none), for testing
        /// that a run with quarantined rows still ends.
        package var badEvery = 0
        /// A postgres:// URL for both nodes' stores (a schema each); nil: SQLite files.
        public var store: String?
        /// `ferry run` processes per node, sharing its jobs through claims in the store.
        public var workers = 1

        public init(directory: URL, records: Int, executable: URL) {
            (self.directory, self.records, self.executable) = (directory, records, executable)
        }
    }

    /// One stage as the nodes' audit logs saw it: records through it, over the seconds
    /// between its first and last entry (whole seconds, as the log keeps time; at least 1).
    public struct Stage: Sendable {
        public var name: String
        public var records: Int
        public var seconds: Double
        public var perSecond: Double { Double(records) / max(seconds, 1) }
    }

    public struct Result: Sendable {
        public var records: Int
        public var seconds: Double
        public var stages: [Stage]
        /// Bytes of sealed record bundles that crossed the gap.
        public var gapBytes: Int64
        /// The largest peak RSS of one worker process of each node.
        public var senderPeakMB: Double
        public var receiverPeakMB: Double
        public var workers = 1
        public var store = "SQLite"
        /// The peer pipeline's seconds for the same rows; nil when `sqlite3` is not installed.
        public var peerSeconds: Double?
        /// Rows the sender's mapping refused: they count as accounted for, not as applied.
        public var quarantined = 0
        public var perSecond: Double { Double(records) / max(seconds, 0.001) }
    }

    static let flow = "applications-to-jinhong"

    public static func run(_ options: Options, logger: Logger) throws -> Result {
        var demoOptions = Demo.Options(directory: options.directory, records: options.records)
        demoOptions.badEvery = options.badEvery
        demoOptions.store = options.store
        let demo = Demo(options: demoOptions, logger: logger)
        try demo.prepareDirectory()
        let config = options.directory.appendingPathComponent("ferry.yaml")
        try onlyFirstHop(config)
        let topology = try TopologyLoader.parse(try ConfigNode.load(file: config), file: config.path, baseDirectory: config.deletingLastPathComponent())
        try demo.seedSystems(topology)

        var clock = Stopwatch()
        let workers = 1...max(1, options.workers)
        let senders = try workers.map { try NodeProcess(options, node: "extranet-gw", worker: $0) }
        let receivers = try workers.map { try NodeProcess(options, node: "jinhong-gw", worker: $0) }
        defer { for process in senders + receivers { process.stop() } }
        let quarantined = try waitUntilDelivered(options, topology: topology, processes: senders + receivers)
        let seconds = clock.lap()
        let peaks = (senders.map { $0.peakMB() }.max() ?? 0, receivers.map { $0.peakMB() }.max() ?? 0)
        for process in senders + receivers { process.stop() }

        let (stages, gapBytes) = try stagesFromAudit(topology)
        let peer = try PeerPipeline.run(directory: options.directory, topology: topology)
        var result = Result(records: options.records, seconds: seconds, stages: stages, gapBytes: gapBytes, senderPeakMB: peaks.0,
            receiverPeakMB: peaks.1, peerSeconds: peer)
        result.quarantined = quarantined
        result.workers = workers.count
        result.store = options.store == nil ? "SQLite" : "PostgreSQL"
        return result
    }

    /// The demo's topology with only the first flow scheduled, every second: the other
    /// flows would read and write the same systems meanwhile.
    static func onlyFirstHop(_ config: URL) throws {
        let text = try String(contentsOf: config, encoding: .utf8)
        let lines = text.components(separatedBy: "\n").map { line -> String in
            guard line.contains("name:"), line.contains("schedule:"), let range = line.range(of: #",\s*schedule: "[^"]*""#, options: .regularExpression) else {
                return line
            }
            return line.contains("name: \(flow),") ? line.replacingCharacters(in: range, with: #", schedule: "@every 1s""#) : line.replacingCharacters(in: range, with: "")
        }
        try Data(lines.joined(separator: "\n").utf8).write(to: config)
    }

    /// Polls until every record is in the target table or in the sender's quarantine, and
    /// every records bundle of the lane is delivered (its receipt came back).
    /// - Returns: how many records the sender quarantined.
    /// - Throws: `FerryError(.benchmark)` when a node exits, or when nothing moves for a minute.
    static func waitUntilDelivered(_ options: Options, topology: Topology, processes: [NodeProcess]) throws -> Int {
        guard let path = topology.system(named: "approval")?.options["path"], let senderNode = topology.node(named: "extranet-gw") else {
            throw FerryError(.benchmark, "the demo topology has no approval system or extranet-gw node")
        }
        let target = try SQLiteSystemFile(path: URL(fileURLWithPath: try path.string("path"), relativeTo: topology.baseDirectory))
        // A run that stops moving fails within a minute, naming the logs, rather than at
        // a deadline sized for the slowest machine. Moving means records applied at the
        // target, or the sender's queue changing (a first read enqueues long before any
        // bundle leaves).
        var (progress, lastChange, applied) = ("", Date(), 0)
        var sender: NodeStore?
        var nextCount = Date.distantPast
        while Date().timeIntervalSince(lastChange) < 60 {
            for process in processes where !process.isRunning {
                throw FerryError(.benchmark, "node \(process.node) exited during the run", hint: "see \(process.log.path)")
            }
            // Opened once the node has made it; until it has migrated it, nothing is queued.
            if sender == nil { sender = try? NodeStore(readingNode: senderNode, topology: topology) }
            let status = try? sender?.read { tx in try tx.queueStatus() }
            let (lanes, quarantined) = (status?.outbound ?? [], status?.quarantined ?? 0)
            let delivered = lanes.allSatisfy({ $0.pending == 0 && $0.undelivered == 0 }) && lanes.contains(where: { $0.delivered > 0 })
            // count(*) walks the target's whole key index: about 45 ms at 3M rows. Ten times
            // a second, that took up to half a core from the two nodes being measured, more
            // as the table grew. The count waits 20 times what it last took (at most 5% of a
            // core), but never more than a second, by which the end can be seen late.
            if Date() >= nextCount {
                var cost = Stopwatch()
                applied = try target.rowCount("sqsp")
                nextCount = Date().addingTimeInterval(min(1, max(0.1, 20 * cost.lap())))
            }
            let state = "\(applied) \(quarantined) " + lanes.map { "\($0.pending)/\($0.undelivered)/\($0.delivered)" }.joined(separator: " ")
            if state != progress { (progress, lastChange) = (state, Date()) }
            if applied + quarantined >= options.records, delivered {
                return quarantined
            }
            Thread.sleep(forTimeInterval: 0.1)
        }
        throw FerryError(.benchmark, "the hop stopped moving: \(applied) of \(options.records) records applied, nothing changed for 60 s",
            hint: "see the nodes' logs in \(options.directory.path)")
    }
}

extension FerryError.Code {
    /// A benchmark could not run to its end.
    public static let benchmark: Self = "benchmark"
}
