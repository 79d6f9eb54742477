import Foundation
import GRDB
import Logging
import Testing
import FerryCore
import FerryAudit
import FerryQueue
import FerrySeal
@testable import FerryGateway

/// Transfer areas that are full, missing or lossy: nothing is lost, and the queue resumes.
@Suite struct TransferAreaTests {
    let directory = DemoTests.temporary("area")

    /// A two-zone deployment with `channel` as its only channel line and `records` applications.
    func deployment(channel: String, records: Int) throws -> (Node, Node) {
        _ = try Scaffold.create(in: directory)
        let config = directory.appendingPathComponent("ferry.yaml")
        var text = try String(contentsOf: config, encoding: .utf8)
        text = text.replacingOccurrences(
            of: "  - { from: extranet, to: jinhong, via: { dir: gap/extranet-to-jinhong }, return: gap/jinhong-to-extranet }", with: channel)
        // One-way tests carry no return flow.
        if !channel.contains("return:") {
            text = text.replacingOccurrences(
                of: "  - { name: progress-out,    entity: PassportStatus,    from: approval, to: [portal],   schedule: \"*/5 * * * *\" }\n",
                with: "")
        }
        try Data(text.utf8).write(to: config)
        try DemoTests.seedPortal(directory, count: records, seed: 5)
        let loaded = try Deployment.load(config.path)
        return (try Node(deployment: loaded, name: "extranet-gw", logger: Logger(label: "test")),
            try Node(deployment: loaded, name: "jinhong-gw", logger: Logger(label: "test")))
    }

    func sinkCount() throws -> Int {
        try DatabaseQueue(path: directory.appendingPathComponent("data/approval.db").path).read { db in
            try Int.fetchOne(db, sql: "SELECT count(*) FROM sqsp") ?? 0
        }
    }

    @Test func aFullAreaHoldsBundlesAndTheQueueResumes() throws {
        let (extranet, jinhong) = try deployment(
            channel: "  - { from: extranet, to: jinhong, via: { dir: gap/extranet-to-jinhong }, return: gap/jinhong-to-extranet, bundle_records: 10, max_files: 2 }",
            records: 45)
        let first = try extranet.sync(flow: "applications-in")
        #expect(first.bundles.count == 2)
        #expect(first.held.count == 1)
        #expect(first.held[0].contains("holds 2 bundles"))
        // The far side takes what is there; once the backoff is over, a run ships the rest.
        _ = try jinhong.receive()
        #expect(try extranet.pack().shipped.isEmpty, "a held lane was retried before its backoff")
        for hour in 1...4 {
            _ = try extranet.pack(now: Date().addingTimeInterval(Double(hour) * 3600))
            _ = try jinhong.receive()
        }
        #expect(try sinkCount() == 45)
        let holds = try extranet.store.read { db in try AuditLog.entries(db, kind: "held") }.count
        let resumes = try extranet.store.read { db in try AuditLog.entries(db, kind: "resumed") }.count
        #expect(holds >= 1 && holds == resumes, "each hold is audited once when it starts and once when it ends")
    }

    @Test func aRemovedAreaHoldsUntilItIsBack() throws {
        let (extranet, jinhong) = try deployment(
            channel: "  - { from: extranet, to: jinhong, via: { dir: gap/extranet-to-jinhong }, return: gap/jinhong-to-extranet }",
            records: 20)
        let area = directory.appendingPathComponent("gap/extranet-to-jinhong")
        try FileManager.default.removeItem(at: area)
        let sync = try extranet.sync(flow: "applications-in")
        #expect(sync.bundles.isEmpty)
        #expect(sync.held.first?.contains("is missing") == true)
        #expect(!FileManager.default.fileExists(atPath: area.path), "ferry created an unmounted transfer area")
        let status = try extranet.store.read { db in try QueueStatus.read(db) }
        #expect(status.outbound.first?.undelivered == 1)
        try FileManager.default.createDirectory(at: area, withIntermediateDirectories: true)
        #expect(try extranet.pack(now: Date().addingTimeInterval(3600)).shipped.count == 1)
        #expect(try jinhong.receive().applied == 20)
    }

    @Test func aOneWayCarouselDeliversEverythingOnceDespiteLosses() throws {
        let (extranet, jinhong) = try deployment(
            channel: "  - { from: extranet, to: jinhong, via: { dir: gap/extranet-to-jinhong }, bundle_records: 5, carousel: 5 }",
            records: 100)
        let area = directory.appendingPathComponent("gap/extranet-to-jinhong")
        // A seeded loss pattern, so the test is the same on every run.
        var losses = DemoData(seed: 30)
        var lost = 0
        var dropped = 0
        // Each round: the sender drops (or re-drops) bundles, the link loses 30% of the
        // files in transit, the receiver takes the rest.
        for round in 0..<7 {
            if round == 0 { dropped += try extranet.sync(flow: "applications-in").bundles.count } else { dropped += try extranet.pack().shipped.count }
            // File names are content hashes, different every run: order by sequence so the
            // seeded pattern hits the same bundles every time.
            let files = try FileManager.default.contentsOfDirectory(atPath: area.path).filter { $0.hasSuffix(".bundle") }
                .map { area.appendingPathComponent($0) }
                .sorted { try BundleReader.inspect($0).header.sequence < BundleReader.inspect($1).header.sequence }
            for file in files where losses.int(0..<10) < 3 {
                try FileManager.default.removeItem(at: file)
                lost += 1
            }
            _ = try jinhong.receive()
        }
        #expect(lost > 0)
        #expect(dropped == 20 * 5, "every bundle is dropped exactly carousel times")
        #expect(Double(lost) / Double(dropped) > 0.2)
        #expect(try sinkCount() == 100)
        let applied = try jinhong.store.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM inbox WHERE state = 'applied'") }
        #expect(applied == 100, "each record applied exactly once")
        let states = try extranet.store.read { db in try String.fetchAll(db, sql: "SELECT DISTINCT state FROM bundles_out") }
        #expect(states == ["broadcast"])
    }

    @Test func aBundleLostOnATwoWayChannelIsAskedForAgainAndArrives() throws {
        let (extranet, jinhong) = try deployment(
            channel: "  - { from: extranet, to: jinhong, via: { dir: gap/extranet-to-jinhong }, return: gap/jinhong-to-extranet, bundle_records: 10, resend_after: 0 }",
            records: 30)
        let sync = try extranet.sync(flow: "applications-in")
        #expect(sync.bundles.count == 3)
        let lost = try #require(sync.bundles.first { $0.sequence == 2 })
        try FileManager.default.removeItem(atPath: lost.file)

        let first = try jinhong.receive()
        #expect(first.applied == 20)
        #expect(first.missing == first.missing.filter { $0.contains("bundle 2 missing") })
        #expect(first.resendRequests == ["extranet→jinhong"])
        let back = try extranet.receive()
        #expect(back.resent == 1)
        let second = try jinhong.receive()
        #expect(second.applied == 10)
        #expect(second.missing.isEmpty)
        #expect(try sinkCount() == 30)
        #expect(try jinhong.store.read { db in try BundleLedger.watermark(db, lane: "extranet→jinhong") } == 3)
        #expect(try extranet.store.read { db in try AuditLog.entries(db, kind: "resent") }.count == 1)
    }
}
