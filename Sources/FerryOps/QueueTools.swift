import Foundation
public import FerryCore
public import FerryQueue
import FerryAudit
public import FerryNode

/// Operator tools over a node's queue; they need the topology and the store, not the keys.
public enum QueueTools {
    /// The node a queue tool works on: its deployment and its store, opened once. The CLI
    /// opens one per command; the console keeps its running node's, so no request reloads
    /// the topology or reopens the store.
    public struct Target: Sendable {
        public let deployment: Deployment
        public let node: String
        let store: NodeStore
        /// The running node's log (signing checkpoints); nil from the CLI.
        let audit: AuditLog?

        /// Opens node `name`'s existing store; the tools never create one.
        /// - Throws: as `Deployment.existingStore(ofNode:)`.
        public init(deployment: Deployment, node name: String) throws {
            (self.deployment, self.node, self.audit) = (deployment, name, nil)
            store = try deployment.existingStore(ofNode: name, readOnly: false)
        }

        /// The same, loading the topology at `config` first.
        public init(config: String, node name: String) throws {
            try self.init(deployment: Deployment.load(config), node: name)
        }

        /// A running node's own store and log.
        public init(_ node: Node) {
            (deployment, self.node, store, audit) = (node.deployment, node.name, node.store, node.audit)
        }

        /// Where an operator action is audited.
        func auditLog(_ tx: StoreTransaction) throws -> AuditLog {
            try audit ?? AuditLog(node: node, algorithm: AuditLog.chainAlgorithm(tx, preferred: .sha256))
        }
    }

    /// The node's queue status; with `lane` or `flow`, only that channel's lanes (both
    /// directions) or that flow's cursor. Node-wide counts stay whole.
    public static func status(_ target: Target, lane: String? = nil, flow: String? = nil) throws -> QueueStatus {
        var status = try target.store.read { tx in try tx.queueStatus() }
        if let lane {
            status.outbound = status.outbound.filter { $0.lane == lane }
            status.inbound = status.inbound.filter { $0.lane == lane }
            status.holds = status.holds.filter { $0.lane == lane }
        }
        if let flow { status.cursors = status.cursors.filter { $0.flow == flow } }
        return status
    }

    /// Sets (or, with nil, clears) a flow's source cursor: the next sync starts from there.
    /// An operator action, audited with who did it and what the cursor was.
    public static func resetCheckpoint(_ target: Target, flow: String, to value: String?, actor: String) throws -> String? {
        let (store, deployment) = (target.store, target.deployment)
        guard deployment.topology.flow(named: flow) != nil else {
            throw FerryError(.config, "no flow named \(flow)", hint: "known flows: \(deployment.topology.flows.map(\.name).joined(separator: ", "))")
        }
        return try store.write { tx in
            let previous = try tx.cursors.get(flow: flow)
            if let value { try tx.cursors.set(flow: flow, value: value) } else { try tx.cursors.clear(flow: flow) }
            // A reset is how an operator asks for records to be sent again: what the flow
            // sent before must not hold them back as unchanged.
            try tx.sentDigests.clear(flow: flow)
            try target.auditLog(tx).append(tx, AuditEvent(.operatorResetCheckpoint, actor: actor, flow: flow, details: [
                "previous": previous.map(Value.string) ?? .null, "new": value.map(Value.string) ?? .null,
            ]))
            return previous
        }
    }

    /// Dead letters not yet settled, of one flow or lane if asked (a ship-stage letter's
    /// position is `lane#sequence`). Reasons are masked (``FreeTextRedactor``) as they are
    /// read too, so letters stored before reasons were masked show no personal number.
    public static func deadLetters(_ target: Target, lane: String? = nil, flow: String? = nil) throws -> [DeadLetters.Letter] {
        let redact = FreeTextRedactor()
        return try target.store.read { tx in try tx.deadLetters.list() }.filter { letter in
            (flow == nil || letter.flow == flow) && (lane == nil || letter.position?.hasPrefix(lane! + "#") == true)
        }.map { letter in
            var letter = letter
            letter.reason = redact(letter.reason)
            return letter
        }
    }

    public enum DeadLetterAction: String, Sendable {
        /// Fresh attempts on the next receive.
        case redrive = "re-driven"
        /// Give up: the records are settled as rejected and reported so.
        case purge = "purged"
    }

    /// Re-drives or purges dead letters (one, or all with nil); audited with the operator.
    public static func settleDeadLetters(_ action: DeadLetterAction, _ target: Target, id: Int64?, actor: String) throws -> Int {
        try target.store.write { tx in
            let count: Int
            if action == .redrive {
                let letters = try tx.deadLetters.redrive(id: id)
                for letter in letters where letter.stage == "ship" {
                    if let bundle = letter.bundle { try tx.ledger.redriven(id: bundle, from: OutboundLifecycle.sources(of: .redriven)) }
                }
                count = letters.count
            } else {
                count = try tx.deadLetters.purge(id: id)
            }
            try target.auditLog(tx).append(tx, AuditEvent(AuditEvent.Kind(rawValue: action.rawValue), actor: actor, details: [
                "dead_letter": id.map(Value.int) ?? "all", "count": .int(Int64(count)),
            ]))
            return count
        }
    }
}

extension QueueTools {
    /// One outbound bundle: its ledger row and what its receipt said went wrong, keys masked
    /// where the entity's key is personal.
    public struct BundleView: Sendable {
        public var bundle: BundleLedger.Outbound
        public var outcome: String?
        public var unapplied: [(key: String, version: String, outcome: String, detail: String?)]
    }

    public static func show(_ target: Target, bundle id: String) throws -> BundleView {
        let (store, deployment, node) = (target.store, target.deployment, target.node)
        return try store.read { tx in
            guard let bundle = try tx.ledger.outbound(id: id) else {
                throw FerryError(.config, "node \(node) sent no bundle \(id)", hint: "ferry queue status lists lanes; the audit log lists bundle ids")
            }
            let outcome = try tx.ledger.receiptOutcome(id: id)
            // Receipts name keys, not entities; the bundle's outbox rows know each key's entity.
            let entities = try tx.outbox.entities(bundle: id)
            let redact = FreeTextRedactor()
            let unapplied = try tx.ledger.unapplied(bundle: id).map { row in
                (key: deployment.subject(key: row.key, entity: entities[row.key] ?? ""), row.version, row.outcome, row.detail.map(redact.redact))
            }
            return BundleView(bundle: bundle, outcome: outcome, unapplied: unapplied)
        }
    }
}

extension QueueTools.BundleView {
    public var value: Value {
        .object([
            "id": .string(bundle.id), "lane": .string(bundle.lane), "sequence": .int(bundle.sequence), "kind": .string(bundle.kind.rawValue),
            "state": .string(bundle.state.rawValue), "records": .int(Int64(bundle.records)), "copies": .int(Int64(bundle.copies)),
            "ship_attempts": .int(Int64(bundle.shipAttempts)), "created_at": .string(bundle.createdAt),
            "receipt": outcome.map(Value.string) ?? .null,
            "unapplied": .list(unapplied.map { row in
                .object(["key": .string(row.key), "version": .string(row.version), "outcome": .string(row.outcome),
                    "detail": row.detail.map(Value.string) ?? .null])
            }),
        ])
    }
}

extension DeadLetters.Letter {
    public var value: Value {
        .object([
            "id": .int(id), "stage": .string(stage), "flow": flow.map(Value.string) ?? .null, "bundle": bundle.map(Value.string) ?? .null,
            "subject": .string(subject), "reason": .string(reason), "position": position.map(Value.string) ?? .null,
            "attempts": .int(Int64(attempts)), "at": .string(at),
        ])
    }
}
