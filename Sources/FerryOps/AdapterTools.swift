import Foundation
import FerryCore
import FerryAdapters
import FerryMapping
public import FerryNode

/// `ferry adapters`: what adapter types exist, and whether a configured system answers.
public enum AdapterTools {
    public struct TypeInfo: Sendable {
        public var type: String
        public var role: String
        public var options: String
    }

    public static var types: [TypeInfo] { AdapterRegistry.catalogue.map { TypeInfo(type: $0.type, role: $0.role, options: $0.options) } }

    /// Installs change-capture triggers on each table of a database system, keyed by the
    /// columns its mappings store the entity's key and version in; returns the triggers made.
    public static func installCapture(_ deployment: Deployment, node: String, system name: String) throws -> [String] {
        let topology = deployment.topology
        guard let system = topology.system(named: name) else {
            throw FerryError(.config, "no system \(name) in \(topology.file)", hint: "known: \(topology.systems.map(\.name).joined(separator: ", "))")
        }
        guard topology.node(named: node)?.zone == system.zone else {
            throw FerryError(.config, "node \(node) is not in zone \(system.zone), where \(name) is", at: .file(system.location))
        }
        var created: [String] = []
        for entity in system.maps.keys.sorted() {
            let mapping = try deployment.mapping(system: name, entity: entity)
            let keys = mapping.entity.key.compactMap { mapping.rule(for: $0)?.column }
            guard keys.count == mapping.entity.key.count else {
                throw FerryError(.config, "mapping \(mapping.name) does not keep every key field in a column", hint: "map the key to columns")
            }
            guard let capturing = try AdapterRegistry.adapter(for: system, entity: entity, topology: topology) as? any ChangeCapturing else {
                throw FerryError(.config, "system \(name) (adapter \(system.adapter)) has no change capture", at: .file(system.location),
                    hint: "install-capture works on sqlite, postgres and mysql systems, and odbc systems of dialect mysql, postgresql or sqlite")
            }
            created += try capturing.installCapture(keyColumns: keys, versionColumn: mapping.rule(for: mapping.entity.version)?.column)
        }
        return created
    }

    /// One system's answer per entity it maps: reachable, and the fields it offers.
    public struct Probe: Sendable {
        public var entity: String
        public var columns: [String]
        /// Columns the mapping reads that the system does not offer.
        public var missing: [String]
        /// Things that work but will hurt, like a cursor column without an index.
        public var warnings: [String] = []
    }

    /// Connects to `system` as node `node` would (same zone) and discovers what it offers.
    public static func check(_ deployment: Deployment, node: String, system name: String) throws -> [Probe] {
        let topology = deployment.topology
        guard let system = topology.system(named: name) else {
            throw FerryError(.config, "no system \(name) in \(topology.file)", hint: "known: \(topology.systems.map(\.name).joined(separator: ", "))")
        }
        guard let owner = topology.node(named: node) else {
            throw FerryError(.config, "no node \(node) in \(topology.file)", hint: "known: \(topology.nodes.map(\.name).joined(separator: ", "))")
        }
        guard owner.zone == system.zone else {
            throw FerryError(.config, "system \(name) is in zone \(system.zone); node \(node) is in \(owner.zone) and cannot reach it",
                at: .file(system.location), hint: "run the check on a node of zone \(system.zone)")
        }
        return try system.maps.keys.sorted().map { entity in
            let source = try AdapterRegistry.source(for: system, entity: entity, topology: topology)
            try Node.fromSource { try source.check() }
            let columns = try Node.fromSource { try source.discover() }
            let mapping = try deployment.mapping(system: name, entity: entity)
            let wanted = mapping.rules.flatMap { $0.column.map { [$0] } ?? $0.concat }
            var probe = Probe(entity: entity, columns: columns, missing: columns.isEmpty ? [] : wanted.filter { !columns.contains($0) })
            if let indexed = source as? any CursorIndexed, try indexed.cursorIndexed() == false {
                probe.warnings.append("the cursor column has no index: every incremental batch scans the whole table (see docs/adapters.md)")
            }
            if let inspecting = source as? any CursorInspecting, let health = try inspecting.cursorHealth() {
                probe.warnings += health.warnings
            }
            if let advising = source as? any ReadAdvising {
                probe.warnings += advising.readWarnings
            }
            let unmapped = columns.filter { !mapping.knownColumns.contains($0) && $0 != Mapping.operationColumn }
            if mapping.unmapped == .fail, !unmapped.isEmpty {
                probe.warnings.append("columns the mapping does not know: \(unmapped.joined(separator: ", ")); with unmapped_fields: fail "
                    + "every row is quarantined (map them, list them under ignore:, or set unmapped_fields: drop)")
            }
            return probe
        }
    }
}
