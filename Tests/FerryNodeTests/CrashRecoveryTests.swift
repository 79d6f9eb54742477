import Foundation
import GRDB
import Logging
import Testing
import FerryCore
import FerryAudit
import FerryQueue
import FerryTestSupport
@testable import FerryNode
@testable import FerryOps
@testable import FerryBench

/// kill -9 a real `ferry` process at random moments of every stage of a two-hop exchange
/// (pull, pack, ship, receive, apply, receipts, and back), then let it finish: the sinks
/// equal their sources exactly and every audit chain verifies. On both store engines:
/// SQLite files, and PostgreSQL schemas. FERRY_CRASH_TRIALS sets how many trials run on
/// SQLite (20 by default); PostgreSQL runs a third as many, each process there paying for
/// its connection.
@Suite(.serialized) struct CrashRecoveryTests {
    static let trials = ProcessInfo.processInfo.environment["FERRY_CRASH_TRIALS"].flatMap(Int.init) ?? 20
    let records = 400

    /// The `ferry` binary SwiftPM built beside the test bundle.
    static var ferry: URL {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("ferry")
    }

    struct Trial {
        let directory: URL
        var generator: DemoData
        var killed = 0

        /// Starts `ferry ARGS` against this trial's topology. Its output is discarded, its
        /// errors kept in `stderr.log`: a crash's report (the Swift runtime's backtrace)
        /// would otherwise be lost with the process.
        func launch(_ arguments: [String]) throws -> Process {
            let process = Process()
            process.executableURL = CrashRecoveryTests.ferry
            process.arguments = arguments + ["--config", directory.appendingPathComponent("ferry.yaml").path]
            process.standardOutput = FileHandle.nullDevice
            let log = directory.appendingPathComponent("stderr.log")
            if !FileManager.default.fileExists(atPath: log.path) { _ = FileManager.default.createFile(atPath: log.path, contents: nil) }
            let errors = try FileHandle(forWritingTo: log)
            _ = try errors.seekToEnd()
            process.standardError = errors
            try process.run()
            return process
        }

        /// Runs `ferry ARGS` until it completes, SIGKILLing the first attempts at random moments.
        mutating func run(_ arguments: [String], kills: Int) throws {
            for attempt in 0...kills {
                let process = try launch(arguments)
                if attempt < kills {
                    let deadline = Date().addingTimeInterval(Double(generator.int(5..<400)) / 1000)
                    while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.002) }
                    if process.isRunning {
                        kill(process.processIdentifier, SIGKILL)
                        process.waitUntilExit()
                        expectNoCrash(process, arguments)
                        killed += 1
                        continue
                    }
                }
                process.waitUntilExit()
                expectNoCrash(process, arguments)
                if process.terminationStatus == 0 { return }
            }
            // A run that was never killed must succeed.
            let process = try launch(arguments)
            process.waitUntilExit()
            expectNoCrash(process, arguments)
            #expect(process.terminationStatus == 0, "ferry \(arguments.joined(separator: " ")) failed after recovery")
        }

        /// A run may be killed, or fail and be run again, but never die of a signal of its
        /// own: what a killed run left behind (a torn file, a half-written transaction) is
        /// input like any other, and no input may crash Ferry. The retry would hide it.
        func expectNoCrash(_ process: Process, _ arguments: [String]) {
            guard process.terminationReason == .uncaughtSignal, process.terminationStatus != SIGKILL else { return }
            let log = (try? String(contentsOf: directory.appendingPathComponent("stderr.log"), encoding: .utf8)) ?? ""
            Issue.record("ferry \(arguments.joined(separator: " ")) died of signal \(process.terminationStatus) in \(directory.path):\n\(log.suffix(6000))")
        }
    }

    func count(_ sql: String, _ database: String, in directory: URL) throws -> Int {
        try DatabaseQueue(path: directory.appendingPathComponent(database).path).read { db in try Int.fetchOne(db, sql: sql) ?? 0 }
    }

    /// Rows `sql` counts in node `node`'s store, whichever engine holds it.
    func count(_ sql: String, node: String, in directory: URL) throws -> Int {
        let topology = try Deployment.load(directory.appendingPathComponent("ferry.yaml").path).topology
        guard let config = topology.node(named: node) else { return -1 }
        return try NodeStore(readingNode: config, topology: topology).count(sql)
    }

    @Test(arguments: StoreKind.allCases) func killedAtRandomMomentsNothingIsLostOrDoubled(_ kind: StoreKind) throws {
        #expect(FileManager.default.isExecutableFile(atPath: Self.ferry.path), "ferry binary at \(Self.ferry.path)")
        var totalKills = 0
        let trials = kind == .sqlite ? Self.trials : max(3, Self.trials / 3)
        for trial in 0..<trials {
            let directory = DemoTests.temporary("crash-\(trial)")
            _ = try Scaffold.create(in: directory)
            if kind == .postgres {
                try NodeStores.usePostgres(try StoreKind.postgresURL("crash\(trial)"), in: directory.appendingPathComponent("ferry.yaml"))
            }
            try DemoTests.seedPortal(directory, count: records, seed: UInt64(1000 + trial))
            var run = Trial(directory: directory, generator: DemoData(seed: UInt64(trial)))
            // Hop 1: applications out, in, and receipts back.
            try run.run(["sync", "applications-in", "--node", "extranet-gw"], kills: 2)
            try run.run(["receive", "--node", "jinhong-gw"], kills: 2)
            try run.run(["receive", "--node", "extranet-gw"], kills: 1)
            // The approval office records progress for every application it holds.
            try DatabaseQueue(path: directory.appendingPathComponent("data/approval.db").path).write { db in
                try db.execute(sql: "INSERT INTO hzzt(SQBH, ZT, HZHM, GXSJ) SELECT SQBH, '3', 'E' || substr('0000000' || rowid, -8, 8), '20261124120000' FROM sqsp")
            }
            // Hop 2: progress back to the extranet.
            try run.run(["sync", "progress-out", "--node", "jinhong-gw"], kills: 2)
            try run.run(["receive", "--node", "extranet-gw"], kills: 2)
            try run.run(["receive", "--node", "jinhong-gw"], kills: 1)
            totalKills += run.killed

            #expect(try count("SELECT count(*) FROM sqsp", "data/approval.db", in: directory) == records, "trial \(trial)")
            #expect(try count("SELECT count(*) FROM progress", "data/portal.db", in: directory) == records, "trial \(trial)")
            #expect(try count("SELECT count(*) FROM outbox", node: "extranet-gw", in: directory) == records, "trial \(trial): records enqueued twice")
            #expect(try count("SELECT count(*) FROM inbox WHERE state = 'applied'", node: "jinhong-gw", in: directory) == records,
                "trial \(trial): records applied twice or not at all")
            let deployment = try Deployment.load(directory.appendingPathComponent("ferry.yaml").path)
            for flow in deployment.topology.flows {
                var checker = FlowCheck(deployment: deployment, scratch: directory.appendingPathComponent("state/check.db"))
                let check = try #require(try checker.compare(flow).first)
                #expect(check.matched == records && check.mismatches == 0, "trial \(trial) \(flow.name): \(check)")
            }
            for node in ["extranet-gw", "jinhong-gw"] {
                #expect(try AuditTools.verify(try Deployment.load(directory.appendingPathComponent("ferry.yaml").path), node: node).entries > 0, "trial \(trial) \(node)")
            }
            try? FileManager.default.removeItem(at: directory)
        }
        #expect(totalKills >= trials, "too few runs were interrupted (\(totalKills)) to prove anything")
    }
}
