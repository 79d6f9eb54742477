package import Foundation
public import FerryCore
import FerryMapping
public import FerrySeal
public import FerryQueue
public import FerryAudit
import FerryTransport
public import Logging

/// One running node: its slice of the deployment, its store, keys and audit log.
/// Each pipeline stage is a method in a `Node+Stage.swift` file.
public final class Node: Sendable {
    public let deployment: Deployment
    public let config: Topology.Node
    public let store: NodeStore
    public let audit: AuditLog
    /// This node's private keys, oldest first.
    public let keys: [NodeKey]
    public let trust: TrustStore
    /// Keyed digests of record keys for the audit index; nil without `digest_key:`.
    let digester: RecordDigester?
    /// This worker's claims on the node's jobs, shared with its other workers through the store.
    let claims: JobClaims
    /// Seals quarantined rows' raw input at rest under this node's key.
    let quarantineSealer: AtRestSealer
    let logger: Logger

    /// Records per sealed bundle; bigger batches amortise crypto, smaller ones arrive sooner.
    public static let bundleRecords = 5000
    static let readBatch = 1000
    /// Staged records applied per store transaction: a bundle's worth. Each transaction
    /// costs a commit and a round of statements per table it touches; and while intake holds
    /// the store's one writer for a whole bundle (`receive`), applying keeps pace with one
    /// commit per bundle instead of falling a batch behind each time. About 25 MB more at
    /// peak than batches of 1,000.
    static let applyBatch = bundleRecords

    public var topology: Topology { deployment.topology }
    public var name: String { config.name }
    public var zone: String { config.zone }

    /// Opens node `name` of the deployment: its store (migrating it), key and trust.
    public convenience init(deployment: Deployment, name: String, logger: Logger) throws {
        try self.init(deployment: deployment, name: name, logger: logger, auditCounter: nil)
    }

    /// The same, with events counted rather than logged: only `ferry bench audit` does so.
    package init(deployment: Deployment, name: String, logger: Logger, auditCounter: AuditCounter?) throws {
        guard let config = deployment.topology.node(named: name) else {
            let known = deployment.topology.nodes.map(\.name).joined(separator: ", ")
            throw FerryError(.config, "no node named \(name) in \(deployment.topology.file)", hint: "known nodes: \(known)")
        }
        self.deployment = deployment
        self.config = config
        self.logger = logger
        self.store = try NodeStore(node: config, topology: deployment.topology)
        self.claims = JobClaims(store: store, leaseSeconds: config.leaseSeconds, logger: logger)
        let keys = try config.keyFiles.map(NodeKey.load)
        self.keys = keys
        self.quarantineSealer = try AtRestSealer(keys: keys)
        self.trust = try deployment.trustStore()
        self.digester = try deployment.digester()
        // The chain hashes with SM3 when the node's current key is on the SM suite.
        let preferred: Hasher.Algorithm = keys.last?.suite == Suite.sm ? .sm3 : .sha256
        var audit = AuditLog(node: name, algorithm: try store.write { tx in try AuditLog.chainAlgorithm(tx, preferred: preferred) })
        if let key = keys.last {
            audit.signer = AuditLog.Signer(keyID: key.keyID) { try key.sign($0) }
        }
        audit.counter = auditCounter
        self.audit = audit
        for key in keys where key.node != name {
            throw FerryError(.config, "node \(name) is configured with the key of node \(key.node)", at: .file(config.location),
                hint: "point key: at this node's own .key files")
        }
        let digest = hex(Hasher.sha256(Array((try? Data(contentsOf: URL(fileURLWithPath: deployment.topology.file))) ?? Data())))
        _ = try store.write { tx in
            // Keys appear and go between starts: generated or rotated in, retired out.
            // An entry that does not decode (a damaged log, which verification reports)
            // counts as none: the keys are then audited as new.
            let previous = (try? AuditQuery.latest(tx, kind: .configLoaded)) ?? nil
            var known: [String] = []
            if case .list(let ids)? = previous?.event.details["keys"] { known = ids.compactMap(\.text) }
            for key in keys where !known.contains(key.keyID) {
                try audit.append(tx, AuditEvent(previous == nil || known.isEmpty ? .keyGenerated : .keyRotated, details: [
                    "key_id": .string(key.keyID), "suite": .string(key.suite), "fingerprint": .string(key.publicKey.fingerprint),
                ]))
            }
            for id in known where !keys.contains(where: { $0.keyID == id }) {
                try audit.append(tx, AuditEvent(.keyRetired, details: ["key_id": .string(id)]))
            }
            try audit.append(tx, AuditEvent(.configLoaded, details: [
                "config": .string(deployment.topology.file), "sha256": .string(digest), "keys": .list(keys.map { .string($0.keyID) }),
            ]))
        }
    }

    /// Signs the audit head when the node stops: a verifier then knows the log was not cut
    /// short after the last run. The daemon calls it on its way out; commands rely on deinit.
    public func shutdown() {
        let audit = self.audit
        do { try store.write { tx in try audit.checkpoint(tx) } } catch {
            logger.error("could not sign the audit checkpoint at shutdown", metadata: ["reason": .string("\(error)")])
        }
    }

    deinit { shutdown() }

    /// Checks this node's audit log with the deployment's public keys.
    public func verifyAudit() throws -> AuditVerifier.Verification {
        try store.read { tx in try AuditVerifier.verify(tx, node: name, keys: trust.all) }
    }

    /// The audit index leaf of one record line: its key's keyed digest and the line's
    /// Merkle leaf hash (the one its bundle is built over); nil without a digest key.
    func leaf(entity: String, key: String, line: [UInt8], tag: String? = nil) -> AuditLeaf? {
        guard let digester else { return nil }
        let parts = key.split(separator: "\u{1F}", omittingEmptySubsequences: false).map(String.init)
        return AuditLeaf(key: digester.keyDigest(entity: entity, key: parts), hash: MerkleTree.leafHash(line), tag: tag)
    }

    /// The hex key digest of one record, for single-record events.
    func keyDigest(entity: String, key: String) -> String? {
        guard let digester else { return nil }
        return hex(digester.keyDigest(entity: entity, key: key.split(separator: "\u{1F}", omittingEmptySubsequences: false).map(String.init)).prefix(16))
    }

    /// Where this node keeps sealed bundles until they are delivered.
    var outgoingDirectory: URL {
        store.directory.appendingPathComponent("\(name).outgoing")
    }

    /// The key this node seals with on a channel of `suite`: the newest of that suite.
    func key(for suite: String) throws -> NodeKey {
        guard let key = keys.last(where: { $0.suite == suite }) else {
            throw FerryError(.config, "node \(name) has no \(suite) key, which its channel needs", at: .file(config.location),
                hint: "generate one with 'ferry keys generate --suite \(suite)' and list it under key:")
        }
        return key
    }

    /// Where bundles being opened wait, decrypted but still compressed, until fully verified.
    package var stagingDirectory: URL {
        store.directory.appendingPathComponent("\(name).staging")
    }

    /// The node that runs in `zone`.
    func peer(inZone zone: String) throws -> Topology.Node {
        guard let node = topology.node(inZone: zone) else {
            throw FerryError(.config, "no node runs in zone \(zone)", hint: "add one under nodes:")
        }
        return node
    }

    /// How a stored record key appears in logs and dead letters: masked when personal.
    func subject(key: String, entity name: String) -> String { deployment.subject(key: key, entity: name) }

    /// How a record key appears in logs: masked when any key field is personal.
    func subject(_ record: FerryCore.Record, entity: EntitySchema) -> String {
        entity.key.contains(where: entity.personalFields.contains) ? Masking.mask(record.displayKey) : record.displayKey
    }
}
