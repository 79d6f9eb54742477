import FerryCore
public import FerryAudit
import FerryQueue
public import FerryNode

extension AuditTrace {
    /// Traces `key` (composite keys joined by `/`; as entity `entity`, or as every entity)
    /// in the stores of `node`, or of every node whose store is on this machine, each
    /// opened read-only.
    /// - Throws: `FerryError(.config)` without a digest key, or for a node not here.
    public static func trace(_ deployment: Deployment, key: String, entity: String? = nil, node: String? = nil) throws -> AuditTrace {
        let zone = { (name: String) in deployment.topology.node(named: name)?.zone ?? "?" }
        let sources = {
            try AuditTools.nodes(deployment, node).map { name in
                AuditTrace.Source(node: name, zone: zone(name), store: try AuditTools.open(deployment, node: name))
            }
        }
        // A document's digest traces the document: where it was stored, carried and checked.
        if DocumentRef.isDigest(key) { return try trace(documents: [key], in: try sources()) }
        guard let digests = try AuditTools.keyDigests(deployment, key: key, entity: entity) else { return AuditTrace(key: key, hops: []) }
        return try trace(key: key, keyDigests: digests, in: try sources(), trust: try deployment.trustStore(), zoneOf: zone)
    }
}
