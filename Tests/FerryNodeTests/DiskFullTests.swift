import Foundation
import GRDB
import Logging
import Testing
import FerryCore
import FerryAudit
import FerryQueue
@testable import FerryNode
@testable import FerryOps

/// A node whose own disk fills up stops cleanly, keeps a consistent store, and resumes
/// once there is room. Needs root to mount a small tmpfs (sessions and CI run as root).
@Suite(.serialized, .enabled(if: getuid() == 0, "mounting a small tmpfs needs root"))
struct DiskFullTests {
    func mount(_ arguments: [String]) -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["mount"] + arguments
        try? process.run()
        process.waitUntilExit()
        return process.terminationStatus
    }

    @Test func aFullStoreStopsIntakeAndResumesWithoutLossOrCorruption() throws {
        let directory = DemoTests.temporary("diskfull")
        _ = try Scaffold.create(in: directory)
        let state = directory.appendingPathComponent("state")
        try FileManager.default.createDirectory(at: state, withIntermediateDirectories: true)
        guard mount(["-t", "tmpfs", "-o", "size=600k", "tmpfs", state.path]) == 0 else {
            Issue.record("could not mount a tmpfs")
            return
        }
        defer { _ = Process.launchedUmount(state) }
        let records = 1500
        try DemoTests.seedPortal(directory, count: records, seed: 77)
        let deployment = try Deployment.load(directory.appendingPathComponent("ferry.yaml").path)
        let extranet = try Node(deployment: deployment, name: "extranet-gw", logger: Logger(label: "test"))
        do {
            _ = try extranet.sync(flow: "applications-in")
            Issue.record("1500 records fit in 600 KB; the test proves nothing")
        } catch let error as FerryError {
            #expect(error.code == .store || error.code == .io, "\(error)")
            #expect(error.message.contains("disk") || error.message.contains("space") || error.message.contains("full"), "\(error)")
        }
        // Room again: the same node resumes where it stopped.
        #expect(mount(["-o", "remount,size=64m", state.path]) == 0)
        _ = try extranet.sync(flow: "applications-in")
        let jinhong = try Node(deployment: deployment, name: "jinhong-gw", logger: Logger(label: "test"))
        _ = try jinhong.receive()
        let sink = try DatabaseQueue(path: directory.appendingPathComponent("data/approval.db").path)
        #expect(try sink.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM sqsp") } == records)
        #expect(try extranet.store.database.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM outbox") } == records)
        #expect(try extranet.store.database.read { db in try String.fetchOne(db, sql: "PRAGMA integrity_check") } == "ok")
        #expect(try extranet.verifyAudit().entries > 0)
    }
}

extension Process {
    /// Unmounts `url`, lazily, so an open file does not keep the test's tmpfs alive.
    static func launchedUmount(_ url: URL) -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["umount", "-l", url.path]
        try? process.run()
        process.waitUntilExit()
        return process.terminationStatus
    }
}
