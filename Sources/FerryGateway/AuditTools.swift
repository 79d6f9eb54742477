import FerryCore
public import FerryMapping
public import FerryAudit
import FerryQueue


/// Read-only tools over a node's store for auditors: they need the topology and the
/// store, never a private key.
public enum AuditTools {
    public static func verify(config: String, node name: String) throws -> AuditLog.Verification {
        let deployment = try Deployment.load(config)
        guard let node = deployment.topology.node(named: name), case .sqlite(let path) = node.store else {
            throw FerryError(.config, "no node \(name) with an sqlite store in \(config)")
        }
        let store = try NodeStore(path: path, migrations: [AuditLog.register])
        return try store.read { db in try AuditLog.verify(db) }
    }
}

extension Deployment {
    /// Runs the inline tests of every mapping (or one system's), labelled by mapping name.
    public func runMappingTests(system: String? = nil) throws -> [(mapping: String, result: MappingTestResult)] {
        var results: [(String, MappingTestResult)] = []
        for candidate in topology.systems where system == nil || candidate.name == system {
            for entity in candidate.maps.keys.sorted() {
                let compiled = try mapping(system: candidate.name, entity: entity)
                results += compiled.runTests().map { (compiled.name, $0) }
            }
        }
        return results
    }
}
