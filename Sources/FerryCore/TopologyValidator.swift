import Foundation

/// Cross-reference checks over a parsed topology. Each error points at the entry at fault.
public enum TopologyValidator {
    public static func validate(_ topology: Topology) throws {
        let zones = try unique(topology.zones.map { ($0.name, $0.location) }, kind: "zone")
        _ = try unique(topology.nodes.map { ($0.name, $0.location) }, kind: "node")
        let systems = try unique(topology.systems.map { ($0.name, $0.location) }, kind: "system")
        _ = try unique(topology.flows.map { ($0.name, $0.location) }, kind: "flow")
        let entities = try unique(topology.entities.map { ($0.name, $0.location) }, kind: "entity")
        // Checked in this fixed order so that a file with several faults always reports the
        // same one first.
        try checkNodes(topology, zones: zones)
        try checkTrust(topology)
        try checkChannels(topology, zones: zones)
        try checkCodeTables(topology)
        for entity in topology.entities {
            try fileMustExist(entity.file, at: entity.location, what: "entity file for \(entity.name)", hint: "fix the path under entities:")
        }
        try checkSystems(topology, zones: zones, entities: entities)
        for flow in topology.flows {
            try checkFlow(flow, in: topology, entities: entities, systems: systems)
        }
    }

    /// Each node sits in a known zone, alone there, and has a trusted public key.
    static func checkNodes(_ topology: Topology, zones: Set<String>) throws {
        var zoneOwners: [String: String] = [:]
        var storeOwners: [String: String] = [:]
        for node in topology.nodes {
            // Two nodes in one store would mix their queues and interleave their audit
            // chains beyond repair: the append-only tables cannot be split again.
            if let other = storeOwners[node.store.identity(node: node.name)] {
                throw FerryError(
                    .config, "nodes \(other) and \(node.name) have the same store", at: .file(node.location),
                    hint: "give each node its own file, or its own schema= on PostgreSQL")
            }
            storeOwners[node.store.identity(node: node.name)] = node.name
            guard zones.contains(node.zone) else {
                throw located(node.location, "node \(node.name) is in unknown zone '\(node.zone)'", known: zones, kind: "zones")
            }
            if let other = zoneOwners[node.zone] {
                throw FerryError(
                    .config, "zone \(node.zone) has two nodes, \(other) and \(node.name)", at: .file(node.location),
                    hint: "one node per zone; several workers of one node share its store instead")
            }
            zoneOwners[node.zone] = node.name
            try mustExist(topology.trust.first { $0.node == node.name } != nil, node.location,
                "node \(node.name) has no trusted public key", hint: "add 'trust: { \(node.name): keys/\(node.name).pub }'")
            // A node's private key lives only on that node's machine, so its absence here is
            // not an error; the node itself refuses to start without it.
        }
    }

    /// Each trust entry names a known node, and its public key files exist.
    static func checkTrust(_ topology: Topology) throws {
        let nodeNames = Set(topology.nodes.map(\.name))
        for entry in topology.trust {
            guard nodeNames.contains(entry.node) else {
                throw located(entry.location, "trust names unknown node '\(entry.node)'", known: nodeNames, kind: "nodes")
            }
            for file in entry.publicKeyFiles {
                try fileMustExist(file, at: entry.location, what: "public key file of \(entry.node)", hint: "copy the peer's .pub file here")
            }
        }
    }

    /// Each channel joins two different known zones, at most one per pair, with separate
    /// directories for its two directions.
    static func checkChannels(_ topology: Topology, zones: Set<String>) throws {
        var pairs = Set<String>()
        for channel in topology.channels {
            for zone in [channel.from, channel.to] where !zones.contains(zone) {
                throw located(channel.location, "channel names unknown zone '\(zone)'", known: zones, kind: "zones")
            }
            guard channel.from != channel.to else {
                throw FerryError(.config, "channel from \(channel.from) to itself", at: .file(channel.location),
                    hint: "systems in one zone exchange directly; channels join two zones")
            }
            let pair = [channel.from, channel.to].sorted().joined(separator: "|")
            guard pairs.insert(pair).inserted else {
                throw FerryError(.config, "duplicate channel between \(channel.from) and \(channel.to)", at: .file(channel.location),
                    hint: "one channel per pair of zones; use 'return:' for the opposite direction")
            }
            if channel.forward == channel.returnPath {
                throw FerryError(.config, "channel \(channel.from)→\(channel.to) uses one directory for both directions",
                    at: .file(channel.location), hint: "give 'return:' its own directory")
            }
        }
    }

    /// The code table directory exists (a missing one would fail every mapping that uses codes).
    static func checkCodeTables(_ topology: Topology) throws {
        var isDirectory: ObjCBool = false
        if !FileManager.default.fileExists(atPath: topology.codes.path, isDirectory: &isDirectory) || !isDirectory.boolValue {
            throw FerryError(.config, "code table directory not found: \(topology.codes.path)",
                at: .file(SourceLocation(file: topology.file, line: 1, column: 1)),
                hint: "put code tables under Mappings/codes beside the topology, or set 'codes: PATH'")
        }
    }

    /// Each system sits in a known zone and maps only known entities, from files that exist.
    static func checkSystems(_ topology: Topology, zones: Set<String>, entities: Set<String>) throws {
        for system in topology.systems {
            guard zones.contains(system.zone) else {
                throw located(system.location, "system \(system.name) is in unknown zone '\(system.zone)'", known: zones, kind: "zones")
            }
            for (entity, file) in system.maps {
                guard entities.contains(entity) else {
                    throw located(system.location, "system \(system.name) maps unknown entity '\(entity)'", known: entities, kind: "entities")
                }
                try fileMustExist(file, at: system.location, what: "mapping file of \(system.name) for \(entity)",
                    hint: "create it under Mappings/ or fix the path under maps:")
            }
        }
    }

    /// A flow carries a known entity from a system that maps it, in a zone some node runs,
    /// to at least one target that can receive it.
    static func checkFlow(_ flow: Topology.Flow, in topology: Topology, entities: Set<String>, systems: Set<String>) throws {
        guard entities.contains(flow.entity) else {
            throw located(flow.location, "flow \(flow.name) carries unknown entity '\(flow.entity)'", known: entities, kind: "entities")
        }
        guard let source = topology.system(named: flow.from) else {
            throw located(flow.location, "flow \(flow.name) reads from unknown system '\(flow.from)'", known: systems, kind: "systems")
        }
        // A trigger's flows read the triggering entity and derive theirs from it.
        let read = flow.trigger?.entity ?? flow.entity
        if let trigger = flow.trigger {
            guard entities.contains(trigger.entity) else {
                throw located(flow.location, "trigger \(trigger.name) watches unknown entity '\(trigger.entity)'", known: entities, kind: "entities")
            }
            // Its name is the system: its derivation mappings name; one name, one trigger.
            try mustExist(!systems.contains(trigger.name), flow.location, "trigger \(trigger.name) has the name of a system",
                hint: "name the trigger after the event (employee-departure), not a system")
            let namesakes = topology.flows.filter { $0.trigger?.name == trigger.name }
            try mustExist(namesakes.allSatisfy { $0.from == flow.from && $0.trigger?.entity == trigger.entity && $0.trigger?.conditions == trigger.conditions },
                flow.location, "two triggers are called \(trigger.name)", hint: "give each trigger its own name")
        }
        try mustExist(source.maps[read] != nil, flow.location,
            "flow \(flow.name): system \(source.name) has no mapping for \(read)",
            hint: "add 'maps: { \(read): Mappings/…yaml }' to system \(source.name)")
        try mustExist(!flow.to.isEmpty, flow.location, "flow \(flow.name) has no targets", hint: "list target systems under to:")
        try mustExist(topology.node(inZone: source.zone) != nil, flow.location,
            "flow \(flow.name): no node runs in zone \(source.zone)", hint: "add a node for zone \(source.zone)")
        for targetName in flow.to {
            try checkTarget(targetName, of: flow, source: source, in: topology, systems: systems)
        }
    }

    /// One target of a flow: a known system other than the source, that maps the entity, is
    /// writable, runs in a node's zone and, across zones, is reachable by a channel.
    static func checkTarget(
        _ targetName: String, of flow: Topology.Flow, source: Topology.System, in topology: Topology, systems: Set<String>
    ) throws {
        guard let target = topology.system(named: targetName) else {
            throw located(flow.location, "flow \(flow.name) writes to unknown system '\(targetName)'", known: systems, kind: "systems")
        }
        guard targetName != flow.from else {
            throw FerryError(.config, "flow \(flow.name) writes back into its own source \(targetName)", at: .file(flow.location))
        }
        try mustExist(target.maps[flow.entity] != nil, flow.location,
            "flow \(flow.name): target \(target.name) has no mapping for \(flow.entity)",
            hint: "add 'maps: { \(flow.entity): Mappings/…yaml }' to system \(target.name)")
        try mustExist(target.adapter != "airbyte", flow.location,
            "flow \(flow.name) writes to \(target.name), but the airbyte adapter runs source connectors only",
            hint: "read from an Airbyte source and write through another adapter (sqlite, postgres, http, exec…)")
        try mustExist(topology.node(inZone: target.zone) != nil, flow.location,
            "flow \(flow.name): no node runs in zone \(target.zone)", hint: "add a node for zone \(target.zone)")
        if target.zone != source.zone && topology.lane(from: source.zone, to: target.zone) == nil {
            throw FerryError(
                .config, "flow \(flow.name) crosses from \(source.zone) to \(target.zone) but no channel goes that way",
                at: .file(flow.location),
                hint: "add a channel { from: \(source.zone), to: \(target.zone), via: { dir: … } }, or a 'return:' path on the existing one")
        }
    }

    static func unique(_ names: [(String, SourceLocation)], kind: String) throws -> Set<String> {
        var seen: [String: SourceLocation] = [:]
        for (name, location) in names {
            if let first = seen[name] {
                throw FerryError(.config, "duplicate \(kind) name '\(name)' (first at line \(first.line))", at: .file(location),
                    hint: "\(kind) names must be unique")
            }
            seen[name] = location
        }
        return Set(seen.keys)
    }

    static func located(_ at: SourceLocation, _ message: String, known: Set<String>, kind: String) -> FerryError {
        FerryError(.config, message, at: .file(at), hint: "known \(kind): \(known.sorted().joined(separator: ", "))")
    }

    static func mustExist(_ condition: Bool, _ at: SourceLocation, _ message: String, hint: String) throws {
        if !condition { throw FerryError(.config, message, at: .file(at), hint: hint) }
    }

    static func fileMustExist(_ url: URL, at: SourceLocation, what: String, hint: String) throws {
        if !FileManager.default.fileExists(atPath: url.path) {
            throw FerryError(.config, "\(what) not found: \(url.path)", at: .file(at), hint: hint)
        }
    }
}
