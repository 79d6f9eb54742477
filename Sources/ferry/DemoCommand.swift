import ArgumentParser
import Foundation
import FerryNode
import FerryOps
import FerryBench

struct Demo: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a seed deployment end to end on embedded defaults, and check it (default: the foreign-affairs sync).",
        discussion: """
            Builds three zones (政务外网 extranet, 金宏网 jinhong, 外交部电子护照专网 passport), \
            one node each with its own SQLite store and key pair, directory channels between \
            them and three SQLite systems with different schemas; seeds the portal with N \
            generated official-travel applications (one in 500 with a wrong ID check digit, \
            to show quarantine) and runs that line's hops as sealed bundles; then registers \
            each applicant once, files APEC business travel card applications and invitations \
            of foreign visitors that name them by register number, and runs those lines to \
            the passport network and their statuses back. Checks each sink against its mapped \
            source, reconciles every flow across its gap by record digests, checks the rules \
            across entities (every card and invitation names a person its system holds) and \
            verifies every node's audit chain. Exits non-zero on any mismatch or difference.
            --list names the scenarios under Ops/scenarios/; --scenario NAME runs another:
            construction-approval (46 systems, four levels, every adapter type; it starts the \
            test set-up's PostgreSQL and MariaDB and a REST system), linked-processing \
            (triggers), e-licence (signed documents verified on apply). Each checks every \
            sink, reconciles, verifies every audit chain and exits non-zero on any failure.

            With --store, the three nodes keep their stores on that PostgreSQL server instead, \
            one schema each (PREFIX_NODE, PREFIX from the URL's schema option, default ferry).

            Example:
              ferry demo --records 10000 --dir /tmp/ferry-demo
              ferry demo --store 'postgres://ferry@127.0.0.1:5432/ferry?password_env=PGPASSWORD&schema=demo'
            """)

    @Option(name: .long, help: "The scenario to run (ferry demo --list names them).")
    var scenario = "foreign-affairs"

    @Flag(name: .long, help: "Name the scenarios, one line each, and exit.")
    var list = false

    @Option(name: .long, help: "Where to build the demo; must be new, empty, or an earlier demo's.")
    var dir: String = "demo-out"

    @Option(name: .long, help: "How many records to seed (foreign-affairs: applications in the portal; others: split by the scenario's seed shares).")
    var records: Int = 1000

    @Option(name: .long, help: "A postgres:// URL to keep the nodes' stores on instead of SQLite files.")
    var store: String?

    func run() throws {
        if list {
            for entry in try reporting({ try ScenarioCatalog.list() }) { print("\(entry.name)  \(entry.title)\n    \(entry.summary)") }
            return
        }
        _ = try reporting { try ScenarioCatalog.entry(scenario) }
        let directory = URL(fileURLWithPath: dir).standardizedFileURL
        let report = try reporting {
            var options = FerryBench.Demo.Options(directory: directory, records: records)
            options.store = store
            options.scenario = scenario
            return try FerryBench.Demo(options: options, logger: makeLogger()).run()
        }
        print(hopTable(report.hops).rendered)
        print("")
        var checks = Table(["flow", "target", "source records", "sink records", "matched", "missing", "different", "unexpected"])
        for check in report.checks {
            checks.add([check.flow, check.expectRefused ? "\(check.target) (must refuse)" : check.target, "\(check.sourceRecords)", "\(check.sinkRecords)", "\(check.matched)", "\(check.missing)",
                "\(check.different)", "\(check.unexpected)"])
        }
        print(checks.rendered)
        print("")
        // Rows as each system's copy holds them: a file drop keeps every version it was sent.
        var systems = Table(["system", "level", "zone", "adapter", "rows read"])
        for system in report.systems { systems.add([system.name, system.level, system.zone, system.adapter, "\(system.records)"]) }
        print(systems.rendered)
        let types = Set(report.systems.map(\.adapter)).count
        print("\(report.systems.count) systems, \(types) adapter type\(types == 1 ? "" : "s"); rows read: what each system's copy holds over all its entities")
        print("")
        var reconciles = Table(["flow", "target", "state", "matched", "differences", "rounds"])
        for run in report.reconciles {
            reconciles.add([run.flow, run.target, run.state, "\(run.matched)", "\(run.differences)", "\(run.rounds)"])
        }
        print(report.reconciles.isEmpty ? "no flow to reconcile: a trigger's flows are checked above against what their trigger derives" : reconciles.rendered)
        print("")
        if !report.expectations.isEmpty {
            var rules = Table(["rule", "system", "rows breaking it", "result"])
            for rule in report.expectations {
                let found = rule.problem == nil ? "\(rule.found)" + (rule.want == 0 ? "" : " (want \(rule.want))") : "-"
                rules.add([rule.says, rule.system, found, rule.holds ? "holds" : "FAILS" + (rule.problem.map { ": \($0)" } ?? "")])
            }
            print(rules.rendered)
            print("")
        }
        var audit = Table(["node", "audit entries", "chain", "store"])
        for node in report.audit { audit.add([node.node, "\(node.entries)", "verified", node.store]) }
        print(audit.rendered)
        print("")
        print("demo directory: \(report.directory.path)  (gap directories under gap/, system databases under data/)")
        print(String(format: "elapsed %.2f s, %d mismatches", report.seconds, report.mismatches))
        if report.mismatches > 0 { throw ExitCode(1) }
    }

    /// One row per exchange; a flow delivered again (after a correction) says so, and the
    /// trigger column shows only where a trigger left changes alone.
    func hopTable(_ report: [FerryBench.Demo.Hop]) -> Table {
        let triggers = report.contains { $0.untriggered > 0 }
        var hops = Table(["hop", "route", "pulled"] + (triggers ? ["not triggered"] : []) + ["quarantined", "bundles", "applied", "rejected", "receipts", "seconds"])
        var seen: [String: Int] = [:]
        for hop in report {
            seen[hop.flow, default: 0] += 1
            let name = seen[hop.flow, default: 1] > 1 ? "\(hop.flow) (again)" : hop.flow
            hops.add([name, hop.route, "\(hop.pulled)"] + (triggers ? ["\(hop.untriggered)"] : []) + ["\(hop.quarantined)", "\(hop.bundles)", "\(hop.applied)",
                "\(hop.rejected)", "\(hop.receipts)", String(format: "%.2f", hop.seconds)])
        }
        return hops
    }
}
