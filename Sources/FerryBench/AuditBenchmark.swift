public import Foundation
import FerryCore
import FerryAudit
import FerrySeal
public import Logging
import FerryNode
import FerryOps

/// `ferry bench audit`: what the audit log costs end to end. The three-network demo runs
/// with the log on, and with a log that only counts its events; records/s are the records
/// moved (every hop, both directions) over the hops' time, best of `rounds` each.
public enum AuditBenchmark {
    public struct Figures: Sendable {
        public var records: Int
        public var moved: Int
        public var auditedPerSecond: Double
        public var countedPerSecond: Double
        public var entries: Int
        public var indexedRecords: Int
        public var storeBytes: Int64
        public var peakRSSMB: Double

        /// How much slower the audited run is, in percent of the counting run.
        public var overheadPercent: Double { (1 - auditedPerSecond / countedPerSecond) * 100 }
    }

    public static func run(records: Int, rounds: Int, directory: URL, logger: Logger) throws -> Figures {
        var best = (audited: 0.0, counted: 0.0)
        var figures = Figures(records: records, moved: 0, auditedPerSecond: 0, countedPerSecond: 0, entries: 0, indexedRecords: 0, storeBytes: 0, peakRSSMB: 0)
        for round in 0..<max(1, rounds) {
            // Alternate, so drift in the machine's speed touches both alike.
            for counting in round % 2 == 0 ? [true, false] : [false, true] {
                var options = Demo.Options(directory: directory.appendingPathComponent(counting ? "counted" : "audited"), records: records)
                options.badEvery = 0
                options.reconcile = false
                options.auditCounter = counting ? AuditCounter() : nil
                let report = try Demo(options: options, logger: logger).run()
                let moved = report.hops.reduce(0) { $0 + $1.applied }
                let seconds = report.hops.reduce(0) { $0 + $1.seconds }
                let rate = Double(moved) / seconds
                figures.moved = moved
                if counting {
                    best.counted = max(best.counted, rate)
                } else {
                    best.audited = max(best.audited, rate)
                    figures.entries = report.audit.reduce(0) { $0 + $1.entries }
                    figures.storeBytes = report.audit.reduce(0) { total, node in
                        total + ((try? FileManager.default.attributesOfItem(atPath: node.store)[.size] as? NSNumber)?.int64Value ?? 0)
                    }
                    figures.indexedRecords = try report.audit.reduce(0) { total, node in
                        total + (try Node(deployment: Deployment.load(options.directory.appendingPathComponent("ferry.yaml").path), name: node.node,
                            logger: logger).verifyAudit().indexedRecords)
                    }
                }
            }
        }
        (figures.auditedPerSecond, figures.countedPerSecond) = (best.audited, best.counted)
        figures.peakRSSMB = SealBenchmark.peakRSS()
        return figures
    }
}
