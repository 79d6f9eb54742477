public import Foundation
import FerryCore
import FerryMapping
public import FerryAudit
import FerrySeal
import FerryQueue
public import FerryNode

/// Read-only tools over nodes' audit logs for auditors: they need the topology, the
/// stores and public keys, never a private key (only `export` signs, on the node itself).
public enum AuditTools {
    /// A node's store opened read-only: verifying must not be able to change what it checks.
    static func open(_ deployment: Deployment, node name: String) throws -> NodeStore {
        try deployment.existingStore(ofNode: name, readOnly: true)
    }

    /// The nodes named, or every node whose store is on this machine.
    static func nodes(_ deployment: Deployment, _ name: String?) -> [String] {
        if let name { return [name] }
        return deployment.topology.nodes.compactMap { node in
            switch node.store {
            case .sqlite(let path): return FileManager.default.fileExists(atPath: path.path) ? node.name : nil
            case .postgres: return node.name
            }
        }
    }

    public static func verify(_ deployment: Deployment, node name: String) throws -> AuditVerifier.Verification {
        try open(deployment, node: name).read { tx in
            try AuditVerifier.verify(tx, node: name, keys: try deployment.trustStore().all)
        }
    }

    /// What `ferry audit log` filters by; every part optional.
    public struct Filter: Sendable {
        public var node: String?
        public var since: String?
        public var until: String?
        public var flow: String?
        public var system: String?
        public var kinds: [String] = []
        public var bundle: String?
        /// A record key as users know it (composite keys joined by `/`); digested before the lookup.
        public var key: String?
        public var entity: String?
        public var limit = 200

        public init() {}
    }

    /// Entries matching `filter`, oldest first, across the nodes it names, free-text
    /// details masked for display (``AuditEntry/maskedForDisplay``).
    public static func log(_ deployment: Deployment, filter: Filter) throws -> [AuditEntry] {
        let digests = try keyDigests(deployment, key: filter.key, entity: filter.entity)
        var entries: [AuditEntry] = []
        var query = AuditQuery()
        (query.since, query.until, query.bundle, query.kinds, query.flow) = (filter.since, filter.until, filter.bundle, filter.kinds, filter.flow)
        if let system = filter.system {
            query.system = (system, deployment.topology.flows.filter { $0.from == system || $0.to.contains(system) }.map(\.name))
        }
        (query.keyDigests, query.limit) = (digests, filter.limit)
        for name in nodes(deployment, filter.node) {
            entries += try open(deployment, node: name).read { tx in try query.entries(tx).map(\.maskedForDisplay) }
        }
        return Array(entries.sorted { ($0.at, $0.node, $0.sequence) < ($1.at, $1.node, $1.sequence) }.suffix(filter.limit))
    }

    /// The 16-byte keyed digests a user's key has as each entity (or the one named); nil
    /// when no key was given.
    static func keyDigests(_ deployment: Deployment, key: String?, entity: String?) throws -> [[UInt8]]? {
        guard let key else { return nil }
        guard let digester = try deployment.digester() else {
            throw FerryError(.config, "the deployment has no digest_key, so the audit log holds no record index",
                hint: "create one with 'ferry keys digest' and name it under digest_key:")
        }
        let parts = key.components(separatedBy: "/")
        let entities = entity.map { [$0] } ?? deployment.topology.entities.map(\.name)
        return entities.map { Array(digester.keyDigest(entity: $0, key: parts).prefix(16)) }
    }

    public struct Stats: Sendable {
        public var byKind: [(kind: String, count: Int)] = []
        public var byReason: [(kind: String, reason: String, count: Int)] = []
        public var byDay: [(day: String, count: Int)] = []
    }

    /// Counts by kind, by reason (rejections, quarantines, dead letters, refusals) and by day.
    public static func stats(_ deployment: Deployment, node: String?, since: String?, until: String?) throws -> Stats {
        var kinds: [String: Int] = [:]
        var reasons: [String: Int] = [:]
        var days: [String: Int] = [:]
        for name in nodes(deployment, node) {
            let counts = try open(deployment, node: name).read { tx in try AuditQuery.counts(tx, since: since, until: until) }
            kinds.merge(counts.byKind, uniquingKeysWith: +)
            days.merge(counts.byDay, uniquingKeysWith: +)
            for (kind, reason, count) in counts.byReason {
                // Masked whole, then cut: a cut first could leave part of a number unrecognised.
                reasons["\(kind)\u{1F}\(FreeTextRedactor(limit: 60)(reason))", default: 0] += count
            }
        }
        var stats = Stats()
        stats.byKind = kinds.map { ($0.key, $0.value) }.sorted { ($1.count, $0.kind) < ($0.count, $1.kind) }
        stats.byReason = reasons.map { key, count in
            let parts = key.components(separatedBy: "\u{1F}")
            return (parts[0], parts.count > 1 ? parts[1] : "", count)
        }.sorted { ($0.kind, $1.count) < ($1.kind, $0.count) }
        stats.byDay = days.map { ($0.key, $0.value) }.sorted { $0.day < $1.day }
        return stats
    }

    /// Writes a signed export of the node's entries in [since, until), chained to its last export.
    public static func export(_ deployment: Deployment, node name: String, since: String, until: String, to file: URL) throws -> AuditExport.Summary {
        try export(node: Node(deployment: deployment, name: name, logger: .init(label: "ferry.audit")), since: since, until: until,
            to: file, actor: "operator")
    }

    static func export(node: Node, since: String, until: String, to file: URL, actor: String) throws -> AuditExport.Summary {
        try node.store.write { tx in
            let summary = try AuditExport.write(tx, log: node.audit, since: since, until: until, to: file)
            try node.audit.append(tx, AuditEvent(.exported, actor: actor, details: [
                "file": .string(file.lastPathComponent), "n": .int(summary.number), "first_seq": .int(summary.firstSequence),
                "last_seq": .int(summary.lastSequence), "digest": .string(summary.digest),
            ]))
            return summary
        }
    }

    public static func verifyExports(_ deployment: Deployment, files: [URL]) throws -> [AuditExport.Check] {
        try AuditExport.verify(files, keys: try deployment.trustStore().all)
    }

    /// A time bound as people type it (`2026-11-24`, `2026-11-24 09:00:00`,
    /// `2026-11-24T09:00:00`, with or without `Z`), as the log's `at` compares:
    /// `2026-11-24T09:00:00`, UTC; a bare day means its start.
    /// - Throws: `config` naming the option (`name`) for anything else: a bound that is not
    ///   a time would otherwise select every entry or none without saying so.
    public static func bound(_ text: String, _ name: String) throws -> String {
        let spelled = text.utf8.count == 10 ? text + "T00:00:00" : text.replacingUTF8(" ", with: "T")
        let bare = spelled.hasSuffix("Z") ? String(spelled.dropLast()) : spelled
        guard bare.utf8.count >= 19, Timestamp.parse(bare + "Z") != nil else {
            throw FerryError(.config, "\(name) is not a UTC time", hint: "write it like 2026-11-24 or 2026-11-24T09:00:00Z")
        }
        return bare
    }
}
