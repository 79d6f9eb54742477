import Foundation
import GRDB
import Logging
import Testing
import FerryTestSupport
import FerryCore
import FerryMapping
import FerryAudit
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

    /// linked-processing: each trigger's conditions pick the changes that set it off, each
    /// derived record reaches every sink of its flow, the bank's refusal is one failed part
    /// of the whole, and one trace by the change's key shows it all.
    @Test func linkedProcessingDerivesEveryChangeAndTracesItByOneKey() throws {
        var options = FerryBench.Demo.Options(directory: TemporaryDirectory.url("scenario-lp"), records: 60)
        options.scenario = "linked-processing"
        let report = try FerryBench.Demo(options: options, logger: Self.logger).run()

        // 60 records: 15 licence changes, 30 employment changes, 15 transfers.
        #expect(report.hops.map(\.flow) == ["licence-change", "employee-departure", "property-transfer", "property-transfer"])
        let (licence, departure, transfer, again) = (report.hops[0], report.hops[1], report.hops[2], report.hops[3])
        #expect(licence.pulled == 15 && licence.untriggered == 6 && licence.applied == 9, "scope and capital changes leave the filing alone: \(licence)")
        #expect(departure.pulled == 30 && departure.untriggered == 20 && departure.applied == 30, "10 departures, three accounts closed each: \(departure)")
        #expect(transfer.rejected == 1, "the bank refuses the transfer whose buyer has no name: \(transfer)")
        #expect(again.rejected == 0 && again.applied > 0 && again.applied < transfer.applied, "only the completed transfer goes again: \(again)")
        #expect(report.checks.count == 12)
        for check in report.checks { #expect(check.mismatches == 0 && check.matched == check.sourceRecords && check.sourceRecords > 0, "\(check)") }
        #expect(report.checks.first { $0.target == "bank" }?.matched == 15, "the bank holds every notice once the name is filled")
        #expect(report.mismatches == 0 && report.audit.count == 2)

        // One trace by the transfer's number: the trigger firing for each derived entity,
        // each target's outcome, the bank's refusal, and the notice that went through after.
        let deployment = try Deployment.load(options.directory.appendingPathComponent("ferry.yaml").path)
        let trace = try AuditTrace.trace(deployment, key: "ZY202600000000")
        let fired = trace.hops.filter { $0.kind == "mapped" }.map(\.detail)
        for entity in ["DeedTaxDeclaration", "UtilityAccountTransfer", "PropertyTransferNotice"] {
            #expect(fired.filter { $0.contains("set off trigger property-transfer") && $0.contains(entity) }.count == 2, "\(entity): \(fired)")
        }
        let utility = trace.hops.filter { $0.node == "utility-gw" && $0.kind == "applied" }
        #expect(utility.compactMap(\.outcome).contains("rejected") && utility.last?.outcome == "applied", "\(utility.map { ($0.outcome, $0.detail) })")
        #expect(trace.hops.allSatisfy { $0.proof?.valid ?? true })

        // One name, one trigger; and not a system's name, which its derivations name as system:.
        let config = options.directory.appendingPathComponent("ferry.yaml")
        let text = try String(contentsOf: config, encoding: .utf8)
        for (from, to, words) in [("- name: licence-change", "- name: employee-departure", "two triggers are called"),
                                  ("- name: licence-change", "- name: market", "the name of a system")] {
            try Data(text.replacingOccurrences(of: from, with: to).utf8).write(to: config)
            let error = try #require(throws: FerryError.self) { try TopologyLoader.load(config.path) }
            #expect(error.message.contains(words) && error.location != nil, "\(error)")
        }
        try Data(text.utf8).write(to: config)
    }

    /// e-licence: certificates signed by the registry reach the library and two departments
    /// byte for byte; the library refuses the ones a county office signed; the trail shows
    /// issuance, push, verification and apply with the document's digest.
    @Test func eLicencesAreVerifiedOnApplyAndForgeriesRefused() throws {
        var options = FerryBench.Demo.Options(directory: TemporaryDirectory.url("scenario-el"), records: 30)
        options.scenario = "e-licence"
        let report = try FerryBench.Demo(options: options, logger: Self.logger).run()

        #expect(report.hops.map { "\($0.flow) \($0.applied) \($0.rejected)" } == ["certificates-out 27 0", "county-certificates 0 3"])
        let refused = try #require(report.checks.first { $0.flow == "county-certificates" })
        #expect(refused.expectRefused && refused.matched == 0 && refused.mismatches == 0, "\(refused)")
        for check in report.checks where !check.expectRefused { #expect(check.matched == 27 && check.mismatches == 0, "\(check)") }
        #expect(report.mismatches == 0)

        // The library holds the registry's very files.
        let data = options.directory.appendingPathComponent("data")
        let issued = try DatabaseQueue(path: data.appendingPathComponent("registry.db").path).read { db in
            try Dictionary(uniqueKeysWithValues: Row.fetchAll(db, sql: "SELECT zsh, dzzz FROM certificates").map { ($0["zsh"] as String, $0["dzzz"] as Data) })
        }
        let held = try DatabaseQueue(path: data.appendingPathComponent("elicence-library.db").path).read { db in
            try Dictionary(uniqueKeysWithValues: Row.fetchAll(db, sql: "SELECT zzbh, zzwj FROM certificates").map { ($0["zzbh"] as String, $0["zzwj"] as Data) })
        }
        #expect(held == issued && held.values.allSatisfy { $0.starts(with: Data("%PDF-".utf8)) })

        let deployment = try Deployment.load(options.directory.appendingPathComponent("ferry.yaml").path)
        let genuine = try AuditTrace.trace(deployment, key: "闽(2026)厦门市不动产权第0000000号").hops.map(\.kind)
        for kind in ["document.stored", "sealed", "received", "document.reassembled", "document.verified", "applied"] {
            #expect(genuine.contains(kind), "\(kind) in \(genuine)")
        }
        let forged = try AuditTrace.trace(deployment, key: "闽(2026)厦门市不动产权第9000001号").hops
        #expect(forged.contains { $0.kind == "document.rejected" && $0.detail.contains("county-gw") && $0.detail.contains("require_signature") })
        #expect(!forged.contains { $0.kind == "document.verified" })
    }

    /// A trigger is topology: its flows, conditions and derivation come from the file, and
    /// its mistakes are refused where they are written.
    @Test func triggersExpandIntoFlowsAndTheirMistakesAreLocated() throws {
        let root = try ScenarioFiles.root().appendingPathComponent("Ops/scenarios/linked-processing/ferry.yaml")
        let text = try String(contentsOf: root, encoding: .utf8)
        let topology = try TopologyLoader.parse(try ConfigNode.parse(text, file: root.path), file: root.path, baseDirectory: root.deletingLastPathComponent())
        let departure = topology.flows.filter { $0.trigger?.name == "employee-departure" }
        #expect(departure.map(\.name) == ["employee-departure.ContractTermination", "employee-departure.InsuranceSuspension", "employee-departure.FundAccountSeal"])
        #expect(departure.allSatisfy { $0.from == "hr" && $0.trigger?.entity == "EmploymentChange" && !$0.keepsDigestIndex })
        let condition = try #require(departure.first?.trigger?.conditions.first)
        #expect(condition.holds(["change": "departure"]) && !condition.holds(["change": "hire"]) && !condition.holds([:]))

        func refusal(_ from: String, _ to: String) -> FerryError? {
            let bad = text.replacingOccurrences(of: from, with: to)
            do {
                _ = try TopologyLoader.parse(try ConfigNode.parse(bad, file: "ferry.yaml"), file: "ferry.yaml", baseDirectory: root.deletingLastPathComponent())
                return nil
            } catch { return error as? FerryError }
        }
        let condition2 = try #require(refusal("when: [\"change == 'departure'\"]", "when: [\"change is departure\"]"))
        #expect(condition2.message.contains("FIELD == 'value'") && condition2.location != nil)
        let name = try #require(refusal("- name: employee-departure", "- name: employee departure"))
        #expect(name.message.contains("not a simple identifier"))
        let dotted = try #require(refusal("- name: employee-departure", "- name: employee.departure"))
        #expect(dotted.message.contains("dot"))
        let empty = try #require(refusal("when: [\"change == 'departure'\"]", "when: []"))
        #expect(empty.message.contains("no condition") && empty.hint?.contains("every change") == true)
    }

    /// What a trigger's flow sends is decided without I/O: the conditions, then the
    /// derivation, and the key kept.
    @Test func aTriggerDerivesOnlyMatchingChangesAndKeepsTheirKey() throws {
        let root = try ScenarioFiles.root()
        let copy = TemporaryDirectory.url("trigger-derive")
        try FileManager.default.createDirectory(at: copy, withIntermediateDirectories: true)
        try ScenarioFiles.copy(root.appendingPathComponent("Ops/scenarios/linked-processing/ferry.yaml"), to: copy.appendingPathComponent("ferry.yaml"))
        try ScenarioFiles.copy(root.appendingPathComponent("Mappings"), to: copy.appendingPathComponent("Mappings"))
        let file = copy.appendingPathComponent("ferry.yaml")
        let deployment = Deployment(topology: try TopologyLoader.parse(try ConfigNode.load(file: file), file: file.path, baseDirectory: file.deletingLastPathComponent()))
        let flow = try #require(deployment.topology.flow(named: "employee-departure.FundAccountSeal"))
        let source = try deployment.flowSource(flow)
        let row: [String: Value] = ["ywbh": "JY202611300001", "sfzh": "350203198001010013", "xm": "王伟", "dwdm": "91350200612003456D",
            "bdlx": "02", "bdrq": "20261130", "gxsj": "20261130100000"]
        guard case .record(let sealed) = source.read(row) else { Issue.record("a departure seals the fund account"); return }
        #expect(sealed.entity == "FundAccountSeal" && sealed.key == ["JY202611300001"])
        #expect(sealed.fields["sealed_on"] == "2026-11-30" && sealed.fields["name"] == nil, "only what the derivation maps")
        var hire = row
        hire["bdlx"] = "01"
        guard case .untriggered = source.read(hire) else { Issue.record("a hire closes nothing"); return }
        var broken = row
        broken["sfzh"] = "350203198001010014"
        guard case .rejected(_, let issues) = source.read(broken) else { Issue.record("a bad ID is stopped before deriving"); return }
        #expect(issues.contains { $0.rule == "cn_resident_id" })

        // A condition on a field the entity lacks would never hold: refused, not silent.
        let typo = try String(contentsOf: file, encoding: .utf8).replacingOccurrences(of: "change == 'departure'", with: "chnage == 'departure'")
        let mistaken = Deployment(topology: try TopologyLoader.parse(try ConfigNode.parse(typo, file: file.path), file: file.path,
            baseDirectory: file.deletingLastPathComponent()))
        let error = try #require(throws: FerryError.self) {
            try mistaken.flowSource(try #require(mistaken.topology.flow(named: "employee-departure.FundAccountSeal")))
        }
        #expect(error.message.contains("chnage") && error.hint?.contains("effective_date") == true)

        // So would the system's own code instead of the canonical one, or two values at once.
        for (bad, words) in [("change == '02'", "not a canonical code"), ("change == 'departure'\", \"change == 'hire'", "cannot be both")] {
            let text = try String(contentsOf: file, encoding: .utf8).replacingOccurrences(of: "change == 'departure'", with: bad)
            let wrong = Deployment(topology: try TopologyLoader.parse(try ConfigNode.parse(text, file: file.path), file: file.path,
                baseDirectory: file.deletingLastPathComponent()))
            let refusal = try #require(throws: FerryError.self) {
                try wrong.flowSource(try #require(wrong.topology.flow(named: "employee-departure.FundAccountSeal")))
            }
            #expect(refusal.message.contains(words), "\(refusal)")
        }
    }

    /// Two runs in two directories never share a database; a run again in one directory
    /// gets its own back, made afresh.
    @Test func eachDemoDirectoryHasItsOwnDatabase() {
        let a = ScenarioServers.database(scenario: "construction-approval", directory: URL(fileURLWithPath: "/tmp/a"))
        let b = ScenarioServers.database(scenario: "construction-approval", directory: URL(fileURLWithPath: "/tmp/b"))
        #expect(a != b && a == ScenarioServers.database(scenario: "construction-approval", directory: URL(fileURLWithPath: "/tmp/./a")))
        #expect(a.hasPrefix("ferry_construction_approval_") && a.count == "ferry_construction_approval_".count + 8)
        #expect(a.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }, "an identifier either server takes unquoted")
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

    /// foreign-affairs with its three business lines: each applicant is registered once and
    /// reaches the passport network once, the APEC card and invitation forms name them by
    /// register number, every case's outcome comes back to the portal, and the rules across
    /// entities hold, and fail when a person goes missing.
    @Test func foreignAffairsRunsThreeLinesWithTheApplicantEnteredOnce() throws {
        var options = FerryBench.Demo.Options(directory: TemporaryDirectory.url("scenario-fa"), records: 120)
        options.badEvery = 20
        let demo = FerryBench.Demo(options: options, logger: Self.logger)
        let report = try demo.run()
        #expect(report.mismatches == 0)
        #expect(report.hops.map(\.flow) == ["applications-to-jinhong", "approvals-to-passport", "status-to-jinhong", "status-to-extranet",
            "applicants-to-jinhong", "apec-to-jinhong", "invitations-to-jinhong", "applicants-to-passport", "apec-to-passport",
            "invitations-to-passport", "cases-to-jinhong", "cases-to-extranet"])
        #expect(report.expectations.count == 7 && report.expectations.allSatisfy(\.holds), "\(report.expectations)")
        #expect(report.hops.allSatisfy { $0.rejected == 0 && $0.receipts == $0.bundles }, "\(report.hops)")

        let data = options.directory.appendingPathComponent("data")
        let portal = try DatabaseQueue(path: data.appendingPathComponent("portal.db").path)
        let approval = try DatabaseQueue(path: data.appendingPathComponent("approval.db").path)
        let issuance = try DatabaseQueue(path: data.appendingPathComponent("issuance.db").path)
        func count(_ db: DatabaseQueue, _ sql: String) throws -> Int { try db.read { try Int.fetchOne($0, sql: sql) ?? -1 } }
        // The register's own GB 11643 check agrees with Ferry's: it holds exactly the people
        // whose travel forms Ferry let through (6 of 120 were stopped).
        let registered = try count(portal, "SELECT count(*) FROM applicants")
        let travellers = try count(approval, "SELECT count(DISTINCT SFZH) FROM sqsp")
        #expect(registered == travellers && registered > 100)
        let (atJinhong, atMinistry) = (try count(approval, "SELECT count(*) FROM ry"), try count(issuance, "SELECT count(*) FROM persons"))
        #expect(atJinhong == registered && atMinistry == registered)
        let apec = try count(portal, "SELECT count(*) FROM apec_applications"), invitations = try count(portal, "SELECT count(*) FROM invitations")
        #expect(apec == registered / 3 && invitations == (registered + 3) / 4)
        let cards = try count(issuance, "SELECT count(*) FROM apec_orders WHERE approval = 'A'")
        let notices = try count(issuance, "SELECT count(*) FROM visa_notices WHERE approval = 'A'")
        #expect(cards == apec && notices == invitations)
        // A visitor's accented, apostrophed name crossed both gaps unaltered.
        let irish = try count(portal, "SELECT count(*) FROM invitations WHERE visitor_name = 'O''BRIEN SEÁN'")
        let irishThere = try count(issuance, "SELECT count(*) FROM visa_notices WHERE visitor_name = 'O''BRIEN SEÁN'")
        #expect(irish > 0 && irishThere == irish)
        let outcomes = try count(portal, "SELECT count(*) FROM case_progress WHERE status IN ('CARD_ISSUED', 'NOTICE_SENT', 'REFUSED')")
        let refusals = try count(portal, "SELECT count(*) FROM case_progress WHERE status = 'REFUSED'")
        #expect(outcomes == apec + invitations && refusals == invitations / 10 && refusals > 0, "\(refusals) refused of \(invitations)")
        // Business steps stamp the time on the system's own clock (Beijing time), not UTC.
        let stamped = try #require(try portal.read { try String.fetchOne($0, sql: "SELECT max(updated_at) FROM applicants") })
        let beijing = DateFormatter()
        (beijing.dateFormat, beijing.timeZone, beijing.locale) = ("yyyy-MM-dd HH:mm:ss", TimeZone(secondsFromGMT: 8 * 3600), Locale(identifier: "en_US_POSIX"))
        let filed = try #require(beijing.date(from: stamped))
        #expect(abs(filed.timeIntervalSinceNow) < 600, "registered at \(stamped) Beijing time")

        // A person the passport network lost breaks the rule for every form naming them.
        let person = try #require(try issuance.read { try String.fetchOne($0, sql: "SELECT person_ref FROM apec_orders ORDER BY order_ref LIMIT 1") })
        let naming = try count(issuance, "SELECT (SELECT count(*) FROM apec_orders WHERE person_ref = '\(person)') + (SELECT count(*) FROM visa_notices WHERE host_ref = '\(person)')")
        try issuance.write { try $0.execute(sql: "DELETE FROM persons WHERE person_ref = ?", arguments: [person]) }
        let plan = try ScenarioPlan.load(try ScenarioFiles.root().appendingPathComponent("Ops/scenarios/foreign-affairs/scenario.yaml"))
        let deployment = try Deployment.load(options.directory.appendingPathComponent("ferry.yaml").path)
        let rules = ScenarioRun(demo: demo, plan: plan).expectations(deployment.topology)
        let broken = rules.filter { !$0.holds }
        #expect(broken.count == 1 && broken.first?.system == "issuance" && broken.first?.found == naming, "\(rules)")
        var rerun = report
        rerun.expectations = rules
        #expect(rerun.mismatches == 1, "a broken rule fails the demo")

        // A rule whose query counts nothing, or fails, fails with its place and reason; the
        // other rules are still counted.
        var edited = plan
        let place = SourceLocation(file: "scenario.yaml", line: 9, column: 3)
        edited.expectations = [
            .init(says: "rows, not a count", system: "approval", count: "SELECT SPZT FROM apec_sq", want: 0, at: place),
            .init(says: "a table misspelled", system: "approval", count: "SELECT count(*) FROM apec_sqq", want: 0, at: place),
            .init(says: "a count", system: "approval", count: "SELECT count(*) FROM apec_sq WHERE SPZT <> '03'", want: 0, at: place),
        ]
        let counted = ScenarioRun(demo: demo, plan: edited).expectations(deployment.topology)
        #expect(counted.map(\.holds) == [false, false, true], "\(counted)")
        #expect(counted[0].problem?.contains("single whole number") == true && counted[0].problem?.contains("scenario.yaml:9") == true)
        #expect(counted[1].problem?.contains("no such table") == true)

        // Steps naming what is not there are refused before anything runs, where they are written.
        edited.steps = [(.sql(system: "portal", file: "steps/approve-al.sql", stamp: nil), place)]
        let missing = try #require(throws: FerryError.self) { try ScenarioRun(demo: demo, plan: edited).checkPlan(deployment) }
        #expect(missing.message.contains("steps/approve-al.sql") && "\(missing)".contains("scenario.yaml:9"))
        edited.steps = [(.sql(system: "aproval", file: "steps/approve-all.sql", stamp: nil), place)]
        let system = try #require(throws: FerryError.self) { try ScenarioRun(demo: demo, plan: edited).checkPlan(deployment) }
        #expect(system.hint?.contains("approval") == true && "\(system)".contains("scenario.yaml:9"))
    }

    /// A scenario file's own mistakes are refused where they are: a built-in line that does
    /// not exist, and an expectation without a count to want.
    @Test func aScenarioNamingAMissingLineOrAMalformedRuleIsRefused() throws {
        let file = TemporaryDirectory.url("plan-bad").appendingPathComponent("scenario.yaml")
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data("builtin: official-trip\nsteps:\n  - deliver: f\n".utf8).write(to: file)
        let line = try #require(throws: FerryError.self) { try ScenarioPlan.load(file) }
        #expect(line.message.contains("official-trip") && line.hint?.contains("official-travel") == true)
        try Data("builtin: official-travel\nseed:\n  - { file: s.yaml }\n".utf8).write(to: file)
        let ignored = try #require(throws: FerryError.self) { try ScenarioPlan.load(file) }
        #expect(ignored.message.contains("seed:"), "a seed the built-in line would ignore")
        try Data("expect:\n  - { says: x, system: s, count: SELECT 1, want: -1 }\n".utf8).write(to: file)
        let rule = try #require(throws: FerryError.self) { try ScenarioPlan.load(file) }
        #expect(rule.message.contains("want"))
        try Data("expect:\n  - { says: x, count: SELECT 1 }\n".utf8).write(to: file)
        #expect(throws: FerryError.self) { try ScenarioPlan.load(file) }
    }
}
