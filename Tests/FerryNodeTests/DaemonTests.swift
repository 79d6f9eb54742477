import Foundation
import GRDB
import Logging
import Testing
import FerryTestSupport
import FerryCore
import FerryAudit
import FerryQueue
import FerryTransport
@testable import FerryNode
@testable import FerryOps
@testable import FerryBench

/// `ferry run` as operators run it: two node processes on schedules deliver what the
/// portal holds, and SIGTERM stops each one cleanly.
@Suite(.serialized) struct DaemonTests {
    @Test func twoDaemonsDeliverOnTheirSchedulesAndStopOnSIGTERM() throws {
        let directory = DemoTests.temporary("daemon")
        _ = try Scaffold.create(in: directory)
        let config = directory.appendingPathComponent("ferry.yaml")
        let text = try String(contentsOf: config, encoding: .utf8).replacingOccurrences(of: "\"*/5 * * * *\"", with: "\"@every 1s\"")
        try Data(text.utf8).write(to: config)
        try DemoTests.seedPortal(directory, count: 50, seed: 3)

        let port = TestPort.free()
        func start(_ node: String) throws -> Process {
            let process = Process()
            process.executableURL = CrashRecoveryTests.ferry
            process.arguments = ["run", "--config", config.path, "--node", node, "--poll", "0.5", "--log-format", "json",
                "--listen", node == "extranet-gw" ? "127.0.0.1:\(port)" : "off"]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            return process
        }
        let extranet = try start("extranet-gw")
        let jinhong = try start("jinhong-gw")
        defer {
            for process in [extranet, jinhong] where process.isRunning { kill(process.processIdentifier, SIGKILL) }
        }
        let approval = try Self.shared(directory.appendingPathComponent("data/approval.db"))
        let deadline = Date().addingTimeInterval(30)
        var delivered = 0
        while Date() < deadline {
            delivered = try approval.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM sqsp") ?? 0 }
            if delivered == 50 { break }
            Thread.sleep(forTimeInterval: 0.2)
        }
        #expect(delivered == 50)

        // The running node answers on loopback: healthy, and counting what it did.
        #expect(try curl("http://127.0.0.1:\(port)/healthz") == "ok\n")
        let metrics = try curl("http://127.0.0.1:\(port)/metrics")
        // Every scheduled sync (each second here) reads the source's last five minutes again
        // (lookback: 5m), so "pulled" grows with each sync run before the metrics are read;
        // what was enqueued is each record once.
        #expect((Self.recordsTotal(metrics, stage: "pulled", flow: "applications-in") ?? 0) >= 50, "\(metrics)")
        #expect(Self.recordsTotal(metrics, stage: "enqueued", flow: "applications-in") == 50, "\(metrics)")
        #expect(metrics.contains("ferry_queue_pending_records"))
        // The chain was verified at start, and every metric the alert rules use is served;
        // bundle rejects count once one happens, and missing sequences once a lane brings one in.
        #expect(metrics.contains("ferry_audit_chain_ok 1"), "\(metrics)")
        for name in try OpsKitTests.ruleMetrics().subtracting(["ferry_bundle_rejects_total", "ferry_missing_sequences"]) {
            #expect(metrics.contains("\(name){") || metrics.contains("\(name) "), "\(name) is not served")
        }

        for process in [extranet, jinhong] {
            kill(process.processIdentifier, SIGTERM)
            let stop = Date().addingTimeInterval(15)
            while process.isRunning && Date() < stop { Thread.sleep(forTimeInterval: 0.05) }
            #expect(!process.isRunning, "a node ignored SIGTERM")
            if !process.isRunning {
                #expect(process.terminationReason == .exit && process.terminationStatus == 0, "a node did not exit cleanly")
            }
        }
        for node in ["extranet-gw", "jinhong-gw"] {
            #expect(try AuditTools.verify(try Deployment.load(config.path), node: node).entries > 0)
        }
    }

    /// The value of `ferry_records_total` for `stage` and `flow`, whichever order the labels
    /// come in; nil when the series is not served.
    static func recordsTotal(_ metrics: String, stage: String, flow: String) -> Int? {
        let labels = ["{stage=\"\(stage)\",flow=\"\(flow)\"} ", "{flow=\"\(flow)\",stage=\"\(stage)\"} "]
        for line in metrics.split(separator: "\n") {
            for label in labels where line.hasPrefix("ferry_records_total" + label) {
                return Double(line.dropFirst("ferry_records_total".count + label.count)).map { Int($0) }
            }
        }
        return nil
    }

    /// A node that only receives (no flow of its own is scheduled) keeps running and
    /// applies what arrives; it used to stop the moment it started.
    @Test func aNodeThatOnlyReceivesKeepsRunning() throws {
        let directory = DemoTests.temporary("daemon-receive-only")
        _ = try Scaffold.create(in: directory)
        let config = directory.appendingPathComponent("ferry.yaml")
        let text = try String(contentsOf: config, encoding: .utf8)
            .replacingOccurrences(of: #"to: [approval], schedule: "*/5 * * * *""#, with: #"to: [approval], schedule: "@every 1s""#)
            .replacingOccurrences(of: #"to: [portal],   schedule: "*/5 * * * *""#, with: "to: [portal]")
        try Data(text.utf8).write(to: config)
        try DemoTests.seedPortal(directory, count: 20, seed: 4)
        func start(_ node: String) throws -> Process {
            let process = Process()
            process.executableURL = CrashRecoveryTests.ferry
            process.arguments = ["run", "--config", config.path, "--node", node, "--poll", "0.3", "--listen", "off"]
            (process.standardOutput, process.standardError) = (FileHandle.nullDevice, FileHandle.nullDevice)
            try process.run()
            return process
        }
        let (extranet, jinhong) = (try start("extranet-gw"), try start("jinhong-gw"))
        defer {
            for process in [extranet, jinhong] where process.isRunning { kill(process.processIdentifier, SIGKILL) }
        }
        let approval = try Self.shared(directory.appendingPathComponent("data/approval.db"))
        let deadline = Date().addingTimeInterval(30)
        var delivered = 0
        while Date() < deadline, jinhong.isRunning {
            delivered = try approval.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM sqsp") ?? 0 }
            if delivered == 20 { break }
            Thread.sleep(forTimeInterval: 0.2)
        }
        #expect(jinhong.isRunning, "the receiving node stopped on its own")
        #expect(delivered == 20)
    }

    @Test func schedulesParseAndFireWhenExpected() throws {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "Asia/Shanghai")!
        let base = try #require(calendar.date(from: DateComponents(year: 2026, month: 11, day: 24, hour: 9, minute: 7, second: 30)))
        func next(_ text: String) throws -> DateComponents {
            guard case .success(let schedule) = Schedule.parse(text), let date = schedule.next(after: base, calendar: calendar) else {
                Issue.record("\(text) did not parse or never fires")
                return DateComponents()
            }
            return calendar.dateComponents([.month, .day, .hour, .minute], from: date)
        }
        #expect(try next("*/5 * * * *") == DateComponents(month: 11, day: 24, hour: 9, minute: 10))
        #expect(try next("30 2 * * *") == DateComponents(month: 11, day: 25, hour: 2, minute: 30))
        #expect(try next("0 8 * * 1-5") == DateComponents(month: 11, day: 25, hour: 8, minute: 0))  // 24 Nov 2026 is a Tuesday
        #expect(try next("0 0 1 1 *") == DateComponents(month: 1, day: 1, hour: 0, minute: 0))
        #expect(try next("15,45 9 * * *") == DateComponents(month: 11, day: 24, hour: 9, minute: 15))
        guard case .success(.every(let interval)) = Schedule.parse("@every 90s") else {
            Issue.record("@every did not parse")
            return
        }
        #expect(interval == 90)
        for bad in ["* * * *", "61 * * * *", "*/0 * * * *", "@every soon", "5-1 * * * *"] {
            if case .success = Schedule.parse(bad) { Issue.record("'\(bad)' was accepted") }
        }
    }

    @Test func bundlesPushedOverHTTPAreTakenByTheRunningNode() throws {
        let directory = DemoTests.temporary("http")
        _ = try Scaffold.create(in: directory)
        let port = TestPort.free()
        let config = directory.appendingPathComponent("ferry.yaml")
        let text = try String(contentsOf: config, encoding: .utf8).replacingOccurrences(
            of: "via: { dir: gap/extranet-to-jinhong }", with: "via: { dir: gap/extranet-to-jinhong, http: \"http://127.0.0.1:\(port)\" }")
        try Data(text.utf8).write(to: config)
        try DemoTests.seedPortal(directory, count: 20, seed: 9)

        let receiver = try startReceiver(config: config, port: port)
        defer { if receiver.isRunning { kill(receiver.processIdentifier, SIGKILL) } }
        var up = false
        for _ in 0..<100 where !up {
            up = (try? curl("http://127.0.0.1:\(port)/healthz")) == "ok\n"
            if !up { Thread.sleep(forTimeInterval: 0.1) }
        }
        #expect(up, "the receiving node did not come up")

        try syncAndAwaitDelivery(directory, config: config, endpoint: "http://127.0.0.1:\(port)")
        // A name that is not a content hash is refused outright.
        #expect(try curlStatus("http://127.0.0.1:\(port)/bundles/extranet/jinhong/evil.sh") == 400)
        kill(receiver.processIdentifier, SIGTERM)
        receiver.waitUntilExit()
        #expect(receiver.terminationStatus == 0)
    }

    @Test func bundlesPushedOverMutualTLSAreTakenAndStrangersAreTurnedAway() throws {
        let directory = DemoTests.temporary("mtls")
        _ = try Scaffold.create(in: directory)
        let pki = try TestPKI(directory.appendingPathComponent("pki"), servers: ["jinhong-gw"], clients: ["extranet-gw"])
        let stranger = try TestPKI(directory.appendingPathComponent("stranger"), servers: [], clients: ["extranet-gw"])
        let port = TestPort.free()
        let config = directory.appendingPathComponent("ferry.yaml")
        var text = try String(contentsOf: config, encoding: .utf8).replacingOccurrences(
            of: "via: { dir: gap/extranet-to-jinhong }",
            with: "via: { dir: gap/extranet-to-jinhong, http: \"https://127.0.0.1:\(port)\", ca: pki/ca.pem, cert: pki/extranet-gw.pem, key: pki/extranet-gw.key }")
        text = text.replacingOccurrences(
            of: "key: keys/jinhong-gw.key }",
            with: "key: keys/jinhong-gw.key, tls: { cert: pki/jinhong-gw.pem, key: pki/jinhong-gw.key, client_ca: pki/ca.pem } }")
        #expect(text.contains("client_ca"), "the scaffold's node line changed; update the test")
        try Data(text.utf8).write(to: config)
        try DemoTests.seedPortal(directory, count: 20, seed: 11)

        let receiver = try startReceiver(config: config, port: port)
        defer { if receiver.isRunning { kill(receiver.processIdentifier, SIGKILL) } }
        let client = ["--cacert", pki.path("ca.pem"), "--cert", pki.path("extranet-gw.pem"), "--key", pki.path("extranet-gw.key")]
        var up = false
        for _ in 0..<100 where !up {
            up = (try? curl("https://127.0.0.1:\(port)/healthz", client)) == "ok\n"
            if !up { Thread.sleep(forTimeInterval: 0.1) }
        }
        #expect(up, "the receiving node did not come up on HTTPS")
        // Without a client certificate, or with one from another authority, no answer.
        #expect(try curl("https://127.0.0.1:\(port)/healthz", ["--cacert", pki.path("ca.pem")]).isEmpty)
        #expect(try curl("https://127.0.0.1:\(port)/healthz", ["--cacert", pki.path("ca.pem"),
            "--cert", stranger.path("extranet-gw.pem"), "--key", stranger.path("extranet-gw.key")]).isEmpty)
        #expect(try curl("http://127.0.0.1:\(port)/healthz").isEmpty, "plain HTTP was answered")

        try syncAndAwaitDelivery(directory, config: config, endpoint: "https://127.0.0.1:\(port)")

        // A sender whose client certificate the receiver does not trust is held, and says why.
        var options = HTTPPush.Options(url: "https://127.0.0.1:\(port)/bundles/extranet/jinhong")
        options.caBundle = pki.path("ca.pem")
        options.clientCertificate = stranger.path("extranet-gw.pem")
        options.clientKey = stranger.path("extranet-gw.key")
        let bundle = directory.appendingPathComponent(String(repeating: "0", count: 64) + ".bundle")
        try Data("x".utf8).write(to: bundle)
        #expect(throws: FerryError.self) { try HTTPPush(options: options).ship(bundle) }
        options.caBundle = stranger.path("ca.pem")
        do {
            try HTTPPush(options: options).ship(bundle)
            Issue.record("a server certificate from an unknown authority was accepted")
        } catch let error as FerryError {
            #expect(error.code == .transportRetryable)
            #expect(error.message.lowercased().contains("certificate"), "\(error.message)")
        }
        kill(receiver.processIdentifier, SIGTERM)
        receiver.waitUntilExit()
        #expect(receiver.terminationStatus == 0)
    }

    /// An audit log altered behind the node's back shows on /metrics and /healthz of the
    /// running daemon, so monitoring alerts (FerryAuditChainBroken) before any audit.
    @Test func aBrokenAuditChainShowsOnMetricsAndHealth() throws {
        let directory = DemoTests.temporary("daemon-audit")
        _ = try Scaffold.create(in: directory)
        let config = directory.appendingPathComponent("ferry.yaml")
        try DemoTests.seedPortal(directory, count: 5, seed: 5)
        do {
            let node = try Node(deployment: try Deployment.load(config.path), name: "extranet-gw", logger: Logger(label: "test"))
            _ = try node.sync(flow: "applications-in")
            node.shutdown()
        }
        let store = try DatabaseQueue(path: directory.appendingPathComponent("state/extranet-gw.db").path)
        try store.write { db in
            try db.execute(sql: "DROP TRIGGER audit_no_update")
            try db.execute(sql: "UPDATE audit SET actor = 'intruder' WHERE seq = 2")
        }
        let port = TestPort.free()
        let process = Process()
        process.executableURL = CrashRecoveryTests.ferry
        process.arguments = ["run", "--config", config.path, "--node", "extranet-gw", "--listen", "127.0.0.1:\(port)", "--audit-verify-every", "3600"]
        (process.standardOutput, process.standardError) = (FileHandle.nullDevice, FileHandle.nullDevice)
        try process.run()
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
        var metrics = ""
        for _ in 0..<100 where !metrics.contains("ferry_audit_chain_ok") {
            Thread.sleep(forTimeInterval: 0.1)
            metrics = (try? curl("http://127.0.0.1:\(port)/metrics")) ?? ""
        }
        #expect(metrics.contains("ferry_audit_chain_ok 0"), "\(metrics)")
        #expect(!metrics.contains("ferry_audit_verified_timestamp_seconds"))
        let health = try curl("http://127.0.0.1:\(port)/healthz")
        #expect(health != "ok\n" && health.contains("audit chain"), "\(health)")
    }

    /// `ferry run` for the jinhong node, serving its receiving endpoint on `port`.
    func startReceiver(config: URL, port: Int) throws -> Process {
        let receiver = Process()
        receiver.executableURL = CrashRecoveryTests.ferry
        receiver.arguments = ["run", "--config", config.path, "--node", "jinhong-gw", "--poll", "0.3", "--listen", "127.0.0.1:\(port)"]
        receiver.standardOutput = FileHandle.nullDevice
        receiver.standardError = FileHandle.nullDevice
        try receiver.run()
        return receiver
    }

    /// Syncs the 20 seeded applications from the extranet node, pushed to `endpoint`, and
    /// waits until the running receiver has applied them all.
    func syncAndAwaitDelivery(_ directory: URL, config: URL, endpoint: String) throws {
        let deployment = try Deployment.load(config.path)
        let extranet = try Node(deployment: deployment, name: "extranet-gw", logger: Logger(label: "test"))
        let sync = try extranet.sync(flow: "applications-in")
        #expect(sync.held.isEmpty, "\(sync.held)")
        #expect(sync.bundles.first?.file.hasPrefix("\(endpoint)/bundles/extranet/jinhong") == true)
        let approval = try Self.shared(directory.appendingPathComponent("data/approval.db"))
        var delivered = 0
        for _ in 0..<100 where delivered < 20 {
            delivered = try approval.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM sqsp") ?? 0 }
            if delivered < 20 { Thread.sleep(forTimeInterval: 0.1) }
        }
        #expect(delivered == 20)
    }

    func curlStatus(_ url: String) throws -> Int {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "-X", "POST", "--data", "x", "--max-time", "5", url]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Int(String(decoding: data, as: UTF8.self)) ?? 0
    }

    /// GET with the curl binary: a real HTTP client on loopback.
    func curl(_ url: String, _ options: [String] = []) throws -> String {
        try PeerTool.capture(URL(fileURLWithPath: "/usr/bin/env"), ["curl", "-s", "--max-time", "5"] + options + [url])
    }

    /// A connection to a database a running node writes too: wait for its locks.
    static func shared(_ url: URL) throws -> DatabaseQueue {
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        return try DatabaseQueue(path: url.path, configuration: configuration)
    }
}
