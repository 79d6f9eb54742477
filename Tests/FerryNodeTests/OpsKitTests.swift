import Foundation
import GRDB
import Testing
import FerryTestSupport
@testable import FerryOps
@testable import FerryBench

/// The operations kit under `Ops/` as operators install it: the alert rules pass promtool's
/// own checks and unit tests and name only metrics a running node serves; the systemd units
/// and the logrotate file are accepted by the tools that will read them; the network
/// namespace script carries a lane over a one-way path.
@Suite(.serialized) struct OpsKitTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let ops = root.appendingPathComponent("Ops")
    static let promtool = PeerTool.locate("promtool")

    static func run(_ tool: URL, _ arguments: [String], in directory: URL? = nil) throws -> (status: Int32, output: String) {
        try ProcessRun.capture(tool, arguments, in: directory)
    }

    @Test(.enabled(if: promtool != nil, "promtool is not installed: Ops/test-ops.sh (make test runs it) installs Debian's prometheus"))
    func alertRulesPassPromtoolAndFireOnTheirSeries() throws {
        let rules = Self.ops.appendingPathComponent("prometheus")
        let check = try Self.run(Self.promtool!, ["check", "rules", "ferry-alerts.yml"], in: rules)
        #expect(check.status == 0, "\(check.output)")
        #expect(check.output.contains("9 rules found"), "\(check.output)")
        let unit = try Self.run(Self.promtool!, ["test", "rules", "ferry-alerts.test.yml"], in: rules)
        #expect(unit.status == 0, "\(unit.output)")
        let config = try Self.run(Self.promtool!, ["check", "config", "prometheus.example.yml"], in: rules)
        #expect(config.status == 0, "\(config.output)")
    }

    /// A rule that is loosened no longer passes its unit test: the tests can fail.
    @Test(.enabled(if: promtool != nil, "promtool is not installed: Ops/test-ops.sh installs it"))
    func aLoosenedThresholdFailsTheRuleTests() throws {
        let directory = TemporaryDirectory.url("alerts")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let source = Self.ops.appendingPathComponent("prometheus")
        for name in ["ferry-alerts.yml", "ferry-alerts.test.yml"] {
            try FileManager.default.copyItem(at: source.appendingPathComponent(name), to: directory.appendingPathComponent(name))
        }
        let rules = directory.appendingPathComponent("ferry-alerts.yml")
        let text = try String(contentsOf: rules, encoding: .utf8)
        try Data(text.replacingOccurrences(of: "> 0.05", with: "> 0.5").utf8).write(to: rules)
        let unit = try Self.run(Self.promtool!, ["test", "rules", "ferry-alerts.test.yml"], in: directory)
        #expect(unit.status != 0)
        #expect(unit.output.contains("FerryRejectRateHigh"), "\(unit.output)")
    }

    /// The metric names the rules use, from their `expr:` lines.
    static func ruleMetrics() throws -> Set<String> {
        let text = try String(contentsOf: ops.appendingPathComponent("prometheus/ferry-alerts.yml"), encoding: .utf8)
        let pattern = try NSRegularExpression(pattern: "ferry_[a-z_]+")
        var names = Set<String>()
        var inExpression = false
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.hasPrefix("expr:") { inExpression = true } else if trimmed.hasSuffix(":") || trimmed.hasPrefix("for:") || trimmed.hasPrefix("labels:") { inExpression = false }
            guard inExpression else { continue }
            let string = String(line)
            for match in pattern.matches(in: string, range: NSRange(string.startIndex..., in: string)) {
                names.insert(String(string[Range(match.range, in: string)!]))
            }
        }
        return names
    }

    @Test func theRulesNameMetricsTheyExpect() throws {
        let names = try Self.ruleMetrics()
        #expect(names == [
            "ferry_oldest_undelivered_seconds", "ferry_records_total", "ferry_bundle_rejects_total", "ferry_missing_sequences",
            "ferry_quarantined_records", "ferry_dead_letters", "ferry_audit_chain_ok", "ferry_audit_verified_timestamp_seconds",
        ])
    }

    @Test(.enabled(if: PeerTool.locate("systemd-analyze") != nil, "systemd-analyze is not installed: Ops/test-ops.sh installs systemd"))
    func systemdUnitsVerify() throws {
        let directory = TemporaryDirectory.url("units")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let units = Self.ops.appendingPathComponent("systemd")
        // Instances as operators enable them; ExecStart points at the binary under test.
        let instances = ["ferry@.service": "ferry@jinhong-gw.service", "ferry-worker@.service": "ferry-worker@jinhong-gw.service",
            "ferry-sync@.service": "ferry-sync@applications-in.service", "ferry-sync@.timer": "ferry-sync@applications-in.timer",
            "ferry-receive.service": "ferry-receive.service", "ferry-receive.timer": "ferry-receive.timer"]
        let present = try FileManager.default.contentsOfDirectory(atPath: units.path).filter { $0.hasSuffix(".service") || $0.hasSuffix(".timer") }
        #expect(Set(present) == Set(instances.keys))
        for (file, instance) in instances {
            let text = try String(contentsOf: units.appendingPathComponent(file), encoding: .utf8)
            try Data(text.replacingOccurrences(of: "/usr/local/bin/ferry", with: CrashRecoveryTests.ferry.path).utf8)
                .write(to: directory.appendingPathComponent(instance))
        }
        for instance in instances.values.sorted() {
            let result = try Self.run(URL(fileURLWithPath: "/usr/bin/env"), ["systemd-analyze", "verify", instance], in: directory)
            #expect(result.status == 0, "\(instance): \(result.output)")
        }
    }

    @Test(.enabled(if: PeerTool.locate("logrotate") != nil || FileManager.default.isExecutableFile(atPath: "/usr/sbin/logrotate"),
        "logrotate is not installed: Ops/test-ops.sh installs it"))
    func logrotateReadsTheFile() throws {
        let directory = TemporaryDirectory.url("logrotate")
        let logs = directory.appendingPathComponent("log")
        try FileManager.default.createDirectory(at: logs, withIntermediateDirectories: true)
        try Data("one run\n".utf8).write(to: logs.appendingPathComponent("sync-applications-in.log"))
        let owner = getuid() == 0 ? "root root" : "\(getuid()) \(getgid())"
        let text = try String(contentsOf: Self.ops.appendingPathComponent("logrotate/ferry"), encoding: .utf8)
            .replacingOccurrences(of: "/var/log/ferry", with: logs.path)
            .replacingOccurrences(of: "ferry ferry", with: owner)
        let config = directory.appendingPathComponent("ferry")
        try Data(text.utf8).write(to: config)
        let logrotate = PeerTool.locate("logrotate") ?? URL(fileURLWithPath: "/usr/sbin/logrotate")
        let result = try Self.run(logrotate, ["--force", "-s", directory.appendingPathComponent("state").path, config.path])
        #expect(result.status == 0, "\(result.output)")
        let rotated = try FileManager.default.contentsOfDirectory(atPath: logs.path)
        #expect(rotated.contains { $0.hasPrefix("sync-applications-in.log-") }, "\(rotated)")
    }

    @Test(.enabled(if: getuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/sbin/ip"), "network namespaces need root and iproute2"))
    func oneLaneCrossesAOneWayPathBetweenNamespaces() throws {
        let work = TemporaryDirectory.url("netns")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        // Output to a file, not a pipe: a process the script leaves behind cannot hold the test.
        let log = work.appendingPathComponent("script.log")
        let result = try Self.run(URL(fileURLWithPath: "/bin/bash"),
            ["-c", "bash \"$0\" \"$1\" \"$2\" >\"$3\" 2>&1", Self.ops.appendingPathComponent("netns-one-way.sh").path,
             CrashRecoveryTests.ferry.path, work.appendingPathComponent("run").path, log.path])
        let output = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        #expect(result.status == 0, "\(output)")
        #expect(output.contains("ferry-recv cannot open a connection to ferry-send"), "\(output)")
        #expect(output.contains("records: 50 in the portal, 50 applied in approval"), "\(output)")
        #expect(output.contains("audit log of jinhong-gw:") && output.contains("ok: one lane over a one-way path"), "\(output)")
    }
}
