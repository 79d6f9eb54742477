import ArgumentParser
import Foundation
import Logging
import FerryBench

extension Bench {
    struct E2EBench: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "e2e",
            abstract: "Records/s through one whole hop: two `ferry run` processes, a directory gap, receipts back.",
            discussion: """
                Generates official-travel applications in the demo's portal (SQLite), then runs its \
                first hop (applications-to-jinhong) with the sending and receiving nodes as two \
                concurrent `ferry run` processes. The clock stops when the last record is applied \
                in the approval system and its receipt is delivered back. Everything is on:
                mapping both ways, validation, seal and open, dedup, version guard, audit with its \
                record index, digest index, receipts. Per-stage figures come from the nodes' audit \
                logs (whole seconds). The peer moves the same rows as a file: sqlite3 CSV export, \
                a copy, sqlite3 .import into a table with a primary key.

                With --store, both nodes keep their stores on that PostgreSQL server (a schema \
                each); with --workers K, each node runs as K `ferry run` processes sharing its \
                jobs (a flow's read, a lane's intake, applying, packing) through claims in the store.

                Example:
                  ferry bench e2e --records 500000
                  ferry bench e2e --records 100000 --store 'postgres://ferry@127.0.0.1:5432/ferry?password_env=PGPASSWORD' --workers 3
                """)

        @Option(name: .long, help: "Records to generate and move.")
        var records = 100_000

        @Option(name: .long, help: "Scratch directory (a demo directory; emptied first).")
        var dir: String = FileManager.default.temporaryDirectory.appendingPathComponent("ferry-bench-e2e").path

        @Option(name: .long, help: "Seconds between each node's looks at its inbound transfer area.")
        var poll = 0.2

        @Option(name: .long, help: "A postgres:// URL to keep both nodes' stores on instead of SQLite files.")
        var store: String?

        @Option(name: .long, help: "ferry run processes per node (1 to 8).")
        var workers = 1

        func run() throws {
            let executable = URL(fileURLWithPath: ProcessInfo.processInfo.arguments[0]).resolvingSymlinksInPath()
            var options = EndToEndBenchmark.Options(directory: URL(fileURLWithPath: dir), records: records, executable: executable)
            options.poll = poll
            guard (1...8).contains(workers) else { throw ValidationError("--workers takes 1 to 8") }
            (options.store, options.workers) = (store, workers)
            let r = try reporting { try EndToEndBenchmark.run(options, logger: Logger(label: "ferry.bench")) }
            func f(_ v: Double) -> String { String(format: "%.0f", v) }
            print("\(r.records) records, one hop (applications-to-jinhong), \(r.workers) ferry run process\(r.workers == 1 ? "" : "es") per node, \(r.store) stores")
            print("  end to end  \(f(r.perSecond)) records/s (\(String(format: "%.1f", r.seconds)) s), \(String(format: "%.1f", Double(r.gapBytes) / 1e6)) MB through the gap")
            for stage in r.stages {
                print("  \(stage.name.padding(toLength: 15, withPad: " ", startingAt: 0)) \(f(stage.perSecond)) records/s (\(stage.records) records over \(f(stage.seconds)) s)")
            }
            print("  peak RSS    sender \(String(format: "%.1f", r.senderPeakMB)) MB, receiver \(String(format: "%.1f", r.receiverPeakMB)) MB"
                + (r.workers > 1 ? " (the largest of a node's workers)" : ""))
            if r.quarantined > 0 {
                print("  quarantined \(r.quarantined) records the mapping refused (ferry queue list --state quarantined --node extranet-gw)")
            }
            if let peer = r.peerSeconds {
                print("  peer        sqlite3 CSV export, copy, sqlite3 .import: \(String(format: "%.2f", peer)) s, \(f(Double(r.records) / max(peer, 0.001))) records/s;"
                    + " Ferry takes \(String(format: "%.1f", r.seconds / max(peer, 0.001)))× as long")
            } else {
                print("  peer        not measured: no sqlite3 on the PATH (apt-get install sqlite3)")
            }
        }
    }
}
