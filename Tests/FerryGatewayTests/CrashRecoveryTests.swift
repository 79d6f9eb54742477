import Foundation
import GRDB
import Logging
import Testing
import FerryCore
import FerryAudit
import FerryQueue
@testable import FerryGateway

/// kill -9 a real `ferry` process at arbitrary moments of a sync or a receive, then run it
/// again: nothing is lost, nothing is applied twice, and every audit chain still verifies.
@Suite(.serialized) struct CrashRecoveryTests {
    let directory = DemoTests.temporary("crash")
    let records = 3000

    /// The `ferry` binary SwiftPM built beside the test bundle.
    static var ferry: URL {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("ferry")
    }

    init() throws {
        _ = try Scaffold.create(in: directory)
        var data = DemoData(seed: 99)
        let portal = try DatabaseQueue(path: directory.appendingPathComponent("data/portal.db").path)
        try portal.write { db in
            for index in 0..<records {
                let row = data.application(index: index, bad: false, base: Date(timeIntervalSince1970: 1_795_000_000)).row
                let columns = row.keys.sorted()
                try db.execute(
                    sql: "INSERT INTO applications(\(columns.joined(separator: ","))) VALUES (\(columns.map { _ in "?" }.joined(separator: ",")))",
                    arguments: StatementArguments(columns.map { row[$0] }))
            }
        }
    }

    /// Runs `ferry ARGS`, killing it with SIGKILL after `delay` seconds if still running.
    /// Returns true if it finished by itself.
    @discardableResult
    func run(_ arguments: [String], killAfter delay: Double? = nil) throws -> Bool {
        let process = Process()
        process.executableURL = Self.ferry
        process.arguments = arguments + ["--config", directory.appendingPathComponent("ferry.yaml").path]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        if let delay {
            let deadline = Date().addingTimeInterval(delay)
            while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.002) }
            if process.isRunning {
                kill(process.processIdentifier, SIGKILL)
                process.waitUntilExit()
                return false
            }
        }
        process.waitUntilExit()
        return true
    }

    func count(_ sql: String, in database: String) throws -> Int {
        try DatabaseQueue(path: directory.appendingPathComponent(database).path).read { db in try Int.fetchOne(db, sql: sql) ?? 0 }
    }

    @Test func killedSyncsAndReceivesLoseNothingAndApplyNothingTwice() throws {
        #expect(FileManager.default.isExecutableFile(atPath: Self.ferry.path), "ferry binary at \(Self.ferry.path)")
        var generator = SystemRandomNumberGenerator()
        var killed = 0
        // Sync, killed at random moments until one run completes on its own.
        for attempt in 0..<12 {
            let finished = try run(["sync", "applications-in", "--node", "extranet-gw"],
                killAfter: attempt < 11 ? Double.random(in: 0.05...0.8, using: &generator) : nil)
            if finished { break }
            killed += 1
        }
        // Receive, killed the same way, then once more to completion.
        for attempt in 0..<6 {
            if try run(["receive", "--node", "jinhong-gw"], killAfter: attempt < 5 ? Double.random(in: 0.05...0.6, using: &generator) : nil) {
                break
            }
            killed += 1
        }
        try run(["receive", "--node", "jinhong-gw"])
        try run(["receive", "--node", "extranet-gw"])
        #expect(killed > 0, "no run was interrupted; the test proved nothing")

        // Every record exactly once in the outbox and in the sink, equal to its source.
        #expect(try count("SELECT count(*) FROM outbox", in: "state/extranet-gw.db") == records)
        #expect(try count("SELECT count(DISTINCT record_key) FROM outbox", in: "state/extranet-gw.db") == records)
        #expect(try count("SELECT count(*) FROM sqsp", in: "data/approval.db") == records)
        let deployment = try Deployment.load(directory.appendingPathComponent("ferry.yaml").path)
        let check = try FlowCheck(deployment: deployment).compare(try #require(deployment.topology.flow(named: "applications-in")))
        #expect(check.matched == records)
        #expect(check.mismatches == 0)
        // Each bundle was received once, and every one was receipted back.
        #expect(try count("SELECT count(*) FROM bundles_out WHERE kind = 'records' AND state != 'delivered'", in: "state/extranet-gw.db") == 0)
        for node in ["extranet-gw", "jinhong-gw"] {
            let store = try NodeStore(path: directory.appendingPathComponent("state/\(node).db"), migrations: [AuditLog.register])
            #expect(try store.read { db in try AuditLog.verify(db) }.entries > 0)
        }
    }
}
