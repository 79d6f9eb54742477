import Foundation
import Logging
import Testing
import FerryTestSupport
import FerryCore
import FerryMapping
@testable import FerryNode
@testable import FerryOps
@testable import FerryBench

/// The scenarios `ferry demo --scenario` runs from `Ops/scenarios/`, end to end on the real
/// servers the test set-up starts, and the seed generator they are filled by.
@Suite(.serialized) struct ScenarioTests {
    static let logger = Logger(label: "test")

    /// construction-approval at full width (46 systems, nine adapter types, four levels and
    /// zones) with a few records per system: every sink holds its source's records in its own
    /// dialect, every flow reconciles with no difference, every chain verifies.
    @Test func constructionApprovalReachesAll46SystemsOnEveryAdapterType() throws {
        var options = FerryBench.Demo.Options(directory: TemporaryDirectory.url("scenario-ca"), records: 60)
        options.scenario = "construction-approval"
        let report = try FerryBench.Demo(options: options, logger: Self.logger).run()

        #expect(report.systems.count == 46)
        #expect(Set(report.systems.map(\.adapter)) == ["sqlite", "postgres", "mysql", "odbc", "csv", "ndjson", "xml", "http", "exec"])
        #expect(Set(report.systems.map(\.level)) == ["national", "provincial", "municipal", "district"])
        let empty = report.systems.filter { $0.records == 0 }.map(\.name)
        #expect(empty.isEmpty, "systems that hold nothing: \(empty)")
        // 60 records: 24 projects, 24 approval results, 12 joint acceptances.
        let counts = Dictionary(uniqueKeysWithValues: report.systems.map { ($0.name, $0.records) })
        #expect(counts["muni-approval"] == 60 && counts["nat-land"] == 24 && counts["xiangan"] == 24 && counts["muni-tax"] == 12)
        #expect(report.checks.count == 45, "one check per flow target")
        for check in report.checks {
            #expect(check.mismatches == 0 && check.matched == check.sourceRecords && check.sinkRecords == check.sourceRecords, "\(check)")
        }
        #expect(report.reconciles.count == 45)
        for run in report.reconciles { #expect(run.state == "done" && run.differences == 0 && run.matched > 0, "\(run)") }
        for hop in report.hops { #expect(hop.rejected == 0 && hop.quarantined == 0 && hop.applied == hop.pulled, "\(hop.flow)") }
        #expect(report.audit.count == 4 && report.audit.allSatisfy { $0.entries > 0 })
        #expect(report.mismatches == 0)

        // The check is not a formality: a value altered in a district office's GB18030 CSV
        // export, after delivery, is a difference.
        let folder = options.directory.appendingPathComponent("data/haicang")
        let file = try #require(try FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: nil).first)
        let text = try #require(String(data: try Data(contentsOf: file), encoding: .init(rawValue: 0x8000_0632)))  // GB18030
        try #require(text.contains("准予许可"))
        let altered = text.replacingOccurrences(of: "准予许可", with: "不予许可")
        try #require(altered.data(using: .init(rawValue: 0x8000_0632))).write(to: file)
        let deployment = try Deployment.load(options.directory.appendingPathComponent("ferry.yaml").path)
        var checker = FlowCheck(deployment: deployment, scratch: options.directory.appendingPathComponent("state/recheck.db"))
        let flow = try #require(deployment.topology.flow(named: "approvals-to-districts"))
        // (Only haicang: the REST system that held xiangan stopped with the run.)
        let haicang = try #require(try checker.compare(flow, targets: ["haicang"]).first)
        #expect(haicang.different > 0 && haicang.missing == 0, "\(haicang)")
    }

    /// A seed record depends on its number alone, and is valid for its entity.
    @Test func seedRecordsAreDeterministicAndValid() throws {
        let root = try ScenarioFiles.root()
        let spec = try SeedSpec.load(root.appendingPathComponent("Ops/scenarios/construction-approval/seeds/projects.yaml"))
        let seventh = try spec.fields(7)
        #expect(try spec.fields(7) == seventh)
        #expect(try spec.fields(8) != seventh)
        #expect(seventh["project_code"] == "2026-350205-48-01-000007", "the division cycles with n; n is padded to six digits")
        #expect(seventh["project_name"]?.text?.hasPrefix("厦门市海沧区") == true, "helpers stay aligned with the field they cycle beside")
        let uscc = try #require(seventh["builder_uscc"]?.text)
        #expect(uscc.hasPrefix("91350205") && Validators.isUSCC(uscc), "GB 32100 check character, in the project's division: \(uscc)")
        #expect(seventh["registered_at"] == "2026-11-01T00:00:14Z", "two seconds apart, in order")
        if case .decimal(let amount)? = seventh["investment"] {
            #expect(!amount.hasSuffix("0") || !amount.contains("."), "canonical decimal spelling: \(amount)")
        } else {
            Issue.record("investment is a decimal")
        }
    }

    /// A seed file's mistakes are refused where they are, with what to do.
    @Test func aSeedPatternNamingNothingIsRefused() throws {
        let file = TemporaryDirectory.url("seed-bad").appendingPathComponent("seed.yaml")
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data("system: s\nentity: E\nfields:\n  id: { pattern: \"X{nope}\" }\n  when: { timestamp: [yesterday, 2] }\n".utf8).write(to: file)
        #expect(throws: FerryError.self) { try SeedSpec.load(file) }
        try Data("system: s\nentity: E\nfields:\n  id: { pattern: \"X{nope}\" }\n".utf8).write(to: file)
        let error = try #require(throws: FerryError.self) { try SeedSpec.load(file).fields(0) }
        #expect(error.message.contains("{nope}") && error.hint?.contains("let:") == true)
    }
}
