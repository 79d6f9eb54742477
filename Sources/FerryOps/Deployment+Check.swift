import Foundation
public import FerryCore
import FerryMapping
import FerrySeal
import FerryAdapters
public import FerryNode

/// What `ferry check` found: what was verified, what deserves attention, and every
/// failing inline mapping test.
public struct CheckReport: Sendable {
    public var checked: [String] = []
    public var notes: [String] = []
    public var failures: [FerryError] = []
    public var testsRun = 0

    public var passed: Bool { failures.isEmpty }
}

extension Deployment {
    /// Validates everything the topology names: entities, mappings (and their inline
    /// tests), adapter options, keys and the suites channels need. Structural errors
    /// throw; failing mapping tests are collected so an engineer sees all of them at once.
    public func check(node: String? = nil) throws -> CheckReport {
        var report = CheckReport()
        report.checked.append("topology \(topology.file): \(topology.zones.count) zones, \(topology.nodes.count) nodes, "
            + "\(topology.channels.count) channels, \(topology.systems.count) systems, \(topology.flows.count) flows")
        for reference in topology.entities {
            let schema = try entity(reference.name)
            report.checked.append("entity \(schema.name): key \(schema.key.joined(separator: "+")), version \(schema.version), \(schema.fields.count) fields")
        }
        for system in topology.systems {
            for entityName in system.maps.keys.sorted() {
                let compiled = try mapping(system: system.name, entity: entityName)
                for result in compiled.runTests(inlineDigester: .inlineTest) {
                    report.testsRun += 1
                    if !result.passed {
                        report.failures.append(FerryError(.mappingTest, "test '\(result.test)' fails: \(result.detail)",
                            at: .file(result.location), hint: "fix the mapping or the test's expectation"))
                    }
                }
                report.checked.append("mapping \(compiled.name) (\(compiled.file)): \(compiled.rules.count) fields, \(compiled.tests.count) tests")
                try checkAdapter(system, entity: entityName, report: &report)
            }
        }
        // A flow needs its source's mapping to read and each target's to write.
        for flow in topology.flows {
            // A trigger's flow reads the entity it watches at its source.
            let sides = [(flow.from, flow.trigger?.entity ?? flow.entity, Mapping.Direction.read)] + flow.to.map { ($0, flow.entity, Mapping.Direction.write) }
            for (system, entity, direction) in sides {
                guard topology.system(named: system)?.maps[entity] != nil else { continue }
                let compiled = try mapping(system: system, entity: entity)
                if !compiled.directions.contains(direction) {
                    report.failures.append(FerryError(.config,
                        "flow \(flow.name) needs mapping \(compiled.name) to \(direction.rawValue), but it only \(compiled.directions.map(\.rawValue).sorted().joined(separator: " and ")): \(compiled.file)",
                        at: .file(flow.location),
                        hint: direction == .write
                            ? "its lossy rules (replace, extract, joined columns) cannot be undone: give \(system) a mapping that writes"
                            : "allow read in its directions:"))
                }
            }
        }
        try checkTriggers(report: &report)
        try checkKeys(node: node, report: &report)
        if let file = topology.digestKey {
            if FileManager.default.fileExists(atPath: file.path) {
                let key = try DigestKey.load(file)
                report.checked.append("digest key \(key.id) (\(key.algorithm)), mode 0600")
            } else {
                report.notes.append("digest key \(file.path) is not on this machine; nodes that reconcile or trace need a copy")
            }
        }
        for channel in topology.channels {
            for directory in [channel.forward] + (channel.returnPath.map { [$0] } ?? [])
            where !FileManager.default.fileExists(atPath: directory.path) {
                report.notes.append("transfer area \(directory.path) of \(channel.from)↔\(channel.to) does not exist here; bundles wait until it does")
            }
        }
        report.notes += uploadExposureNotes()
        return report
    }

    /// Each trigger's flows: conditions on fields its entity has, a derivation mapping that
    /// compiles, names the trigger and passes its inline tests.
    func checkTriggers(report: inout CheckReport) throws {
        for flow in topology.flows {
            guard let trigger = flow.trigger else { continue }
            let source = try flowSource(flow)
            guard let derivation = source.derivation else { continue }
            for result in derivation.runTests(inlineDigester: .inlineTest) {
                report.testsRun += 1
                if !result.passed {
                    report.failures.append(FerryError(.mappingTest, "test '\(result.test)' fails: \(result.detail)",
                        at: .file(result.location), hint: "fix the derivation or the test's expectation"))
                }
            }
            let when = trigger.conditions.isEmpty ? "on every change" : "when " + trigger.conditions.map { "\($0.field) \($0.equals ? "==" : "!=") '\($0.literal)'" }
                .joined(separator: " and ")
            report.checked.append("trigger \(trigger.name): \(trigger.entity) at \(flow.from) \(when) makes \(flow.entity) by \(derivation.file) for \(flow.to.joined(separator: ", "))")
        }
    }

    /// Parses the system's options as sync would (the same lookup), and notes what is
    /// missing on this machine; connecting is left to `ferry adapters check`.
    private func checkAdapter(_ system: Topology.System, entity: String, report: inout CheckReport) throws {
        switch try AdapterRegistry.configured(system, entity: entity, topology: topology) {
        case .sqlite(let options):
            if !FileManager.default.fileExists(atPath: options.path.path) {
                report.notes.append("system \(system.name): database \(options.path.path) does not exist yet")
            }
        case .folder(let options):
            for folder in [options.folder, options.out].compactMap({ $0 }) where !FileManager.default.fileExists(atPath: folder.path) {
                report.notes.append("system \(system.name): folder \(folder.path) does not exist yet")
            }
        case .http(let options):
            report.notes += options.readWarnings.map { "system \(system.name), \(entity): warning: \($0)" }
        case .postgres, .mysql, .odbc, .exec, .airbyte:
            break
        }
    }

    private func checkKeys(node: String?, report: inout CheckReport) throws {
        let trust = try trustStore()
        for key in trust.all {
            report.checked.append("trusted key of \(key.node): \(key.suite) \(key.keyID)")
        }
        for channel in topology.channels {
            for zone in [channel.from, channel.to] {
                guard let owner = topology.node(inZone: zone) else { continue }
                guard trust.current(forNode: owner.name, suite: channel.suite) != nil else {
                    throw FerryError(.config, "channel \(channel.from)↔\(channel.to) uses \(channel.suite), but node \(owner.name) has no trusted key of that suite",
                        at: .file(channel.location), hint: "generate a \(channel.suite) key for \(owner.name) with 'ferry keys generate --suite \(channel.suite)'")
                }
            }
        }
        for configured in topology.nodes where node == nil || configured.name == node {
            for file in configured.keyFiles {
                guard FileManager.default.fileExists(atPath: file.path) else {
                    if node != nil {
                        throw FerryError(.config, "private key of node \(configured.name) not found: \(file.path)",
                            at: .file(configured.location), hint: "run 'ferry keys generate' on this node, or fix key:")
                    }
                    report.notes.append("private key \(file.lastPathComponent) of \(configured.name) is not on this machine (expected on that node only)")
                    continue
                }
                let key: NodeKey
                do { key = try NodeKey.load(file) } catch var error as FerryError {
                    if error.location == nil { error.location = .file(configured.location) }
                    throw error
                }
                guard trust.key(id: key.keyID) != nil else {
                    throw FerryError(.config, "the private key of \(configured.name) (\(key.keyID)) matches no public key under trust:",
                        at: .file(configured.location), hint: "list its .pub file under trust: \(configured.name)")
                }
                report.checked.append("private key of \(configured.name): \(key.suite) \(key.keyID), mode 0600")
            }
        }
    }
}
