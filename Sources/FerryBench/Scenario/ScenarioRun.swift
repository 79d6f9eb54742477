import Foundation
import FerryCore
import FerryMapping
import FerryAdapters
import FerryNode
import FerryOps
import Logging

/// Runs a scenario that declares its own steps (`scenario.yaml`): starts its servers,
/// builds the deployment in a fresh directory, makes the tables, seeds the sources through
/// their own mappings, delivers each flow in turn (reconciling it as soon as it lands),
/// then checks every sink against its source and verifies every audit chain.
struct ScenarioRun {
    let demo: Demo
    let plan: ScenarioPlan

    func run() throws -> Demo.Report {
        let started = Date()
        let root = try ScenarioFiles.root()
        let servers = try ScenarioServers(plan: plan, scenario: demo.options.scenario, directory: demo.options.directory, root: root)
        try demo.prepareDirectory(substitutions: servers.substitutions)
        let directory = demo.options.directory
        try ScenarioFiles.copy(root.appendingPathComponent("Ops/adapters"), to: directory.appendingPathComponent("adapters"))
        let deployment = try Deployment.load(directory.appendingPathComponent("ferry.yaml").path)
        try checkPlan(deployment)
        try makeFolders(deployment.topology)
        try makeTables(deployment)
        try seed(deployment)

        var report = Demo.Report(directory: directory)
        let nodes = try deployment.topology.nodes.map {
            try Node(deployment: deployment, name: $0.name, logger: demo.logger, auditCounter: demo.options.auditCounter)
        }
        try runSteps(deployment, nodes: nodes, into: &report)
        try verify(deployment, nodes: nodes, into: &report)
        withExtendedLifetime(servers) {}
        report.seconds = Date().timeIntervalSince(started)
        return report
    }

    /// After the last step: every target of every flow against its source (a refused flow's
    /// targets must hold none of it), every system's rows, every node's chain, every rule.
    func verify(_ deployment: Deployment, nodes: [Node], into report: inout Demo.Report) throws {
        var check = FlowCheck(deployment: deployment, scratch: demo.options.directory.appendingPathComponent("state/check.db"))
        for flow in deployment.topology.flows {
            report.checks += try check.compare(flow).map { var check = $0; check.expectRefused = plan.refused.contains(flow.name); return check }
        }
        report.systems = check.systemCounts()
        for node in nodes where demo.options.auditCounter == nil {
            report.audit.append((node.name, try node.verifyAudit().entries, node.store.location))
        }
        report.expectations = expectations(deployment.topology)
    }

    /// Runs the steps in order: each delivery reconciled as soon as it lands, before the
    /// next business step changes its sink's copy.
    func runSteps(_ deployment: Deployment, nodes: [Node], into report: inout Demo.Report) throws {
        for (step, at) in plan.steps {
            switch step {
            case .deliver(let name):
                let flows = try Self.flows(name, in: deployment.topology)
                report.hops.append(try deliver(name, flows: flows, topology: deployment.topology, nodes: nodes))
                let compared = Set(flows.map(\.name)).subtracting(plan.refused)
                if demo.options.reconcile, !compared.isEmpty { report.reconciles += try demo.reconcile(deployment.topology, nodes: nodes, flows: compared) }
            case .sql(let system, let file, let stamp):
                do {
                    try demo.runSQL(file, on: system, deployment, stamp: stamp)
                } catch let error as FerryError {
                    // Only a missing argument is a missing stamp:; anything else is the file's own.
                    let unbound = stamp == nil && error.message.localizedCaseInsensitiveContains("argument")
                    throw FerryError(error.code, "step \(file) on \(system): \(error.message)", at: .file(at),
                        hint: unbound ? "the file takes the time as its one parameter (?1): give stamp: with its pattern" : "run the file with sqlite3 on a copy of the system to see why")
                }
            }
        }
    }

    /// Finds what would stop the run half-way, before anything runs: a step naming a flow,
    /// a system or a file that is not there, or a rule on a system the demo cannot query.
    /// - Throws: `FerryError(.config)` located at the step or rule in scenario.yaml.
    func checkPlan(_ deployment: Deployment) throws {
        let topology = deployment.topology
        func located(_ at: SourceLocation, _ body: () throws -> Void) throws {
            do { try body() } catch let error as FerryError { throw FerryError(error.code, error.message, at: .file(at), hint: error.hint) }
        }
        for (step, at) in plan.steps {
            switch step {
            case .deliver(let name):
                try located(at) { _ = try Self.flows(name, in: topology) }
            case .sql(let system, let file, let stamp):
                try located(at) {
                    _ = try demo.systemPath(system, topology)
                    if stamp != nil { _ = try demo.wallClockOffset(of: system, deployment) }
                }
                guard FileManager.default.fileExists(atPath: demo.options.directory.appendingPathComponent(file).path) else {
                    throw FerryError(.config, "step file \(file) is not in the scenario's directory", at: .file(at),
                        hint: "name a file beside scenario.yaml, such as steps/NAME.sql")
                }
            }
        }
        for rule in plan.expectations { try located(rule.at) { _ = try demo.systemPath(rule.system, topology) } }
    }

    /// Counts, for each of the scenario's rules across entities, the rows that break it. A
    /// rule whose query fails, or gives anything but one whole number, fails with the reason;
    /// the others are still counted.
    func expectations(_ topology: Topology) -> [Demo.Expected] {
        plan.expectations.map { rule in
            var outcome = Demo.Expected(says: rule.says, system: rule.system, want: rule.want, found: -1)
            do {
                if let found = try demo.systemDatabase(rule.system, topology).count(rule.count) {
                    outcome.found = found
                } else {
                    outcome.problem = "\(rule.at): the query gives no single whole number; write SELECT count(*) FROM …"
                }
            } catch let error as FerryError {
                outcome.problem = "\(rule.at): \(error.message)"
            } catch {
                outcome.problem = "\(rule.at): \(error)"
            }
            return outcome
        }
    }

    /// The systems' own places: `data/` for their files, and the folders of the folder
    /// systems (on a real deployment, the shares the other systems read and write).
    func makeFolders(_ topology: Topology) throws {
        try FileManager.default.createDirectory(at: topology.baseDirectory.appendingPathComponent("data"), withIntermediateDirectories: true)
        for system in topology.systems {
            for entity in system.maps.keys {
                guard case .folder(let options) = try AdapterRegistry.configured(system, entity: entity, topology: topology) else { continue }
                for folder in [options.folder, options.out].compactMap({ $0 }) {
                    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
                }
            }
        }
    }

    /// Runs each schema file on the systems it names, with `{table}` the system's table.
    func makeTables(_ deployment: Deployment) throws {
        let topology = deployment.topology
        for schema in plan.schemas {
            let text = try String(contentsOf: demo.options.directory.appendingPathComponent(schema.file), encoding: .utf8)
            for name in schema.systems {
                guard let system = topology.system(named: name) else {
                    throw FerryError(.config, "schema \(schema.file) names system \(name), which ferry.yaml does not have",
                        hint: "systems: \(topology.systems.map(\.name).joined(separator: ", "))")
                }
                let entity = try schemaEntity(schema, system: system, deployment: deployment)
                try ScenarioTables.create(text, system: system, entity: entity, topology: topology)
            }
        }
    }

    /// The entity whose table a schema file makes: the one its file name's mapping serves
    /// when the system maps several (`municipal-approval.sql` ↔ `municipal-approval.yaml`).
    private func schemaEntity(_ schema: ScenarioPlan.Schema, system: Topology.System, deployment: Deployment) throws -> String {
        if system.maps.count == 1, let only = system.maps.keys.first { return only }
        let stem = URL(fileURLWithPath: schema.file).deletingPathExtension().lastPathComponent
        guard let entity = system.maps.first(where: { $0.value.deletingPathExtension().lastPathComponent == stem })?.key else {
            throw FerryError(.config, "schema \(schema.file) is for \(system.name), which maps several entities, and no mapping file is called \(stem).yaml",
                hint: "name the schema file after the mapping of the entity it makes the table of")
        }
        return entity
    }

    /// Writes each seed's generated records through its system's mapping and sink.
    func seed(_ deployment: Deployment) throws {
        for (seed, count) in zip(plan.seeds, plan.counts(records: demo.options.records)) {
            let spec = try SeedSpec.load(demo.options.directory.appendingPathComponent(seed.file))
            guard let system = deployment.topology.system(named: spec.system) else {
                throw FerryError(.config, "seed \(seed.file) is for system \(spec.system), which ferry.yaml does not have",
                    hint: "fix system: in the seed file")
            }
            let mapping = try deployment.mapping(system: spec.system, entity: spec.entity)
            let sink = try SystemAdapters.sink(for: system, mapping: mapping, topology: deployment.topology)
            let schema = mapping.entity
            var batch: [SinkRow] = []
            func flush() throws {
                let refused = try sink.apply(batch).compactMap { if case .rejected(let reason) = $0 { reason } else { nil } }
                guard refused.isEmpty else {
                    throw FerryError.adapter(.permanent, "seeding \(spec.system) was refused: \(refused[0])",
                        hint: "the generated records must fit the system's table: check the seed file against its schema")
                }
                batch.removeAll(keepingCapacity: true)
            }
            for n in 0..<count {
                let fields = try spec.fields(n)
                let record = Record(entity: spec.entity, key: schema.key.map { fields[$0]?.text ?? "" },
                    version: fields[schema.version]?.text ?? "", fields: fields)
                var row = try mapping.write(Self.withoutContent(record))
                Self.writeContent(of: record, into: &row, mapping: mapping)
                let key = Dictionary(schema.key.compactMap { field in mapping.rule(for: field)?.column.map { ($0, row[$0] ?? .null) } }) { a, _ in a }
                batch.append(SinkRow(key: key, values: row))
                if batch.count == 1000 { try flush() }
            }
            if !batch.isEmpty { try flush() }
        }
    }

    /// The flow called `name`, or every flow the trigger called `name` produces.
    static func flows(_ name: String, in topology: Topology) throws -> [Topology.Flow] {
        let flows = topology.flows.filter { $0.name == name || $0.trigger?.name == name }
        guard !flows.isEmpty else {
            throw FerryError(.config, "the scenario delivers \(name), which ferry.yaml has neither as a flow nor as a trigger",
                hint: "flows: \(topology.flows.map(\.name).joined(separator: ", "))")
        }
        return flows
    }

    /// A seeded record without the documents it carries: a system holds their content, not
    /// a reference to a blob store no node has filled yet.
    static func withoutContent(_ record: FerryCore.Record) -> FerryCore.Record {
        var bare = record
        bare.fields = record.fields.filter { if case .document = $0.value { false } else { true } }
        return bare
    }

    /// Each generated document's content into its column (a BLOB), its name into the name column.
    static func writeContent(of record: FerryCore.Record, into row: inout [String: Value], mapping: Mapping) {
        for (field, value) in record.fields {
            guard case .document(let document) = value, let content = document.content, let rule = mapping.rule(for: field),
                let column = rule.column else { continue }
            row[column] = .bytes(content)
            if let nameColumn = rule.documentName { row[nameColumn] = .string(document.name) }
        }
    }

    /// One exchange: sync each flow on its source's node (applying within the zone), then
    /// receive once on every node across a gap, then take the receipts back.
    func deliver(_ name: String, flows: [Topology.Flow], topology: Topology, nodes: [Node]) throws -> Demo.Hop {
        let started = Date()
        guard let source = topology.system(named: flows[0].from), let sender = nodes.first(where: { $0.zone == source.zone }),
            flows.allSatisfy({ $0.from == source.name })
        else {
            throw FerryError(.config, "the scenario delivers \(name), whose flows do not all start at one system in a zone with a node",
                hint: "deliver the flows one by one")
        }
        let zones = Set(flows.flatMap(\.to).compactMap { topology.system(named: $0)?.zone }).subtracting([sender.zone])
        var hop = Demo.Hop(flow: name, route: ([sender.zone] + zones.sorted()).joined(separator: " → "), pulled: 0,
            quarantined: 0, bundles: 0, receipts: 0, applied: 0, rejected: 0, seconds: 0)
        for flow in flows {
            let sync = try sender.sync(flow: flow.name)
            guard sync.held.isEmpty else {
                throw FerryError(.demoHeld, "bundles of \(flow.name) were held: \(sync.held.joined(separator: "; "))", hint: "check the gap directory's space and permissions")
            }
            // A trigger's flows all read the same changes: the hop counts them once.
            (hop.pulled, hop.untriggered) = (max(hop.pulled, sync.pulled), max(hop.untriggered, sync.untriggered))
            (hop.quarantined, hop.bundles) = (hop.quarantined + sync.quarantined, hop.bundles + sync.bundles.count)
            (hop.applied, hop.rejected) = (hop.applied + sync.appliedLocally, hop.rejected + sync.rejectedLocally)
        }
        for receiver in nodes where zones.contains(receiver.zone) {
            let received = try receiver.receive()
            guard received.bundlesRejected == 0 else {
                throw FerryError(.demoRejected, "bundles were rejected on \(name): \(received.rejections.joined(separator: "; "))",
                    hint: "the nodes' keys and trust lists must match: run the demo in a fresh directory")
            }
            (hop.applied, hop.rejected) = (hop.applied + received.applied, hop.rejected + received.rejected)
        }
        hop.receipts = try sender.receive().receiptsAccepted
        hop.seconds = Date().timeIntervalSince(started)
        return hop
    }
}
