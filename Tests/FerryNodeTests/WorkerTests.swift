import Foundation
import GRDB
import Testing
import FerryTestSupport
import FerryCore
import FerryAudit
import FerryQueue
@testable import FerryNode
@testable import FerryOps
@testable import FerryBench

/// Several `ferry run` workers per node on one PostgreSQL store, as a deployment scales out:
/// they share the jobs through claims in the store, a worker SIGKILLed while it holds a
/// job gives it back, and every record still lands exactly once with every audit chain
/// intact.
@Suite(.serialized) struct WorkerTests {
    static let records = 3000

    /// The scaffold on PostgreSQL stores, bundles of 250, flows every second, claims of 3 s.
    static func deployment() throws -> URL {
        let directory = DemoTests.temporary("workers")
        _ = try Scaffold.create(in: directory)
        let config = directory.appendingPathComponent("ferry.yaml")
        try NodeStores.usePostgres(try StoreKind.postgresURL("workers"), in: config)
        var text = try String(contentsOf: config, encoding: .utf8).replacingOccurrences(of: "\"*/5 * * * *\"", with: "\"@every 1s\"")
        for node in ["extranet-gw", "jinhong-gw"] {
            text = text.replacingOccurrences(of: "key: keys/\(node).key }", with: "key: keys/\(node).key, lease_seconds: 3 }")
        }
        text = text.replacingOccurrences(of: "return: gap/jinhong-to-extranet }", with: "return: gap/jinhong-to-extranet, bundle_records: 250 }")
        try Data(text.utf8).write(to: config)
        try DemoTests.seedPortal(directory, count: records, seed: 21)
        return config
    }

    static func worker(_ node: String, config: URL) throws -> Process {
        let process = Process()
        process.executableURL = CrashRecoveryTests.ferry
        process.arguments = ["run", "--config", config.path, "--node", node, "--poll", "0.2", "--listen", "off"]
        (process.standardOutput, process.standardError) = (FileHandle.nullDevice, FileHandle.nullDevice)
        try process.run()
        return process
    }

    /// Node `node`'s store, read as an auditor does.
    static func store(_ node: String, config: URL) throws -> NodeStore {
        let topology = try Deployment.load(config.path).topology
        return try NodeStore(readingNode: try #require(topology.node(named: node)), topology: topology)
    }

    /// The worker process holding job `job` of a node's store now, if one of `workers` does.
    static func holder(of job: String, in store: NodeStore, among workers: [Process]) throws -> Process? {
        let leases = try store.read { tx in try tx.leases.held(now: Timestamp.format(Date())) }
        guard let holder = leases.first(where: { $0.name == job })?.holder else { return nil }
        let pid = holder.split(separator: ":").dropFirst().first.flatMap { Int32($0) }
        return workers.first { $0.processIdentifier == pid && $0.isRunning }
    }

    @Test func threeWorkersPerNodeShareTheWorkAndSurviveOneKilledMidJob() throws {
        let config = try Self.deployment()
        let senders = try (0..<3).map { _ in try Self.worker("extranet-gw", config: config) }
        let receivers = try (0..<3).map { _ in try Self.worker("jinhong-gw", config: config) }
        defer { for process in senders + receivers where process.isRunning { kill(process.processIdentifier, SIGKILL) } }
        let (extranet, jinhong) = (try Self.store("extranet-gw", config: config), try Self.store("jinhong-gw", config: config))
        let approval = try DaemonTests.shared(config.deletingLastPathComponent().appendingPathComponent("data/approval.db"))
        func applied() throws -> Int { try approval.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM sqsp") ?? 0 } }

        // Kill the sender's worker that is reading the flow while it reads, and the
        // receiver's worker that is applying while it applies.
        var killed: [String] = []
        let deadline = Date().addingTimeInterval(120)
        while Date() < deadline, killed.count < 2 {
            // Until the workers have made their stores, there is nothing to count.
            guard let enqueued = try? extranet.count("SELECT count(*) FROM outbox"), (try? jinhong.count("SELECT count(*) FROM inbox")) != nil else {
                Thread.sleep(forTimeInterval: 0.05)
                continue
            }
            if !killed.contains("flow"), (1..<Self.records).contains(enqueued),
                let worker = try Self.holder(of: "flow:applications-in", in: extranet, among: senders)
            {
                kill(worker.processIdentifier, SIGKILL)
                killed.append("flow")
            }
            if !killed.contains("apply"), (1..<Self.records).contains(try applied()),
                let worker = try Self.holder(of: "apply", in: jinhong, among: receivers)
            {
                kill(worker.processIdentifier, SIGKILL)
                killed.append("apply")
            }
            Thread.sleep(forTimeInterval: 0.01)
        }
        #expect(killed.sorted() == ["apply", "flow"], "a worker was not caught holding its job mid-way: \(killed)")

        // The surviving workers finish: every record applied, every receipt delivered.
        while Date() < deadline {
            let undelivered = try extranet.count("SELECT count(*) FROM bundles_out WHERE kind = 'records' AND state != 'delivered'")
            if try applied() == Self.records, try extranet.count("SELECT count(*) FROM outbox") == Self.records, undelivered == 0 { break }
            Thread.sleep(forTimeInterval: 0.2)
        }
        #expect(try applied() == Self.records)
        #expect(try extranet.count("SELECT count(*) FROM outbox") == Self.records, "records enqueued twice or not at all")
        #expect(try jinhong.count("SELECT count(*) FROM inbox WHERE state = 'applied'") == Self.records, "records applied twice or not at all")
        #expect(try jinhong.count("SELECT count(DISTINCT record_key) FROM inbox") == Self.records)
        #expect(try extranet.count("SELECT count(*) FROM bundles_out WHERE kind = 'records' AND state != 'delivered'") == 0)
        // Bundles of 250; a read cut short by the kill may have sealed one part-filled bundle more.
        let bundles = try jinhong.count("SELECT count(*) FROM bundles_in WHERE kind = 'records'")
        #expect(bundles >= Self.records / 250 && bundles <= Self.records / 250 + 2, "\(bundles) bundles")

        for process in senders + receivers where process.isRunning {
            kill(process.processIdentifier, SIGTERM)
            process.waitUntilExit()
        }
        let deployment = try Deployment.load(config.path)
        for node in ["extranet-gw", "jinhong-gw"] {
            #expect(try AuditTools.verify(deployment, node: node).entries > 0, "\(node)'s audit chain")
        }
        var checker = FlowCheck(deployment: deployment, scratch: config.deletingLastPathComponent().appendingPathComponent("state/check.db"))
        let flow = try #require(deployment.topology.flows.first { $0.name == "applications-in" })
        let check = try #require(try checker.compare(flow).first)
        #expect(check.matched == Self.records && check.mismatches == 0, "\(check)")
    }
}
