public import Foundation
import FerryCore
import FerryMapping
import FerrySeal
import FerryQueue
package import FerryAudit
import FerryAdapters
public import Logging
import FerryNode
import FerryOps

/// `ferry demo`: the foreign-affairs three-network sync on embedded defaults, built in a
/// fresh directory from the ordinary files under `Ops/scenarios/foreign-affairs/` and
/// `Mappings/`, run hop by hop, then checked sink against source, reconciled across each
/// gap, and every audit chain verified.
public struct Demo {
    public struct Options: Sendable {
        public var directory: URL
        public var records: Int
        /// One in this many seeded applications carries a wrong ID check digit, to show
        /// that bad records are stopped; 0 seeds none.
        public var badEvery: Int = 500
        /// A postgres:// URL to keep every node's store on, one schema per node
        /// (`NodeStores`); nil keeps them in SQLite files under `state/`.
        public var store: String?
        /// Reconcile each flow across its gap after its hop (off for benchmarks that time the
        /// hops alone).
        public var reconcile = true
        /// The directory under `Ops/scenarios/` the deployment's files come from.
        public var scenario = "foreign-affairs"
        /// For `ferry bench audit` only: count audit events instead of writing them.
        package var auditCounter: AuditCounter?

        public init(directory: URL, records: Int) {
            self.directory = directory
            self.records = records
        }
    }

    public struct Hop: Sendable {
        public var flow: String
        public var route: String
        public var pulled: Int
        public var quarantined: Int
        /// Changes a trigger read that matched none of its conditions (and made nothing).
        public var untriggered = 0
        public var bundles: Int
        public var receipts: Int
        public var applied: Int
        public var rejected: Int
        public var seconds: Double
    }

    /// One sink of a flow against the flow's source.
    public struct Check: Sendable {
        public var flow: String
        public var target: String
        public var sourceRecords: Int
        public var sinkRecords: Int
        public var matched: Int
        public var missing: Int
        public var different: Int
        public var unexpected: Int
        /// The scenario expects the target to refuse every record of this flow (a forger's).
        public var expectRefused = false
        /// Records the target holds that it should not: for a refused flow, any of its source's.
        public var mismatches: Int { expectRefused ? matched + different : missing + different + unexpected }
    }

    /// One system of the deployment and the rows read from its copy, over every entity (a
    /// file drop holds every version it was sent; rows its mapping refuses count too).
    public struct SystemCount: Sendable {
        public var name: String
        public var level: String
        public var zone: String
        public var adapter: String
        public var records: Int
    }

    /// One of the scenario's rules across entities (`expect:` in scenario.yaml) and the rows
    /// its query counted as breaking it.
    public struct Expected: Sendable {
        public var says: String
        public var system: String
        public var want: Int
        /// Rows the query counted; -1 when it could not count (see `problem`).
        public var found: Int
        /// Why the query could not count, located in scenario.yaml.
        public var problem: String?
        public var holds: Bool { problem == nil && found == want }
    }

    public struct Report: Sendable {
        public var directory: URL
        public var hops: [Hop] = []
        public var checks: [Check] = []
        public var systems: [SystemCount] = []
        public var reconciles: [Reconciled] = []
        public var audit: [(node: String, entries: Int, store: String)] = []
        public var expectations: [Expected] = []
        public var seconds: Double = 0
        /// Sink records that differ from their mapped source, reconcile differences,
        /// reconciles that did not finish, and rules that do not hold: the demo fails on any.
        public var mismatches: Int {
            checks.reduce(0) { $0 + $1.mismatches } + reconciles.reduce(0) { $0 + $1.differences + ($1.state == "done" ? 0 : 1) }
                + expectations.filter { !$0.holds }.count
        }
    }

    static let marker = ".ferry-demo"
    let options: Options
    let logger: Logger

    public init(options: Options, logger: Logger) {
        self.options = options
        self.logger = logger
    }

    /// Runs the scenario: one that declares its steps in `scenario.yaml` through
    /// `ScenarioRun`; the foreign-affairs sync through its built-in official-travel line
    /// below, then the steps of its other lines.
    /// - Throws: the first failure, located; a report with mismatches is returned, not thrown.
    public func run() throws -> Report {
        let plan = try ScenarioPlan.load(try ScenarioFiles.root().appendingPathComponent("Ops/scenarios/\(options.scenario)/scenario.yaml"))
        let scenario = ScenarioRun(demo: self, plan: plan)
        if !plan.steps.isEmpty, plan.builtin == nil { return try scenario.run() }
        let started = Date()
        try prepareDirectory()
        let deployment = try Deployment.load(options.directory.appendingPathComponent("ferry.yaml").path)
        try scenario.checkPlan(deployment)
        try seedSystems(deployment.topology)
        let extranet = try Node(deployment: deployment, name: "extranet-gw", logger: logger, auditCounter: options.auditCounter)
        let jinhong = try Node(deployment: deployment, name: "jinhong-gw", logger: logger, auditCounter: options.auditCounter)
        let passport = try Node(deployment: deployment, name: "passport-gw", logger: logger, auditCounter: options.auditCounter)

        var report = Report(directory: options.directory)
        let nodes = [extranet, jinhong, passport]
        // Each flow is reconciled as soon as it is delivered: the next business step changes
        // its sink's copy (approval stamps the application, issuance the order).
        func deliver(_ flow: String, from sender: Node, to receiver: Node) throws {
            report.hops.append(try hop(flow, from: sender, to: receiver))
            if options.reconcile { report.reconciles += try reconcile(deployment.topology, nodes: nodes, flows: [flow]) }
        }
        try deliver("applications-to-jinhong", from: extranet, to: jinhong)
        try approveAll(deployment)
        try deliver("approvals-to-passport", from: jinhong, to: passport)
        try issueAll(deployment)
        try deliver("status-to-jinhong", from: passport, to: jinhong)
        try deliver("status-to-extranet", from: jinhong, to: extranet)
        try scenario.runSteps(deployment, nodes: nodes, into: &report)
        try scenario.verify(deployment, nodes: nodes, into: &report)
        report.seconds = Date().timeIntervalSince(started)
        return report
    }

    /// One hop: sync on the sending node while the far side receives what it ships, then
    /// receive the receipts back on the sender.
    func hop(_ flow: String, from sender: Node, to receiver: Node) throws -> Hop {
        let started = Date()
        let far = ConcurrentReceiver(receiver)
        let synced = Result { try sender.sync(flow: flow) }
        let received = try far.finish()
        let sync = try synced.get()
        let receipts = try sender.receive()
        guard sync.held.isEmpty else {
            throw FerryError(.demoHeld, "bundles of \(flow) were held: \(sync.held.joined(separator: "; "))")
        }
        guard received.bundlesRejected == 0, receipts.bundlesRejected == 0 else {
            throw FerryError(.demoRejected, "bundles were rejected on \(flow): \((received.rejections + receipts.rejections).joined(separator: "; "))")
        }
        return Hop(
            flow: flow, route: "\(sender.zone) → \(receiver.zone)", pulled: sync.pulled, quarantined: sync.quarantined,
            bundles: sync.bundles.count, receipts: receipts.receiptsAccepted, applied: received.applied, rejected: received.rejected,
            seconds: Date().timeIntervalSince(started))
    }

    /// Starts from an empty directory, or one an earlier demo made (marked), never anything
    /// else; copies the scenario's files in, with each of `substitutions` written into
    /// ferry.yaml (the address of a server started for the run).
    func prepareDirectory(substitutions: [String: String] = [:]) throws {
        let manager = FileManager.default
        let directory = options.directory
        if manager.fileExists(atPath: directory.path) {
            let contents = try manager.contentsOfDirectory(atPath: directory.path)
            guard contents.isEmpty || contents.contains(Self.marker) else {
                throw FerryError(.config, "\(directory.path) exists and is not a Ferry demo directory",
                    hint: "choose an empty or new directory with --dir")
            }
            try manager.removeItem(at: directory)
        }
        try manager.createDirectory(at: directory, withIntermediateDirectories: true)
        try Data().write(to: directory.appendingPathComponent(Self.marker))
        let root = try ScenarioFiles.root()
        let scenario = root.appendingPathComponent("Ops/scenarios").appendingPathComponent(options.scenario)
        for name in try FileManager.default.contentsOfDirectory(atPath: scenario.path) {
            try ScenarioFiles.copy(scenario.appendingPathComponent(name), to: directory.appendingPathComponent(name))
        }
        if !substitutions.isEmpty {
            let config = directory.appendingPathComponent("ferry.yaml")
            let text = try substitutions.reduce(String(contentsOf: config, encoding: .utf8)) { $0.replacingOccurrences(of: $1.key, with: $1.value) }
            try Data(text.utf8).write(to: config)
        }
        if let store = options.store { try NodeStores.usePostgres(store, in: directory.appendingPathComponent("ferry.yaml")) }
        try ScenarioFiles.copy(root.appendingPathComponent("Mappings"), to: directory.appendingPathComponent("Mappings"))
        // One key per suite each node's channels use; the scenario names SM keys NODE-sm.
        let file = directory.appendingPathComponent("ferry.yaml")
        let topology = try TopologyLoader.parse(
            try ConfigNode.load(file: file), file: file.path, baseDirectory: file.deletingLastPathComponent())
        try ScenarioFiles.createTransferAreas(topology)
        try FileManager.default.createDirectory(at: directory.appendingPathComponent("keys"), withIntermediateDirectories: true)
        try DigestKey.generate(algorithm: "hmac-sha256").write(to: directory.appendingPathComponent("keys/records.digest"))
        for node in topology.nodes {
            let suites = Set(topology.channels.filter { $0.from == node.zone || $0.to == node.zone }.map(\.suite))
            for suite in suites.sorted() {
                let name = suite == Suite.defaultSuite ? node.name : "\(node.name)-sm"
                _ = try NodeKey.generate(node: node.name, suite: suite).write(to: directory.appendingPathComponent("keys"), name: name)
            }
        }
    }

    func systemDatabase(_ name: String, _ topology: Topology) throws -> SQLiteSystemFile {
        try SQLiteSystemFile(path: try systemPath(name, topology))
    }

    /// Where SQLite system `name` keeps its database: business steps and rules run there.
    /// - Throws: `FerryError(.config)` when ferry.yaml has no SQLite system by that name.
    func systemPath(_ name: String, _ topology: Topology) throws -> URL {
        guard let system = topology.system(named: name), system.adapter == "sqlite", let path = system.options["path"] else {
            let sqlite = topology.systems.filter { $0.adapter == "sqlite" }.map(\.name)
            throw FerryError(.config, "the scenario names \(name), which is not a sqlite system with a path in ferry.yaml",
                hint: "business steps and rules run on SQLite systems: \(sqlite.joined(separator: ", "))")
        }
        return URL(fileURLWithPath: try path.string("path"), relativeTo: topology.baseDirectory)
    }

    /// Creates the three systems from their schema files and fills the portal.
    func seedSystems(_ topology: Topology) throws {
        for name in ["portal", "approval", "issuance"] {
            let schema = try String(contentsOf: options.directory.appendingPathComponent("systems/\(name).sql"), encoding: .utf8)
            try systemDatabase(name, topology).execute(schema)
        }
        var data = DemoData(seed: 20_260_301)
        let base = Date(timeIntervalSince1970: 1_795_000_000)
        let columns = ["app_no", "applicant_name", "id_card", "sex", "employer_uscc", "destinations", "depart_on", "return_on", "purpose", "updated_at"]
        let (records, badEvery) = (options.records, options.badEvery)
        // Generated as inserted: the portal's rows are never all in memory.
        try systemDatabase("portal", topology).insert(into: "applications", columns: columns, rows: (0..<records).lazy.map { index -> [String?] in
            let bad = badEvery > 0 && index % badEvery == badEvery - 1
            let application = data.application(index: index, bad: bad, base: base)
            return columns.map { application.row[$0] ?? "" }
        })
    }

    /// The jinhong officers approve every application: status 03 and the approval time,
    /// which is the cursor the passport flow reads by (`steps/approve-all.sql`).
    func approveAll(_ deployment: Deployment) throws {
        try runSQL("steps/approve-all.sql", on: "approval", deployment, stamp: "yyyyMMddHHmmss")
    }

    /// The issuance office issues a passport for every approved order (`steps/issue-all.sql`).
    func issueAll(_ deployment: Deployment) throws {
        try runSQL("steps/issue-all.sql", on: "issuance", deployment, stamp: "yyyy-MM-dd HH:mm:ss")
    }

    /// Runs one of the scenario's business steps, an SQL file of its directory, on SQLite
    /// system `system`; with `stamp`, the time it happens is its one parameter: now, on the
    /// system's own wall clock (`wallClockOffset`), in that pattern.
    func runSQL(_ file: String, on system: String, _ deployment: Deployment, stamp: String?) throws {
        let script = try String(contentsOf: options.directory.appendingPathComponent(file), encoding: .utf8)
        let now = Date().addingTimeInterval(Double(try wallClockOffset(of: system, deployment)))
        try systemDatabase(system, deployment.topology).execute(script, arguments: stamp.map { [DemoData.format(now, $0)] } ?? [])
    }

    /// The UTC offset, in seconds, of the wall clock system `name` keeps: the zone of its
    /// mappings' timestamp formats (their `timezone:`), UTC when none has one. A stamp in
    /// UTC would be read eight hours early by a system on Beijing time.
    /// - Throws: `FerryError(.config)` when the system's mappings keep times in several zones,
    ///   which leaves no one clock to stamp by.
    func wallClockOffset(of name: String, _ deployment: Deployment) throws -> Int {
        guard let system = deployment.topology.system(named: name) else { return 0 }
        var offsets = Set<Int>()
        for entity in system.maps.keys {
            let mapping = try deployment.mapping(system: name, entity: entity)
            offsets.formUnion(mapping.rules.compactMap(\.format).filter(\.hasTime).map(\.utcOffset))
        }
        guard offsets.count <= 1 else {
            throw FerryError(.config, "\(name)'s mappings keep times in \(offsets.count) different zones, so a step has no one clock to stamp by",
                hint: "give the system's mappings one timezone:, or stamp the step's time in the SQL file itself")
        }
        return offsets.first ?? 0
    }
}

extension FerryError.Code {
    /// The demo's run held bundles, or the far side rejected some: the demo failed.
    static let demoHeld: Self = "demo.held"
    static let demoRejected: Self = "demo.rejected"
}
